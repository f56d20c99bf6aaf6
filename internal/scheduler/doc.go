// Package scheduler runs Casebridge's background jobs on PostgreSQL with
// River: the consent sweep, key rotations, the system-created tasks and the
// e-mail digests. Every replica runs a River client over the same tables;
// River hands each job to one of them, periodic jobs are enqueued by the
// elected leader alone and are unique within their period, so a job runs
// once however many replicas there are.
//
// Job arguments are stored in plain JSON in river_job and outlive the rows
// they name, so they carry ids and times only, never victim data: every
// argument type is declared here (jobs.go), and a test over all of them
// refuses a field that is not an id, a count or a time. [Handle] accepts a
// worker only for an argument type declared here.
package scheduler
