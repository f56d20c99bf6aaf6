package limits

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// ClassLimits are the limits of one method class. A zero value means no
// limit of that kind.
type ClassLimits struct {
	// Rate and Burst: calls per second a caller may start (a token bucket).
	Rate  float64
	Burst int
	// InFlight: calls a caller may have running at once.
	InFlight int
	// OrgRate, OrgBurst, OrgInFlight: the same for all members of an
	// organisation together.
	OrgRate     float64
	OrgBurst    int
	OrgInFlight int
	// ServerInFlight: calls of this class the replica runs at once (the
	// statistics worker pool); Queue more may wait for a free slot.
	ServerInFlight int
	Queue          int
	// Timeout: the longest a call of this class runs, whatever deadline the
	// client asked for; its queries are cancelled in PostgreSQL with it.
	Timeout time.Duration
}

// Config is every limit of one replica.
type Config struct {
	Classes [numClasses]ClassLimits
	// ImportRowsPerSecond and ImportRowsBurst bound the rows an organisation
	// imports: a file of ImportRowsBurst rows goes at full speed, a larger one
	// at ImportRowsPerSecond.
	ImportRowsPerSecond float64
	ImportRowsBurst     int
	// Hold paces refusals (see Hold).
	Hold      Hold
	Transport Transport
	// HTTP are the limits of the HTTP listeners.
	HTTP HTTP
	// MemoryLimit is the process's soft memory limit (see SetMemoryLimit):
	// "" automatic, "off", or a size.
	MemoryLimit string
	// PageBytes is the byte budget of one page of a list: the page ends
	// there, with a next-page token, whatever its page_size.
	PageBytes int
	// NotesPerCase caps the notes one case may hold.
	NotesPerCase int
	// CaseQuota bounds the cases an organisation creates per period.
	CaseQuota CaseQuota
	// DocumentBytes is the largest document an upload may store.
	DocumentBytes int64
}

// Transport are the limits of the gRPC transport itself.
type Transport struct {
	// MaxRecvBytes and MaxSendBytes bound one message either way.
	MaxRecvBytes int
	MaxSendBytes int
	// MaxStreamsPerConn bounds the concurrent calls of one connection.
	MaxStreamsPerConn uint32
	// KeepaliveMinTime: a client pinging more often is disconnected.
	KeepaliveMinTime time.Duration
	// IdleTimeout closes a connection without calls for this long.
	IdleTimeout time.Duration
}

// Defaults are sized for a network of twenty organisations on one modest
// server (two cores, 4 GB), where one GetCase costs about 0.7 ms of CPU:
// a single caller or organisation can use a fair share but not the whole
// replica, and statistics run two at a time.
func Defaults() Config {
	var c Config
	c.Classes[Read] = ClassLimits{Rate: 50, Burst: 100, InFlight: 8, OrgRate: 200, OrgBurst: 400, OrgInFlight: 24, Timeout: 15 * time.Second}
	c.Classes[Write] = ClassLimits{Rate: 20, Burst: 40, InFlight: 4, OrgRate: 60, OrgBurst: 120, OrgInFlight: 12, Timeout: 30 * time.Second}
	c.Classes[Import] = ClassLimits{Rate: 1, Burst: 2, InFlight: 1, OrgInFlight: 2, ServerInFlight: 4, Timeout: 10 * time.Minute}
	c.Classes[Stats] = ClassLimits{Rate: 2, Burst: 4, InFlight: 2, OrgInFlight: 4, ServerInFlight: 2, Queue: 8, Timeout: 20 * time.Second}
	c.Classes[Watch] = ClassLimits{Rate: 5, Burst: 20, InFlight: 16, OrgInFlight: 200, ServerInFlight: 2000}
	c.Classes[Public] = ClassLimits{InFlight: 16, ServerInFlight: 256}
	// A document's upload or download holds a stream for as long as its
	// bytes take: a few at once per caller, a bounded number per replica.
	c.Classes[Transfer] = ClassLimits{Rate: 2, Burst: 10, InFlight: 4, OrgInFlight: 16, ServerInFlight: 64, Timeout: 10 * time.Minute}
	c.DocumentBytes = 50 << 20
	// A refusal waits for its retry delay, up to a second, so a flood paces
	// itself; a thousand held at once cost a few megabytes.
	c.Hold = Hold{Max: time.Second, PerCaller: 32, PerReplica: 1024}
	c.ImportRowsPerSecond, c.ImportRowsBurst = 500, 2000
	c.PageBytes, c.NotesPerCase = 1<<20, 1000
	// A shelter opens a few cases a day; a day's quota still takes a large
	// legacy import, and an operator raises it for a larger one.
	c.CaseQuota = CaseQuota{Cases: 10_000, Period: 24 * time.Hour}
	c.Transport = Transport{
		MaxRecvBytes:      1 << 20,
		MaxSendBytes:      4 << 20,
		MaxStreamsPerConn: 100,
		KeepaliveMinTime:  10 * time.Second,
		IdleTimeout:       15 * time.Minute,
	}
	// The admin listener serves scrapes every few seconds, probes and an
	// operator's pprof: a handful of connections at once.
	c.HTTP = HTTP{
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		MaxConns:          32,
	}
	return c
}

// RegisterFlags declares one flag per class (--limits-read ...) and the
// transport flags, with the defaults.
func (c *Config) RegisterFlags(fs *pflag.FlagSet) {
	*c = Defaults()
	for cl := Class(0); cl < numClasses; cl++ {
		fs.Var(&c.Classes[cl], "limits-"+cl.String(),
			fmt.Sprintf("limits of %s calls: rate=,burst=,inflight= per caller; org-rate=,org-burst=,org-inflight= per organisation; server-inflight=,queue=,timeout= per replica (0: none)", cl))
	}
	fs.Float64Var(&c.ImportRowsPerSecond, "limits-import-rows", c.ImportRowsPerSecond, "rows per second one organisation may import (0: no limit)")
	fs.IntVar(&c.ImportRowsBurst, "limits-import-burst", c.ImportRowsBurst, "rows an organisation may import at full speed before --limits-import-rows applies")
	fs.DurationVar(&c.Hold.Max, "limits-hold", c.Hold.Max, "a refused call is answered after its retry delay, up to this long, so that a client retrying at once paces itself (0: answer at once)")
	fs.IntVar(&c.Hold.PerCaller, "limits-hold-caller", c.Hold.PerCaller, "refusals of one caller held at once; more are answered at once")
	fs.IntVar(&c.Hold.PerReplica, "limits-hold-replica", c.Hold.PerReplica, "refusals held at once by the replica; more are answered at once")
	fs.IntVar(&c.PageBytes, "max-page-bytes", c.PageBytes, "byte budget of one page of a list (a next-page token follows)")
	fs.IntVar(&c.NotesPerCase, "max-notes-per-case", c.NotesPerCase, "notes one case may hold")
	fs.Int64Var(&c.DocumentBytes, "max-document-bytes", c.DocumentBytes, "largest document an upload may store, in bytes")
	fs.IntVar(&c.CaseQuota.Cases, "limits-cases", c.CaseQuota.Cases, "cases one organisation may create per --limits-cases-period, created and imported together, network-wide (0: no quota)")
	fs.DurationVar(&c.CaseQuota.Period, "limits-cases-period", c.CaseQuota.Period, "the period of --limits-cases")
	fs.IntVar(&c.Transport.MaxRecvBytes, "max-recv-bytes", c.Transport.MaxRecvBytes, "largest request message accepted, in bytes")
	fs.IntVar(&c.Transport.MaxSendBytes, "max-send-bytes", c.Transport.MaxSendBytes, "largest response message sent, in bytes")
	fs.Uint32Var(&c.Transport.MaxStreamsPerConn, "max-streams-per-conn", c.Transport.MaxStreamsPerConn, "concurrent calls one connection may have open")
	fs.DurationVar(&c.Transport.KeepaliveMinTime, "keepalive-min-time", c.Transport.KeepaliveMinTime, "clients pinging more often than this are disconnected")
	fs.DurationVar(&c.Transport.IdleTimeout, "idle-timeout", c.Transport.IdleTimeout, "a connection with no call for this long is closed")
	fs.StringVar(&c.MemoryLimit, "memory-limit", c.MemoryLimit, "soft memory limit of the process, such as 768MiB (default: 80% of the container's memory limit, else 1GiB; off: none; GOMEMLIMIT wins)")
	h := &c.HTTP
	fs.DurationVar(&h.ReadHeaderTimeout, "http-read-header-timeout", h.ReadHeaderTimeout, "HTTP listeners: longest wait for a request's headers")
	fs.DurationVar(&h.ReadTimeout, "http-read-timeout", h.ReadTimeout, "HTTP listeners: longest read of a whole request")
	fs.DurationVar(&h.WriteTimeout, "http-write-timeout", h.WriteTimeout, "HTTP listeners: longest write of a response (longer than any pprof profile asked for)")
	fs.DurationVar(&h.IdleTimeout, "http-idle-timeout", h.IdleTimeout, "HTTP listeners: a kept-alive connection idle this long is closed")
	fs.IntVar(&h.MaxHeaderBytes, "http-max-header-bytes", h.MaxHeaderBytes, "HTTP listeners: largest request header, in bytes")
	fs.IntVar(&h.MaxConns, "http-max-conns", h.MaxConns, "HTTP listeners: connections open at once, each listener (0: no bound)")
}

// String renders the limits in the syntax Set reads.
func (l *ClassLimits) String() string {
	if l == nil {
		return ""
	}
	return l.spec(false)
}

// spec renders the limits, the zero ones too when all is set.
func (l *ClassLimits) spec(all bool) string {
	var parts []string
	add := func(k string, v float64) {
		if v != 0 || all {
			parts = append(parts, k+"="+strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	add("rate", l.Rate)
	add("burst", float64(l.Burst))
	add("inflight", float64(l.InFlight))
	add("org-rate", l.OrgRate)
	add("org-burst", float64(l.OrgBurst))
	add("org-inflight", float64(l.OrgInFlight))
	add("server-inflight", float64(l.ServerInFlight))
	add("queue", float64(l.Queue))
	if l.Timeout != 0 || all {
		parts = append(parts, "timeout="+l.Timeout.String())
	}
	return strings.Join(parts, ",")
}

// Type names the flag's value in help texts.
func (l *ClassLimits) Type() string { return "limits" }

// Set reads "rate=50,burst=100,timeout=10s": the keys given replace the
// defaults, the others stay.
func (l *ClassLimits) Set(s string) error {
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q: want key=value", kv)
		}
		if err := l.set(k, v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func (l *ClassLimits) set(k, v string) error {
	if k == "timeout" {
		d, err := time.ParseDuration(v)
		l.Timeout = d
		return err
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 {
		return fmt.Errorf("%q is not a non-negative number", v)
	}
	switch k {
	case "rate":
		l.Rate = f
	case "org-rate":
		l.OrgRate = f
	default:
		n := map[string]*int{"burst": &l.Burst, "inflight": &l.InFlight, "org-burst": &l.OrgBurst,
			"org-inflight": &l.OrgInFlight, "server-inflight": &l.ServerInFlight, "queue": &l.Queue}[k]
		if n == nil {
			return fmt.Errorf("unknown limit (rate, burst, inflight, org-rate, org-burst, org-inflight, server-inflight, queue, timeout)")
		}
		*n = int(f)
	}
	return nil
}

// WithoutCallerLimits drops the rate and concurrency limits of callers and
// organisations and the case quota, keeping the replica's own bounds, the
// class timeouts and the transport limits: for measuring the server's
// capacity with few callers, and for tests that are not about the limits.
func (c Config) WithoutCallerLimits() Config {
	for cl := range c.Classes {
		l := &c.Classes[cl]
		l.Rate, l.Burst, l.InFlight, l.OrgRate, l.OrgBurst, l.OrgInFlight = 0, 0, 0, 0, 0, 0
	}
	c.ImportRowsPerSecond, c.ImportRowsBurst = 0, 0
	c.CaseQuota.Cases = 0
	return c
}

// Flags renders c as the command-line flags that configure a server the
// same way, for the tools that start casebridged as a process.
func (c Config) Flags() []string {
	var args []string
	for cl := Class(0); cl < numClasses; cl++ {
		args = append(args, "--limits-"+cl.String()+"="+c.Classes[cl].spec(true))
	}
	t := c.Transport
	return append(args,
		"--limits-import-rows="+strconv.FormatFloat(c.ImportRowsPerSecond, 'g', -1, 64),
		"--limits-import-burst="+strconv.Itoa(c.ImportRowsBurst),
		"--limits-hold="+c.Hold.Max.String(),
		"--limits-hold-caller="+strconv.Itoa(c.Hold.PerCaller),
		"--limits-hold-replica="+strconv.Itoa(c.Hold.PerReplica),
		"--max-recv-bytes="+strconv.Itoa(t.MaxRecvBytes),
		"--max-send-bytes="+strconv.Itoa(t.MaxSendBytes),
		"--max-streams-per-conn="+strconv.FormatUint(uint64(t.MaxStreamsPerConn), 10),
		"--keepalive-min-time="+t.KeepaliveMinTime.String(),
		"--idle-timeout="+t.IdleTimeout.String(),
		"--max-page-bytes="+strconv.Itoa(c.PageBytes),
		"--max-notes-per-case="+strconv.Itoa(c.NotesPerCase),
		"--max-document-bytes="+strconv.FormatInt(c.DocumentBytes, 10),
		"--limits-cases="+strconv.Itoa(c.CaseQuota.Cases),
		"--limits-cases-period="+c.CaseQuota.Period.String(),
		"--http-read-header-timeout="+c.HTTP.ReadHeaderTimeout.String(),
		"--http-read-timeout="+c.HTTP.ReadTimeout.String(),
		"--http-write-timeout="+c.HTTP.WriteTimeout.String(),
		"--http-idle-timeout="+c.HTTP.IdleTimeout.String(),
		"--http-max-header-bytes="+strconv.Itoa(c.HTTP.MaxHeaderBytes),
		"--http-max-conns="+strconv.Itoa(c.HTTP.MaxConns),
		"--memory-limit="+c.MemoryLimit)
}
