// Package limits keeps one caller from exhausting the server for everyone
// else: rate and concurrency limits per caller, per organisation and per
// server for each class of method, a deadline per class that no query
// outlives, and the transport limits of the gRPC server (message sizes,
// streams per connection, keepalive enforcement).
package limits

import "strings"

// Class groups methods that cost the server alike, so that one limit fits
// them all.
type Class int

// The method classes. Public calls need no token (health, reflection);
// Watch is a long-lived stream; Transfer moves a document's content (an
// upload or a download), which takes longer than any other call and is
// bounded by its bytes rather than its count.
const (
	Read Class = iota
	Write
	Import
	Stats
	Watch
	Public
	Transfer
	numClasses
)

var classNames = [numClasses]string{"read", "write", "import", "stats", "watch", "public", "transfer"}

func (c Class) String() string { return classNames[c] }

// readPrefixes are the verbs of methods that change nothing.
var readPrefixes = []string{"Get", "List", "Count", "Export", "Verify"}

// ClassOf names the class of a full gRPC method name
// ("/casebridge.v1.CaseService/GetCase").
func ClassOf(fullMethod string) Class {
	service, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	switch {
	case strings.HasPrefix(service, "grpc."):
		return Public
	case service == "casebridge.v1.StatsService":
		return Stats
	case strings.HasPrefix(method, "Import"):
		return Import
	case strings.HasPrefix(method, "Watch"):
		return Watch
	case strings.HasPrefix(method, "Upload"), strings.HasPrefix(method, "Download"):
		return Transfer
	}
	for _, p := range readPrefixes {
		if strings.HasPrefix(method, p) {
			return Read
		}
	}
	return Write
}
