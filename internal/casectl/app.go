package casectl

import (
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc"

	"github.com/casebridge/casebridge/internal/casectl/dial"
	"github.com/casebridge/casebridge/internal/casectl/output"
	"github.com/casebridge/casebridge/internal/casectl/settings"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// EnvToken names the environment variable whose token overrides the saved
// one, for scripts and CI that get a token from elsewhere.
const EnvToken = "CASEBRIDGE_TOKEN"

// EnvServer names the variable that login uses as the server address when
// --server is not given (before the saved one and the dev default).
const EnvServer = "CASEBRIDGE_SERVER"

// app is one casectl run: its environment, the global flags and, once a
// command needs it, the connection to the server.
type app struct {
	env     Env
	globals globals
	conn    *grpc.ClientConn
}

func newApp(env Env) *app { return &app{env: env} }

func (a *app) close() {
	if a.conn != nil {
		a.conn.Close()
	}
}

func (a *app) stdout() io.Writer { return a.env.Stdout }

// say writes a remark for people on stderr, so that stdout stays clean
// for results that scripts parse.
func (a *app) say(format string, args ...any) {
	fmt.Fprintf(a.env.Stderr, format+"\n", args...)
}

// clients are the API's services on one connection.
type clients struct {
	orgs         casebridgev1.OrganizationServiceClient
	cases        casebridgev1.CaseServiceClient
	referrals    casebridgev1.ReferralServiceClient
	proceedings  casebridgev1.ProceedingServiceClient
	compensation casebridgev1.CompensationServiceClient
	stats        casebridgev1.StatsServiceClient
	audit        casebridgev1.AuditServiceClient
	casework     casebridgev1.CaseworkServiceClient
	documents    casebridgev1.DocumentServiceClient
	tasks        casebridgev1.TaskServiceClient
	transfers    casebridgev1.TransferServiceClient
}

// client connects with the saved settings, --server and $CASEBRIDGE_TOKEN.
func (a *app) client() (*clients, error) {
	if a.conn == nil {
		target, err := a.target()
		if err != nil {
			return nil, err
		}
		conn, err := dial.Dial(target)
		if err != nil {
			return nil, err
		}
		a.conn = conn
	}
	return newClients(a.conn), nil
}

func newClients(conn grpc.ClientConnInterface) *clients {
	return &clients{
		orgs:         casebridgev1.NewOrganizationServiceClient(conn),
		cases:        casebridgev1.NewCaseServiceClient(conn),
		referrals:    casebridgev1.NewReferralServiceClient(conn),
		proceedings:  casebridgev1.NewProceedingServiceClient(conn),
		compensation: casebridgev1.NewCompensationServiceClient(conn),
		stats:        casebridgev1.NewStatsServiceClient(conn),
		audit:        casebridgev1.NewAuditServiceClient(conn),
		casework:     casebridgev1.NewCaseworkServiceClient(conn),
		documents:    casebridgev1.NewDocumentServiceClient(conn),
		tasks:        casebridgev1.NewTaskServiceClient(conn),
		transfers:    casebridgev1.NewTransferServiceClient(conn),
	}
}

var errNotLoggedIn = errors.New("not logged in: run 'casectl login' first (or set " + EnvToken + ")")

// target is where to connect: the saved settings, overridden by --server
// and $CASEBRIDGE_TOKEN.
func (a *app) target() (dial.Target, error) {
	path, err := settings.Path(a.env.Getenv)
	if err != nil {
		return dial.Target{}, err
	}
	s, err := settings.Load(path)
	if err != nil {
		return dial.Target{}, err
	}
	t := dial.Target{
		Address: s.Server, Insecure: s.Insecure, CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile,
		Token: s.Token, Timeout: a.globals.timeout,
	}
	if a.globals.server != "" {
		t.Address = a.globals.server
	}
	if tok := a.env.Getenv(EnvToken); tok != "" {
		t.Token = tok
	}
	switch {
	case t.Token == "":
		return t, errNotLoggedIn
	case t.Address == "":
		return t, errors.New("no server address: pass --server HOST:PORT or run 'casectl login'")
	}
	return t, nil
}

// format is the --output format.
func (a *app) format() (output.Format, error) { return a.globals.format() }
