// Package digest sends members a daily e-mail about their organisation's
// tasks: how many are overdue and due soon, how many of them are theirs,
// the references of the cases with the most overdue tasks, and a link.
// Nothing else: an e-mail leaves the system for servers nobody here
// controls, so it never carries victim data — no title, no note, no name,
// only counts, the organisation's name and case references.
//
// Sending cannot be exactly-once. Each digest is first recorded (one row
// per member, organisation and day, unique), then its job is enqueued in
// the same transaction; the job marks the row in a transaction of its own
// before it opens the SMTP connection and does nothing for a row already
// marked. A crash after the mark loses that digest; nothing sends it twice.
package digest
