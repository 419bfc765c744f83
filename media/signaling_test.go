package media

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

func TestParseMessageRefusesBadMessages(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"empty", ``, "ends too early"},
		{"not JSON", `ping`, "malformed JSON"},
		{"array", `[{"type":"ping"}]`, "expected a JSON object"},
		{"no type", `{"v":1}`, "no type"},
		{"no version", `{"type":"ping"}`, "version 0"},
		{"future version", `{"type":"ping","v":2}`, "version 2"},
		{"string version", `{"type":"ping","v":"1"}`, `field "v" must be an integer`},
		{"unknown field", `{"type":"ping","v":1,"to":"x"}`, `unknown field "to"`},
		{"two messages", `{"type":"ping","v":1}{"type":"ping","v":1}`, "unexpected data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMessage([]byte(tt.raw))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("err = %v, want invalid with %q", err, tt.want)
			}
		})
	}
	m, err := ParseMessage([]byte(`{"type":"ping","v":1,"data":{"n":1}}`))
	if err != nil || m.Type != "ping" || string(m.Data) != `{"n":1}` {
		t.Fatalf("valid message: %+v %v", m, err)
	}
}

func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{`{"type":"ping","v":1}`, `{"type":"x","v":1,"data":[1]}`, `{}`, `{"v":1e9}`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := ParseMessage(raw)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("non-invalid error %v", err)
			}
			return
		}
		if m.Type == "" || m.V != ProtocolVersion {
			t.Fatalf("accepted %q as %+v", raw, m)
		}
	})
}
