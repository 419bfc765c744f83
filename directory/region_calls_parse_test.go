package directory

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

func TestRingRequestBadCases(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `ring`, "one JSON object"},
		{"an array", `[]`, "one JSON object"},
		{"null", `null`, "needs number and accountId"},
		{"two objects", `{"number":"400000000001","accountId":"x"}{}`, "one JSON object"},
		{"a trailing brace", `{"number":"400000000001","accountId":"x"}}`, "one JSON object"},
		{"unknown field", `{"number":"400000000001","accountId":"x","deviceId":"ab"}`, "one JSON object"},
		{"no number", `{"accountId":"x"}`, "needs number"},
		{"no account", `{"number":"400000000001"}`, "needs number"},
		{"number grouped", `{"number":"4000 0000 0001","accountId":"x"}`, "12 digits"},
		{"number short", `{"number":"40000000001","accountId":"x"}`, "12 digits"},
		{"number not a string", `{"number":400000000001,"accountId":"x"}`, "one JSON object"},
		{"account empty", `{"number":"400000000001","accountId":""}`, "accountId must be"},
		{"account a wildcard", `{"number":"400000000001","accountId":"*"}`, "accountId must be"},
		{"account with a dot", `{"number":"400000000001","accountId":"a.b"}`, "accountId must be"},
		{"account too long", `{"number":"400000000001","accountId":"` + strings.Repeat("a", 65) + `"}`, "accountId must be"},
		{"too big", `{"number":"400000000001","accountId":"x","pad":"` + strings.Repeat(" ", 300) + `"}`, "at most 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRingRequest([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRingRequest(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	r, err := ParseRingRequest([]byte(` {"number":"400000000001","accountId":"ac_X-1"} `))
	if err != nil || r.Number != "400000000001" || r.AccountID != "ac_X-1" {
		t.Fatalf("a good request: %+v %v", r, err)
	}
}

func TestRingAnswerBadCases(t *testing.T) {
	dev := strings.Repeat("ab", 16)
	many := make([]string, maxRingDevices+1)
	for i := range many {
		many[i] = `{"deviceId":"` + strings.Repeat("0", 30) + string(rune('a'+i%6)) + string(rune('a'+i/6)) + `","state":"available"}`
	}
	tests := []struct{ name, body, want string }{
		{"not JSON", `ringing`, "one JSON object"},
		{"null", `null`, "state must be"},
		{"an array", `[]`, "one JSON object"},
		{"empty", `{}`, "state must be"},
		{"two objects", `{"state":"offline"}{"state":"offline"}`, "one JSON object"},
		{"unknown field", `{"state":"offline","node":"c-1"}`, "one JSON object"},
		{"unknown state", `{"state":"ringing"}`, "state must be"},
		{"push is not given", `{"state":"push"}`, "state must be"},
		{"device id with a dot", `{"state":"available","devices":[{"deviceId":"ab.cd","state":"available"}]}`, "distinct hex ids"},
		{"device id a wildcard", `{"state":"available","devices":[{"deviceId":">","state":"available"}]}`, "distinct hex ids"},
		{"device id upper case", `{"state":"available","devices":[{"deviceId":"ABCD","state":"available"}]}`, "distinct hex ids"},
		{"device id empty", `{"state":"available","devices":[{"deviceId":"","state":"available"}]}`, "distinct hex ids"},
		{"device id too long", `{"state":"available","devices":[{"deviceId":"` + strings.Repeat("a", 65) + `","state":"available"}]}`, "distinct hex ids"},
		{"device twice", `{"state":"available","devices":[{"deviceId":"` + dev + `","state":"available"},{"deviceId":"` + dev + `","state":"busy"}]}`, "distinct hex ids"},
		{"device offline", `{"state":"available","devices":[{"deviceId":"` + dev + `","state":"offline"}]}`, "distinct hex ids"},
		{"device unknown field", `{"state":"available","devices":[{"deviceId":"` + dev + `","state":"available","node":"x"}]}`, "one JSON object"},
		{"too many devices", `{"state":"available","devices":[` + strings.Join(many, ",") + `]}`, "at most 16 devices"},
		{"error with a state", `{"state":"available","error":{"code":"not_found","message":"no"}}`, "nothing beside it"},
		{"error with devices", `{"devices":[],"error":{"code":"not_found","message":"no"}}`, "nothing beside it"},
		{"error unknown code", `{"error":{"code":"teapot","message":"no"}}`, "known code"},
		{"error no message", `{"error":{"code":"not_found","message":""}}`, "known code"},
		{"error long message", `{"error":{"code":"not_found","message":"` + strings.Repeat("x", 301) + `"}}`, "known code"},
		{"too big", `{"state":"offline","devices":[],"x":"` + strings.Repeat(" ", 4096) + `"}`, "at most 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRingAnswer([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRingAnswer(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	a, err := ParseRingAnswer([]byte(`{"state":"busy","devices":[{"deviceId":"` + dev + `","state":"busy"}]}`))
	if err != nil || a.State != StateBusy || len(a.Devices) != 1 || a.Devices[0].DeviceID != dev {
		t.Fatalf("a good answer: %+v %v", a, err)
	}
	a, err = ParseRingAnswer([]byte(`{"error":{"code":"not_found","message":"nobody"}}`))
	if err != nil || a.Error == nil || a.Error.Code != apperr.NotFound {
		t.Fatalf("a good refusal: %+v %v", a, err)
	}
}

// FuzzParseRingRequest: any body is parsed or refused as Invalid; a parsed
// request carries a valid number and account id.
func FuzzParseRingRequest(f *testing.F) {
	f.Add([]byte(`{"number":"400000000001","accountId":"ac_1"}`))
	f.Add([]byte(`{"number":"4000 0000 0001","accountId":"a.b"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRingRequest(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if n, err := ParseNumber(string(r.Number)); err != nil || n != r.Number || !validAccountID(r.AccountID) {
			t.Fatalf("accepted a bad request %+v", r)
		}
	})
}

// FuzzParseRingAnswer: any body is parsed or refused as Invalid; a parsed
// answer is a refusal with a known code, or a state with at most
// maxRingDevices online devices whose ids can name no other subject.
func FuzzParseRingAnswer(f *testing.F) {
	f.Add([]byte(`{"state":"available","devices":[{"deviceId":"abcdef0123","state":"available"}]}`))
	f.Add([]byte(`{"error":{"code":"not_found","message":"nobody"}}`))
	f.Add([]byte(`{"state":"busy","devices":[{"deviceId":"a.>","state":"offline"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseRingAnswer(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if a.Error != nil {
			if !knownCode(a.Error.Code) || a.State != "" || len(a.Devices) != 0 {
				t.Fatalf("accepted a bad refusal %+v", a)
			}
			return
		}
		if !ringState(a.State) || len(a.Devices) > maxRingDevices {
			t.Fatalf("accepted a bad answer %+v", a)
		}
		for _, d := range a.Devices {
			if !validDeviceID(d.DeviceID) || strings.ContainsAny(d.DeviceID, ".*> ") || d.State == StateOffline {
				t.Fatalf("accepted a bad device %+v", d)
			}
		}
	})
}
