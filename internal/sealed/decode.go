package sealed

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/casebridge/casebridge/internal/dataclass"
	"github.com/casebridge/casebridge/internal/vault"
	casebridgev1 "github.com/casebridge/casebridge/proto/casebridge/v1"
)

// Decode turns the opened plaintext of a value of column c in class into
// JSON, by the column's encoding: a class message as protobuf JSON, text
// as a JSON string, texts as the JSON object they are, a document's
// envelope as its texts without its key. It is how a reader
// without the services (a recovery export) shows what a value holds.
func Decode(c *vault.Column, class dataclass.Class, plain []byte) (json.RawMessage, error) {
	switch c.Encoding() {
	case vault.EncodingClassMessage:
		fd := (&casebridgev1.Case{}).ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(class))
		if fd == nil || fd.Message() == nil {
			return nil, fmt.Errorf("decode %s: no message for class %s", c, class)
		}
		msg := (&casebridgev1.Case{}).ProtoReflect().NewField(fd).Message().Interface()
		if err := proto.Unmarshal(plain, msg); err != nil {
			return nil, fmt.Errorf("decode %s (%s): %w", c, class, err)
		}
		return protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	case vault.EncodingText:
		if !utf8.Valid(plain) {
			return nil, fmt.Errorf("decode %s: not UTF-8 text", c)
		}
		return json.Marshal(string(plain))
	case vault.EncodingTexts:
		var obj map[string]any
		if err := json.Unmarshal(plain, &obj); err != nil {
			return nil, fmt.Errorf("decode %s: %w", c, err)
		}
		return json.Marshal(obj)
	case vault.EncodingDocument:
		var obj map[string]any
		if err := json.Unmarshal(plain, &obj); err != nil {
			return nil, fmt.Errorf("decode %s: %w", c, err)
		}
		// The key opens the content, which an export does not carry: it is
		// left out so that an exported file is no key to the blob store.
		delete(obj, "key")
		return json.Marshal(obj)
	}
	return nil, fmt.Errorf("decode %s: unknown encoding", c)
}
