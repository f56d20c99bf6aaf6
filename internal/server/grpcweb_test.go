package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casebridge/casebridge/internal/server"
	"github.com/casebridge/casebridge/internal/servertest"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// grpcWebReply is one gRPC-Web response: its data frames and its status
// (from the headers of a trailers-only response, else the trailer frame).
type grpcWebReply struct {
	messages [][]byte
	status   string
	message  string
}

// grpcWebCall posts req as a browser's gRPC-Web client does, over
// HTTP/1.1: one length-prefixed frame (binary gRPC-Web,
// application/grpc-web+proto).
func grpcWebCall(t *testing.T, addr, method, token string, req proto.Message) grpcWebReply {
	t.Helper()
	return grpcWebPost(t, addr, method, token, req, false)
}

// grpcWebTextCall is grpcWebCall in the base64 text framing
// (application/grpc-web-text), as grpc-web's default "grpcwebtext" mode
// sends it; the answer is decoded from base64 before its frames are read.
func grpcWebTextCall(t *testing.T, addr, method, token string, req proto.Message) grpcWebReply {
	t.Helper()
	return grpcWebPost(t, addr, method, token, req, true)
}

func grpcWebPost(t *testing.T, addr, method, token string, req proto.Message, text bool) grpcWebReply {
	t.Helper()
	msg, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	frame := make([]byte, 5, 5+len(msg))
	binary.BigEndian.PutUint32(frame[1:], uint32(len(msg)))
	frame = append(frame, msg...)
	contentType, body := "application/grpc-web+proto", frame
	if text {
		contentType, body = "application/grpc-web-text", []byte(base64.StdEncoding.EncodeToString(frame))
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		hr, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/casebridge.v1."+method, bytes.NewReader(body))
		hr.Header.Set("Content-Type", contentType)
		hr.Header.Set("X-Grpc-Web", "1")
		if text {
			hr.Header.Set("Accept", "application/grpc-web-text")
		}
		if token != "" {
			hr.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err = client.Do(hr)
		if err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Fatalf("not HTTP/1.1: %s", resp.Proto)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: HTTP %s (gRPC-Web answers 200 and puts the outcome in grpc-status)", method, resp.Status)
	}
	ct := resp.Header.Get("Content-Type")
	if !strings.HasPrefix(ct, "application/grpc-web") {
		t.Fatalf("%s: content type %q, want gRPC-Web", method, ct)
	}
	if isText := strings.HasPrefix(ct, "application/grpc-web-text"); isText != text {
		t.Fatalf("%s: content type %q answering %s", method, ct, contentType)
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if text {
		raw = fromBase64Parts(t, raw)
	}
	out := grpcWebReply{status: resp.Header.Get("Grpc-Status"), message: resp.Header.Get("Grpc-Message")}
	for len(raw) > 0 {
		if len(raw) < 5 {
			t.Fatalf("%s: truncated frame header", method)
		}
		flag, n := raw[0], binary.BigEndian.Uint32(raw[1:5])
		if uint32(len(raw)-5) < n {
			t.Fatalf("%s: truncated frame", method)
		}
		payload := raw[5 : 5+n]
		raw = raw[5+n:]
		if flag&0x80 == 0 {
			out.messages = append(out.messages, payload)
			continue
		}
		tr, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(payload, "\r\n"...)))).ReadMIMEHeader()
		if err != nil && err != io.EOF {
			t.Fatalf("%s: trailer frame: %v", method, err)
		}
		out.status, out.message = tr.Get("Grpc-Status"), tr.Get("Grpc-Message")
	}
	return out
}

// TestGRPCWebOverHTTP1 calls the API as a browser's gRPC-Web client does
// on the HTTP listener: no token is Unauthenticated, a valid token is
// served the same message as over gRPC, another organisation's case is
// NotFound and a bad id InvalidArgument, each in grpc-status as a gRPC-Web
// client expects. The admin listener counts the listener's requests by
// protocol and HTTP status.
func TestGRPCWebOverHTTP1(t *testing.T) {
	addr, admin := freeAddr(t), freeAddr(t)
	env := servertest.Start(t, func(c *server.Config) { c.HTTPListen = addr; c.AdminListen = admin })
	r := grpcWebCall(t, addr, "OrganizationService/GetCallerIdentity", "", &casebridgev1.GetCallerIdentityRequest{})
	if r.status != "16" || len(r.messages) != 0 {
		t.Fatalf("no token: grpc-status %q (%s), %d messages; want 16 (Unauthenticated) and none", r.status, r.message, len(r.messages))
	}
	r = grpcWebCall(t, addr, "OrganizationService/GetCallerIdentity", env.Token(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{})
	if r.status != "0" || len(r.messages) != 1 {
		t.Fatalf("with a token: grpc-status %q (%s), %d messages; want 0 and one", r.status, r.message, len(r.messages))
	}
	var who casebridgev1.GetCallerIdentityResponse
	if err := proto.Unmarshal(r.messages[0], &who); err != nil {
		t.Fatal(err)
	}
	if who.GetSubject() != "caseworker@shelter-a" || len(who.GetMemberships()) == 0 {
		t.Fatalf("caller identity %v", &who)
	}
	caseID := env.NewMarkedCase(t)
	r = grpcWebCall(t, addr, "CaseService/GetCase", env.Token(t, "caseworker@cso-c"), &casebridgev1.GetCaseRequest{Id: caseID})
	if r.status != "5" {
		t.Fatalf("another organisation's case: grpc-status %q (%s), want 5 (NotFound)", r.status, r.message)
	}
	r = grpcWebCall(t, addr, "CaseService/GetCase", env.Token(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: "not-a-uuid"})
	if r.status != "3" {
		t.Fatalf("invalid id: grpc-status %q (%s), want 3 (InvalidArgument)", r.status, r.message)
	}
	r = grpcWebCall(t, addr, "CaseService/GetCase", env.Token(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
	if r.status != "0" || len(r.messages) != 1 {
		t.Fatalf("own case: grpc-status %q (%s), %d messages", r.status, r.message, len(r.messages))
	}
	var got casebridgev1.GetCaseResponse
	if err := proto.Unmarshal(r.messages[0], &got); err != nil || got.GetCase().GetId() != caseID {
		t.Fatalf("own case: %v %v", err, &got)
	}
	// Five gRPC-Web requests (each answered 200, the outcome in
	// grpc-status) and one Connect request refused without a token (401).
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/casebridge.v1.OrganizationService/GetCallerIdentity", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Connect-Protocol-Version", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Connect without a token: %s", resp.Status)
	}
	fams := scrape(t, admin)
	for _, want := range []struct {
		labels map[string]string
		n      float64
	}{
		{map[string]string{"protocol": "grpc_web", "code": "200"}, 5},
		{map[string]string{"protocol": "connect", "code": "401"}, 1},
	} {
		if got := value(fams, "casebridge_http_requests_total", want.labels); got != want.n {
			t.Errorf("casebridge_http_requests_total%v = %v, want %v", want.labels, got, want.n)
		}
	}
	if got := value(fams, "casebridge_http_requests_in_flight", nil); got != 0 {
		t.Errorf("casebridge_http_requests_in_flight = %v after the calls, want 0", got)
	}
}

// fromBase64Parts decodes a grpc-web-text body: base64 that may be several
// padded parts in a row (one per flush), so it is decoded a quantum of
// four characters at a time.
func fromBase64Parts(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b)%4 != 0 {
		t.Fatalf("grpc-web-text body of %d characters is not base64: %q", len(b), b)
	}
	var out []byte
	for i := 0; i < len(b); i += 4 {
		q, err := base64.StdEncoding.DecodeString(string(b[i : i+4]))
		if err != nil {
			t.Fatalf("grpc-web-text body at %d: %v (%q)", i, err, b)
		}
		out = append(out, q...)
	}
	return out
}

// TestGRPCWebTextOverHTTP1 is TestGRPCWebOverHTTP1 in the base64 text
// framing (application/grpc-web-text) on the same HTTP listener: the
// outcome in grpc-status, the caller's identity and case decoded from the
// base64 answer (whose content type says grpc-web-text), another
// organisation's case NotFound; a body that is not base64 is refused
// with 400 before it becomes a call. Without the text framing's decoder
// the transcoder answers 415 to all of it.
func TestGRPCWebTextOverHTTP1(t *testing.T) {
	addr, admin := freeAddr(t), freeAddr(t)
	env := servertest.Start(t, func(c *server.Config) { c.HTTPListen = addr; c.AdminListen = admin })
	r := grpcWebTextCall(t, addr, "OrganizationService/GetCallerIdentity", "", &casebridgev1.GetCallerIdentityRequest{})
	if r.status != "16" || len(r.messages) != 0 {
		t.Fatalf("no token: grpc-status %q (%s), %d messages; want 16 (Unauthenticated) and none", r.status, r.message, len(r.messages))
	}
	r = grpcWebTextCall(t, addr, "OrganizationService/GetCallerIdentity", env.Token(t, "caseworker@shelter-a"), &casebridgev1.GetCallerIdentityRequest{})
	if r.status != "0" || len(r.messages) != 1 {
		t.Fatalf("with a token: grpc-status %q (%s), %d messages; want 0 and one", r.status, r.message, len(r.messages))
	}
	var who casebridgev1.GetCallerIdentityResponse
	if err := proto.Unmarshal(r.messages[0], &who); err != nil {
		t.Fatal(err)
	}
	if who.GetSubject() != "caseworker@shelter-a" || len(who.GetMemberships()) == 0 {
		t.Fatalf("caller identity %v", &who)
	}
	caseID := env.NewMarkedCase(t)
	r = grpcWebTextCall(t, addr, "CaseService/GetCase", env.Token(t, "caseworker@cso-c"), &casebridgev1.GetCaseRequest{Id: caseID})
	if r.status != "5" {
		t.Fatalf("another organisation's case: grpc-status %q (%s), want 5 (NotFound)", r.status, r.message)
	}
	r = grpcWebTextCall(t, addr, "CaseService/GetCase", env.Token(t, "caseworker@shelter-a"), &casebridgev1.GetCaseRequest{Id: caseID})
	if r.status != "0" || len(r.messages) != 1 {
		t.Fatalf("own case: grpc-status %q (%s), %d messages", r.status, r.message, len(r.messages))
	}
	var got casebridgev1.GetCaseResponse
	if err := proto.Unmarshal(r.messages[0], &got); err != nil || got.GetCase().GetId() != caseID {
		t.Fatalf("own case: %v %v", err, &got)
	}

	hr, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/casebridge.v1.OrganizationService/GetCallerIdentity", strings.NewReader("not base64!"))
	hr.Header.Set("Content-Type", "application/grpc-web-text")
	hr.Header.Set("Authorization", "Bearer "+env.Token(t, "caseworker@shelter-a"))
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a body that is not base64: %s, want 400", resp.Status)
	}
	fams := scrape(t, admin)
	if got := value(fams, "casebridge_http_requests_total", map[string]string{"protocol": "grpc_web", "code": "200"}); got != 4 {
		t.Errorf("casebridge_http_requests_total{grpc_web,200} = %v, want 4", got)
	}
}

// TestGRPCWebTextStreamsAsWritten: a server stream in the text framing
// reaches the client while it is open. A lawyer's WatchReferrals over
// grpc-web-text receives, before the stream ends, the event of a referral
// made after it began: each part the server flushes is base64 of its own
// (padded), so the client decodes messages as they come instead of at the
// end of a stream that may never end.
func TestGRPCWebTextStreamsAsWritten(t *testing.T) {
	addr := freeAddr(t)
	env := servertest.Start(t, func(c *server.Config) { c.HTTPListen = addr })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	msg, _ := proto.Marshal(&casebridgev1.WatchReferralsRequest{})
	frame := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	frame = append(frame, msg...)
	token := env.Token(t, "lawyer@legal-b")
	ids := make(chan string, 64)
	failed := make(chan string, 1)
	// The response's headers travel with its first message, so the call
	// is read in a goroutine while referrals are made.
	go func() {
		defer close(ids)
		var resp *http.Response
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+"/casebridge.v1.ReferralService/WatchReferrals",
				strings.NewReader(base64.StdEncoding.EncodeToString(frame)))
			hr.Header.Set("Content-Type", "application/grpc-web-text")
			hr.Header.Set("Accept", "application/grpc-web-text")
			hr.Header.Set("X-Grpc-Web", "1")
			hr.Header.Set("Authorization", "Bearer "+token)
			var err error
			if resp, err = http.DefaultClient.Do(hr); err == nil {
				break
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				failed <- err.Error()
				return
			}
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "application/grpc-web-text") {
			failed <- fmt.Sprintf("WatchReferrals: %s, content type %q, grpc-status %q", resp.Status, ct, resp.Header.Get("Grpc-Status"))
			return
		}
		var text, raw []byte
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			text = append(text, buf[:n]...)
			// Decode every whole quantum received so far.
			for len(text) >= 4 {
				q, derr := base64.StdEncoding.DecodeString(string(text[:4]))
				if derr != nil {
					failed <- fmt.Sprintf("not base64: %v", derr)
					return
				}
				raw, text = append(raw, q...), text[4:]
			}
			for len(raw) >= 5 {
				size := binary.BigEndian.Uint32(raw[1:5])
				if uint32(len(raw)-5) < size {
					break
				}
				flag, payload := raw[0], raw[5:5+size]
				raw = raw[5+size:]
				if flag&0x80 != 0 {
					failed <- "the stream ended: " + string(payload)
					return
				}
				var ev casebridgev1.WatchReferralsResponse
				if proto.Unmarshal(payload, &ev) == nil {
					ids <- ev.GetEvent().GetReferral().GetId()
				}
			}
			if err != nil {
				failed <- "reading the stream: " + err.Error()
				return
			}
		}
	}()
	// Referrals of new cases, one every half second until the open
	// stream carries one of them (the first may come before the watch has
	// begun, and would rightly not be news to it).
	made := map[string]bool{}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	next := func(within time.Duration, refer bool) {
		t.Helper()
		give := time.After(within)
		for {
			select {
			case id, ok := <-ids:
				if !ok {
					t.Fatalf("the grpc-web-text stream ended before it carried a referral: %s", <-failed)
				}
				if made[id] {
					return
				}
			case why := <-failed:
				t.Fatal(why)
			case <-tick.C:
				if refer {
					ref := env.Refer(t, env.NewMarkedCase(t), casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
					made[ref.GetId()] = true
				}
			case <-give:
				t.Fatalf("no event of the referral within %s over grpc-web-text: the stream is not sent as it is written", within)
			}
		}
	}
	next(15*time.Second, true)
	// The watch is live: one more referral, alone, must arrive on its own,
	// not when later output pushes it out.
	for id := range made {
		delete(made, id)
	}
	ref := env.Refer(t, env.NewMarkedCase(t), casebridgev1.ServiceKind_SERVICE_KIND_LEGAL, casebridgev1.DataClass_DATA_CLASS_LEGAL)
	made[ref.GetId()] = true
	next(5*time.Second, false)
}
