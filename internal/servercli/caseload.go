package servercli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/casebridge/casebridge/internal/authn"
	"github.com/casebridge/casebridge/internal/devworld"
)

// seedCaseload seeds the dev demo caseload through the server's own API
// (so that everything is sealed and audited as in real use), as the demo
// users, once the server answers.
func seedCaseload(ctx context.Context, log *slog.Logger, dataDir, addr string) {
	seeded := false
	err := func() error {
		issuer, err := authn.LoadOrCreateDevIssuer(dataDir)
		if err != nil {
			return err
		}
		conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
		if err != nil {
			return err
		}
		defer conn.Close()
		as := func(ctx context.Context, subject string) (context.Context, error) {
			token, err := issuer.Mint(subject, time.Hour)
			if err != nil {
				return nil, fmt.Errorf("dev token for %s: %w", subject, err)
			}
			return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), nil
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		seeded, err = devworld.SeedCaseload(cctx, conn, as, time.Now())
		return err
	}()
	if err != nil {
		log.Error("DEV MODE: seeding the demo caseload failed", "error", err)
		return
	}
	if seeded {
		log.Warn("DEV MODE: seeded the demo caseload (historic cases of shelter-a and cso-c, litigation at legal-b)")
	}
}
