package limits

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
)

// ServerOptions are the transport limits as gRPC server options: message
// sizes either way, concurrent streams per connection, and a keepalive
// policy that disconnects clients pinging too often or connections left
// idle.
func (t Transport) ServerOptions() []grpc.ServerOption {
	var opts []grpc.ServerOption
	if t.MaxRecvBytes > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(t.MaxRecvBytes))
	}
	if t.MaxSendBytes > 0 {
		opts = append(opts, grpc.MaxSendMsgSize(t.MaxSendBytes))
	}
	if t.MaxStreamsPerConn > 0 {
		opts = append(opts, grpc.MaxConcurrentStreams(t.MaxStreamsPerConn))
	}
	if t.KeepaliveMinTime > 0 {
		// Streams such as WatchReferrals may ping while no call is active.
		opts = append(opts, grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime: t.KeepaliveMinTime, PermitWithoutStream: true,
		}))
	}
	params := keepalive.ServerParameters{MaxConnectionIdle: t.IdleTimeout}
	opts = append(opts, grpc.KeepaliveParams(params))
	return opts
}
