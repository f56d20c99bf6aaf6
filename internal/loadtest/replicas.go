package loadtest

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
)

// With --replicas N the harness starts N servers on the same database and
// data directory (one keyring, one token key) and its callers share one
// client connection that holds a connection to each replica and sends
// each call to the next (gRPC's round_robin balancer), as a client-side
// load balancer would. Every call's peer is counted, so each workload
// reports what each replica served and, with subprocess servers, the CPU
// each one spent per call. On a machine with few cores this cannot show
// scaling; it shows that nothing breaks across replicas (a referral made
// through one is accepted through another) and what each costs.

// ReplicaUse is one replica's share of a workload's measured window.
type ReplicaUse struct {
	// Replica is its number, from 1, in the order the servers started.
	Replica int    `json:"replica"`
	Addr    string `json:"addr"`
	// Calls is every call it answered in the window (errors included).
	Calls int64   `json:"calls"`
	RPS   float64 `json:"rps"`
	// ServerCores and ServerUsPerOp are its process's CPU (subprocess
	// servers only).
	ServerCores   float64 `json:"server_cores,omitempty"`
	ServerUsPerOp float64 `json:"server_us_per_op,omitempty"`
}

// replicaCounter counts calls by the replica that answered them.
type replicaCounter struct {
	addrs []string
	index map[string]int
	calls []atomic.Int64
	// other counts calls whose peer is none of the replicas (none is
	// expected: a call that never reached a server has no peer).
	other atomic.Int64
}

func newReplicaCounter(addrs []string) *replicaCounter {
	c := &replicaCounter{addrs: addrs, index: map[string]int{}, calls: make([]atomic.Int64, len(addrs))}
	for i, a := range addrs {
		c.index[a] = i
	}
	return c
}

func (c *replicaCounter) count(p *peer.Peer) {
	if p == nil || p.Addr == nil {
		c.other.Add(1)
		return
	}
	if i, ok := c.index[p.Addr.String()]; ok {
		c.calls[i].Add(1)
		return
	}
	c.other.Add(1)
}

func (c *replicaCounter) snap() []int64 {
	out := make([]int64, len(c.calls))
	for i := range c.calls {
		out[i] = c.calls[i].Load()
	}
	return out
}

func (c *replicaCounter) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var p peer.Peer
	err := invoker(ctx, method, req, reply, cc, append(opts, grpc.Peer(&p))...)
	c.count(&p)
	return err
}

func (c *replicaCounter) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err == nil {
		p, _ := peer.FromContext(cs.Context())
		c.count(p)
	}
	return cs, err
}

// dial connects to the server, or with several addresses to all of them
// behind one client connection that sends calls round-robin and counts
// them per replica (counter is nil for one address).
func dial(addrs []string) (*grpc.ClientConn, *replicaCounter, error) {
	creds := grpc.WithTransportCredentials(insecure.NewCredentials())
	if len(addrs) == 1 {
		conn, err := grpc.NewClient(addrs[0], creds)
		return conn, nil, err
	}
	counter := newReplicaCounter(addrs)
	r := manual.NewBuilderWithScheme("loadharness")
	state := resolver.State{}
	for _, a := range addrs {
		state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
	}
	r.InitialState(state)
	conn, err := grpc.NewClient(r.Scheme()+":///replicas", creds, grpc.WithResolvers(r),
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig":[{"round_robin":{}}]}`),
		grpc.WithChainUnaryInterceptor(counter.unary), grpc.WithChainStreamInterceptor(counter.stream))
	return conn, counter, err
}

// replicaShares turns two snapshots of the counter into each replica's
// share of a window of seconds; nil when no call reached a server (the
// limits, which query PostgreSQL directly).
func replicaShares(c *replicaCounter, before, after []int64, seconds float64) []ReplicaUse {
	var total int64
	for i := range after {
		total += after[i] - before[i]
	}
	if total == 0 {
		return nil
	}
	out := make([]ReplicaUse, len(c.addrs))
	for i, a := range c.addrs {
		out[i] = ReplicaUse{Replica: i + 1, Addr: a, Calls: after[i] - before[i]}
		if seconds > 0 {
			out[i].RPS = round2(float64(out[i].Calls) / seconds)
		}
	}
	return out
}

// replicaMarkdown is the report's per-replica table: each workload's
// total rate and what each replica served (and its CPU per call).
func (r *Report) replicaMarkdown(b *strings.Builder) {
	if r.Settings.Replicas < 2 {
		return
	}
	fmt.Fprintf(b, "\nreplicas: %d servers on one database and keyring, calls sent round-robin over one connection to each; a replica's cell is the calls/s it answered in the window, errors included (its server CPU µs/call, subprocess servers only); a referral flow is several calls\n\n", r.Settings.Replicas)
	b.WriteString("| workload | rps | calls/s, all replicas |")
	sep := "|---|---:|---:|"
	for i := 1; i <= r.Settings.Replicas; i++ {
		fmt.Fprintf(b, " replica %d |", i)
		sep += "---:|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, res := range r.Results {
		if len(res.Replicas) == 0 {
			continue
		}
		var all float64
		for _, u := range res.Replicas {
			all += u.RPS
		}
		fmt.Fprintf(b, "| %s | %.0f | %.0f |", res.Name, res.RPS, all)
		for _, u := range res.Replicas {
			if u.ServerUsPerOp > 0 {
				fmt.Fprintf(b, " %.0f (%.0f) |", u.RPS, u.ServerUsPerOp)
			} else {
				fmt.Fprintf(b, " %.0f |", u.RPS)
			}
		}
		b.WriteString("\n")
	}
}
