package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/authz"
	"github.com/casebridge/casebridge/internal/devworld"
	"github.com/casebridge/casebridge/internal/digest"
	"github.com/casebridge/casebridge/internal/keys"
	"github.com/casebridge/casebridge/internal/referral"
	"github.com/casebridge/casebridge/internal/sealed"
	"github.com/casebridge/casebridge/internal/vault"
	"github.com/casebridge/casebridge/policies"
	"github.com/casebridge/casebridge/services/tasks"
)

// publicMethods need neither a token nor a permission.
var publicMethods = []string{
	"/grpc.health.v1.Health/",
	"/grpc.reflection.v1.ServerReflection/",
	"/grpc.reflection.v1alpha.ServerReflection/",
}

// Verified tokens are trusted again without a signature check for at most
// this long (never past their own expiry), and at most this many.
const (
	tokenCacheSize = 10_000
	tokenCacheTTL  = time.Minute
)

// Case keys stay unwrapped in memory for at most this long, and at most
// this many: hot reads then perform no public-key operation.
const (
	caseKeyCacheSize = 50_000
	caseKeyCacheTTL  = 10 * time.Minute
)

func subjectOf(ctx context.Context) (string, bool) {
	c, ok := authn.CallerFrom(ctx)
	return c.Subject, ok
}

// buildKeys loads the organisation keyring, seeds the dev world and resumes
// key rotations a previous run left unfinished.
func (s *Server) buildKeys(ctx context.Context) error {
	keyring, err := vault.LoadKeyring(s.cfg.KeyringDir)
	if err != nil {
		return fmt.Errorf("load keyring: %w", err)
	}
	s.keys = keys.NewManagerListening(s.pool, keyring, vault.NewKeyCache(caseKeyCacheSize, caseKeyCacheTTL), s.log, s.listener)
	s.closers = append(s.closers, s.keys.Close)
	if s.cfg.Dev {
		seeded, err := devworld.Seed(ctx, s.pool, func(ctx context.Context, tx pgx.Tx, org string) error {
			_, err := s.keys.EnsureOrgKey(ctx, tx, org)
			return err
		})
		if err != nil {
			return err
		}
		if seeded {
			s.log.Warn("DEV MODE: seeded the demo world (shelter-a, legal-b, cso-c, network)")
		}
	}
	if err := s.checkKeyring(ctx); err != nil {
		return err
	}
	// Key files written before files named their organisation are given
	// it once, here; rotations destroy only keys whose file names the
	// organisation rotated. A failure is logged per key and not fatal.
	if _, err := s.keys.AdoptLegacyKeys(ctx); err != nil {
		s.log.Warn("some organisation key files could not be updated", "error", err)
	}
	// Rotations run as scheduler jobs, on one replica at a time (an
	// advisory lock per rotation), in slices well under the scheduler's
	// job timeout; startJobs enqueues those a previous run left unfinished
	// and takes over the jobs of a server killed mid-rotation.
	s.keys.UseScheduler(s.sched)
	// Free text that older versions stored in plain columns is sealed
	// before the first call is served (and again every minute, for rows an
	// older replica writes during a rolling upgrade).
	if _, err := sealed.Backfill(ctx, s.pool, s.keys, 200); err != nil {
		return err
	}
	go sealed.RunBackfill(s.background, s.pool, s.keys, s.log, time.Minute)
	return nil
}

// startJobs registers the periodic jobs, starts this replica's scheduler
// and resumes the key rotations a previous run left unfinished.
func (s *Server) startJobs() error {
	sweep := s.cfg.ConsentSweep
	if sweep <= 0 {
		sweep = time.Minute
	}
	referral.ScheduleSweep(s.sched, s.pool, s.keys, s.log, sweep, s.metrics.ConsentSweep)
	taskSweep := s.cfg.TaskSweep
	if taskSweep <= 0 {
		taskSweep = 10 * time.Minute
	}
	tasks.Schedule(s.sched, s.pool, s.log, taskSweep)
	if s.cfg.Digest.Enabled() {
		digest.Schedule(s.sched, s.pool, s.authz, s.cfg.Digest, s.log)
	}
	if err := s.sched.Start(s.background); err != nil {
		return err
	}
	s.closers = append(s.closers, s.sched.Stop)
	if _, err := s.keys.ResumeRotations(s.background); err != nil {
		return fmt.Errorf("resume key rotations: %w", err)
	}
	return nil
}

// buildAuthz loads the policy (built in, or --policy-dir, reloaded on
// change) and starts following membership changes.
func (s *Server) buildAuthz() error {
	opts := authz.EngineOptions{Logger: s.log}
	var err error
	if s.cfg.PolicyDir != "" {
		s.authz, err = authz.NewEngineFromDir(s.cfg.PolicyDir, opts)
	} else {
		s.authz, err = authz.NewEngine(policies.Files(), opts)
	}
	if err != nil {
		return err
	}
	s.authz.Start(s.background)
	s.closers = append(s.closers, s.authz.Close)
	s.members = authz.NewMembers(s.pool, authz.MembersOptions{Logger: s.log, Listener: s.listener})
	s.members.Start(s.background)
	s.closers = append(s.closers, s.members.Close)
	return nil
}

// checkKeyring refuses to start (so health never says SERVING) when the
// keyring lacks a key the database still needs: its cases could not be
// opened. It names the key ids (public identifiers, not secrets).
func (s *Server) checkKeyring(ctx context.Context) error {
	missing, err := s.keys.MissingKeys(ctx, s.pool)
	if err != nil {
		return fmt.Errorf("check keyring: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("the keyring in %s does not hold %d organisation key(s) the database needs (or holds them as another organisation's): %s; "+
			"restore the keyring backup taken with this database backup, or the key records if they were altered", s.cfg.KeyringDir, len(missing), strings.Join(missing, ", "))
	}
	return nil
}
