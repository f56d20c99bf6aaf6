package tracing

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// QueryTracer is a pgx tracer that opens a span per statement, batch and
// COPY run inside a traced call. A span is named by the statement's first
// keyword ("postgresql SELECT") and carries neither the SQL text (a reader
// could learn the schema of sealed columns and, from literals, data) nor
// its arguments (ciphertext, hashes, ids), and a failure records only its
// SQLSTATE: PostgreSQL's messages quote values. Statements outside any call
// (background sweeps, LISTEN) are not traced: they would be roots of their
// own and only noise.
type QueryTracer struct {
	tracer trace.Tracer
}

// QueryTracer returns the pgx tracer of t's provider.
func (t *Tracing) QueryTracer() *QueryTracer {
	return &QueryTracer{tracer: t.provider.Tracer("github.com/casebridge/casebridge/internal/tracing")}
}

var (
	_ pgx.QueryTracer    = (*QueryTracer)(nil)
	_ pgx.BatchTracer    = (*QueryTracer)(nil)
	_ pgx.CopyFromTracer = (*QueryTracer)(nil)
)

func (q *QueryTracer) start(ctx context.Context, operation string) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	ctx, _ = q.tracer.Start(ctx, "postgresql "+operation, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("db.system.name", "postgresql"), attribute.String("db.operation.name", operation)))
	return ctx
}

func end(ctx context.Context, err error) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if err != nil {
		code := "error"
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			code = pgErr.Code
			span.SetAttributes(attribute.String("db.response.status_code", pgErr.Code))
		} else if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			code = "cancelled"
		}
		span.SetStatus(codes.Error, code)
	}
	span.End()
}

// TraceQueryStart opens the statement's span.
func (q *QueryTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return q.start(ctx, Keyword(data.SQL))
}

// TraceQueryEnd closes it.
func (q *QueryTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	end(ctx, data.Err)
}

// TraceBatchStart opens one span for the whole batch.
func (q *QueryTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return q.start(ctx, "BATCH")
}

// TraceBatchQuery records nothing per statement of a batch.
func (q *QueryTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd closes the batch's span.
func (q *QueryTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	end(ctx, data.Err)
}

// TraceCopyFromStart opens a COPY's span (without the table's name).
func (q *QueryTracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	return q.start(ctx, "COPY")
}

// TraceCopyFromEnd closes it.
func (q *QueryTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceCopyFromEndData) {
	end(ctx, data.Err)
}

// keywords are the statement kinds a span may be named by; anything else
// is OTHER, so that no word of an unexpected text becomes a span name.
var keywords = map[string]bool{
	"SELECT": true, "INSERT": true, "UPDATE": true, "DELETE": true, "WITH": true, "MERGE": true, "VALUES": true,
	"BEGIN": true, "COMMIT": true, "ROLLBACK": true, "SAVEPOINT": true, "RELEASE": true, "SET": true, "RESET": true, "SHOW": true,
	"LISTEN": true, "UNLISTEN": true, "NOTIFY": true, "LOCK": true, "COPY": true, "TRUNCATE": true,
	"CREATE": true, "ALTER": true, "DROP": true, "GRANT": true, "REVOKE": true, "DO": true, "CALL": true,
	"DECLARE": true, "FETCH": true, "CLOSE": true, "DISCARD": true, "DEALLOCATE": true, "EXPLAIN": true, "ANALYZE": true, "VACUUM": true,
}

// Keyword is the statement's first keyword in upper case, skipping leading
// space and comments, or OTHER when it is not a known statement kind.
func Keyword(sql string) string {
	for {
		sql = strings.TrimLeft(sql, " \t\r\n(")
		switch {
		case strings.HasPrefix(sql, "--"):
			i := strings.IndexByte(sql, '\n')
			if i < 0 {
				return "OTHER"
			}
			sql = sql[i+1:]
			continue
		case strings.HasPrefix(sql, "/*"):
			i := strings.Index(sql, "*/")
			if i < 0 {
				return "OTHER"
			}
			sql = sql[i+2:]
			continue
		}
		break
	}
	end := strings.IndexFunc(sql, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') })
	if end < 0 {
		end = len(sql)
	}
	if w := strings.ToUpper(sql[:end]); keywords[w] {
		return w
	}
	return "OTHER"
}
