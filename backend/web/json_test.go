package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

type sample struct {
	Name  string          `json:"name" required:"true"`
	Age   int             `json:"age"`
	Tags  []string        `json:"tags"`
	Extra json.RawMessage `json:"extra"`
}

func TestDecodeJSONBytesRefusesBadBodies(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"empty", ``, "ends too early"},
		{"truncated", `{"name":"a"`, "ends too early"},
		{"syntax", `{"name" "a"}`, "malformed JSON at byte"},
		{"array", `[]`, "expected a JSON object"},
		{"string", `"x"`, "expected a JSON object"},
		{"null name", `{"name":null}`, `field "name" is required`},
		{"unknown field", `{"name":"a","admin":true}`, `unknown field "admin"`},
		{"wrong type", `{"name":"a","age":"old"}`, `field "age" must be an integer`},
		{"wrong array", `{"name":"a","tags":"x"}`, `field "tags" must be an array`},
		{"missing required", `{"age":3}`, `field "name" is required`},
		{"blank required", `{"name":"  \t"}`, `field "name" is required`},
		{"two objects", `{"name":"a"}{"name":"b"}`, "unexpected data after the object"},
		{"trailing garbage", `{"name":"a"} x`, "unexpected data after the object"},
		{"float for int", `{"name":"a","age":1.5}`, `field "age" must be an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sample
			err := DecodeJSONBytes([]byte(tt.body), &s)
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("err = %v, want invalid with %q", err, tt.want)
			}
		})
	}
	var s sample
	if err := DecodeJSONBytes([]byte(` {"name":"Ana","age":3,"tags":["a"],"extra":{"k":1}} `), &s); err != nil || s.Name != "Ana" || s.Age != 3 {
		t.Fatalf("valid body: %+v %v", s, err)
	}
}

func FuzzDecodeJSONBytes(f *testing.F) {
	for _, seed := range []string{`{"name":"a"}`, `{"name":1}`, `[]`, `{"name":"a"}{}`, `{"extra":{"x":[1,2]}}`, "\x00", `{"name":"\ud800"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var s sample
		err := DecodeJSONBytes(body, &s)
		if err == nil {
			if strings.TrimSpace(s.Name) == "" {
				t.Fatalf("accepted %q without the required name", body)
			}
			return
		}
		if apperr.Code(err) != apperr.Invalid || apperr.Message(err) == "" {
			t.Fatalf("error %v is not an invalid-input error with a message", err)
		}
	})
}
