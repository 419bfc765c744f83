package directory

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

// storeDialBody is a store dial with the given fields, the others good.
func storeDialBody(number, connID, device, guest, flags string) string {
	return `{"number":"` + number + `","connId":"` + connID + `","deviceId":"` + device + `","guest":"` + guest + `",` + flags + `}`
}

func TestStoreDialBadCases(t *testing.T) {
	conn, guest := strings.Repeat("ab", 13), strings.Repeat("0f", 32)
	flags := `"video":true,"avatar":false`
	tests := []struct{ name, body, want string }{
		{"not JSON", `dial`, "one JSON object"},
		{"an array", `[]`, "one JSON object"},
		{"null", `null`, "needs number"},
		{"empty", `{}`, "needs number"},
		{"two objects", storeDialBody("200000000001", conn, "ab", guest, flags) + `{}`, "one JSON object"},
		{"unknown field", storeDialBody("200000000001", conn, "ab", guest, flags+`,"accountId":"ac_1"`), "one JSON object"},
		{"a name from the shopper", storeDialBody("200000000001", conn, "ab", guest, flags+`,"name":"Store Owner"`), "one JSON object"},
		{"no video", storeDialBody("200000000001", conn, "ab", guest, `"avatar":false`), "needs number"},
		{"no avatar", storeDialBody("200000000001", conn, "ab", guest, `"video":false`), "needs number"},
		{"video a string", storeDialBody("200000000001", conn, "ab", guest, `"video":"yes","avatar":false`), "one JSON object"},
		{"no guest", `{"number":"200000000001","connId":"` + conn + `","deviceId":"ab",` + flags + `}`, "needs number"},
		{"number grouped", storeDialBody("2000 0000 0001", conn, "ab", guest, flags), "12 digits"},
		{"number short", storeDialBody("20000000001", conn, "ab", guest, flags), "12 digits"},
		{"connection short", storeDialBody("200000000001", conn[1:], "ab", guest, flags), "connId is 26 hex"},
		{"connection a wildcard", storeDialBody("200000000001", conn[1:]+">", "ab", guest, flags), "connId is 26 hex"},
		{"connection with a dot", storeDialBody("200000000001", conn[:12]+"."+conn[13:], "ab", guest, flags), "connId is 26 hex"},
		{"connection upper case", storeDialBody("200000000001", strings.ToUpper(conn), "ab", guest, flags), "connId is 26 hex"},
		{"device with a dot", storeDialBody("200000000001", conn, "ab.cd", guest, flags), "deviceId is empty or"},
		{"device a wildcard", storeDialBody("200000000001", conn, "*", guest, flags), "deviceId is empty or"},
		{"device too long", storeDialBody("200000000001", conn, strings.Repeat("a", 65), guest, flags), "deviceId is empty or"},
		{"guest short", storeDialBody("200000000001", conn, "ab", guest[2:], flags), "guest is empty or 64 hex"},
		{"guest not hex", storeDialBody("200000000001", conn, "ab", strings.Repeat("g", 64), flags), "guest is empty or 64 hex"},
		{"too big", storeDialBody("200000000001", conn, "ab", guest, flags+`,"x":"`+strings.Repeat(" ", 512)+`"`), "at most 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStoreDial([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseStoreDial(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	d, err := ParseStoreDial([]byte(storeDialBody("200000000001", conn, "", guest, flags)))
	if err != nil || d.Number != "200000000001" || d.ConnID != conn || d.DeviceID != "" || d.Guest != guest || !d.Video || d.Avatar {
		t.Fatalf("a good dial: %+v %v", d, err)
	}
	d, err = ParseStoreDial([]byte(storeDialBody("200000000001", conn, "ab", "", flags)))
	if err != nil || d.Guest != "" {
		t.Fatalf("a member's dial: %+v %v", d, err)
	}
}

func TestStoreDialAnswerBadCases(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `queued`, "one JSON object"},
		{"null", `null`, "names a call id"},
		{"empty", `{}`, "names a call id"},
		{"an array", `[]`, "one JSON object"},
		{"two objects", `{"callId":"call_0123456789abcdef01234567"}{}`, "one JSON object"},
		{"unknown field", `{"callId":"call_0123456789abcdef01234567","node":"a-1"}`, "one JSON object"},
		{"call id a wildcard", `{"callId":"call_>"}`, "names a call id"},
		{"call id a subject", `{"callId":"call_0123456789abcdef0123456.x"}`, "names a call id"},
		{"call id upper case", `{"callId":"call_0123456789ABCDEF01234567"}`, "names a call id"},
		{"error with a call", `{"callId":"call_0123456789abcdef01234567","error":{"code":"not_found","message":"no"}}`, "nothing beside it"},
		{"error unknown code", `{"error":{"code":"teapot","message":"no"}}`, "known code"},
		{"error no message", `{"error":{"code":"not_found","message":""}}`, "known code"},
		{"error long message", `{"error":{"code":"not_found","message":"` + strings.Repeat("x", 301) + `"}}`, "known code"},
		{"too big", `{"callId":"call_0123456789abcdef01234567","x":"` + strings.Repeat(" ", 512) + `"}`, "at most 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStoreDialAnswer([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseStoreDialAnswer(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	a, err := ParseStoreDialAnswer([]byte(`{"callId":"call_0123456789abcdef01234567"}`))
	if err != nil || a.CallID != "call_0123456789abcdef01234567" || a.Error != nil {
		t.Fatalf("a good answer: %+v %v", a, err)
	}
	a, err = ParseStoreDialAnswer([]byte(`{"error":{"code":"not_found","message":"no store"}}`))
	if err != nil || a.Error == nil || a.Error.Code != apperr.NotFound || a.CallID != "" {
		t.Fatalf("a good refusal: %+v %v", a, err)
	}
}

// FuzzParseStoreDial: any body is parsed or refused as Invalid; a parsed
// dial carries a valid number and ids that can name no other subject.
func FuzzParseStoreDial(f *testing.F) {
	f.Add([]byte(storeDialBody("200000000001", strings.Repeat("ab", 13), "ab", strings.Repeat("0f", 32), `"video":true,"avatar":false`)))
	f.Add([]byte(storeDialBody("2000 0000 0001", "a.>", "*", "", `"video":1`)))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseStoreDial(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if n, err := ParseNumber(string(d.Number)); err != nil || n != d.Number {
			t.Fatalf("accepted a bad number %+v", d)
		}
		if len(d.ConnID) != connIDLen || d.Guest != "" && len(d.Guest) != guestHashLen || len(d.DeviceID) > 64 || strings.ContainsAny(d.ConnID+d.DeviceID+d.Guest, ".*> \x00ABCDEFghijklmnopqrstuvwxyz") {
			t.Fatalf("accepted bad ids %+v", d)
		}
	})
}

// FuzzParseStoreDialAnswer: any body is parsed or refused as Invalid; a
// parsed answer is a refusal with a known code or a call id that names one
// room's subject.
func FuzzParseStoreDialAnswer(f *testing.F) {
	f.Add([]byte(`{"callId":"call_0123456789abcdef01234567"}`))
	f.Add([]byte(`{"error":{"code":"not_found","message":"no store"}}`))
	f.Add([]byte(`{"callId":"call_>","error":{"code":"x","message":""}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseStoreDialAnswer(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if a.Error != nil {
			if !knownCode(a.Error.Code) || a.CallID != "" {
				t.Fatalf("accepted a bad refusal %+v", a)
			}
			return
		}
		if !isCallID(a.CallID) || strings.ContainsAny(a.CallID, ".*> ") {
			t.Fatalf("accepted a bad call id %+v", a)
		}
	})
}

func TestStoreDialWithdrawalBadCases(t *testing.T) {
	conn, dial := strings.Repeat("ab", 13), "0123456789abcdef"
	body := func(c, d string) string { return `{"connId":"` + c + `","dialId":"` + d + `"}` }
	tests := []struct{ name, body, want string }{
		{"not JSON", `withdraw`, "one JSON object"},
		{"an array", `[]`, "one JSON object"},
		{"null", `null`, "names a connId"},
		{"empty", `{}`, "names a connId"},
		{"two objects", body(conn, dial) + `{}`, "one JSON object"},
		{"unknown field", `{"connId":"` + conn + `","dialId":"` + dial + `","callId":"call_1"}`, "one JSON object"},
		{"no dial id", `{"connId":"` + conn + `"}`, "names a dialId"},
		{"connection short", body(conn[1:], dial), "names a connId"},
		{"connection a wildcard", body(conn[1:]+">", dial), "names a connId"},
		{"connection upper case", body(strings.ToUpper(conn), dial), "names a connId"},
		{"connection a number", `{"connId":12,"dialId":"` + dial + `"}`, "one JSON object"},
		{"dial id short", body(conn, dial[1:]), "names a dialId"},
		{"dial id not hex", body(conn, strings.Repeat("z", 16)), "names a dialId"},
		{"dial id empty", body(conn, ""), "names a dialId"},
		{"too big", `{"connId":"` + conn + `","dialId":"` + dial + `","x":"` + strings.Repeat(" ", 128) + `"}`, "at most 128 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStoreDialWithdrawal([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseStoreDialWithdrawal(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	w, err := ParseStoreDialWithdrawal([]byte(body(conn, dial)))
	if err != nil || w.ConnID != conn || w.DialID != dial {
		t.Fatalf("a good withdrawal: %+v %v", w, err)
	}
}

// FuzzParseStoreDialWithdrawal: any body is parsed or refused as Invalid;
// a parsed withdrawal names a connection and a dial by hex digits only.
func FuzzParseStoreDialWithdrawal(f *testing.F) {
	f.Add([]byte(`{"connId":"` + strings.Repeat("ab", 13) + `","dialId":"0123456789abcdef"}`))
	f.Add([]byte(`{"connId":"a.>","dialId":"*"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w, err := ParseStoreDialWithdrawal(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if len(w.ConnID) != connIDLen || len(w.DialID) != dialIDLen || !lowerHex(w.ConnID+w.DialID) {
			t.Fatalf("accepted %+v", w)
		}
	})
}

// TestStoreDialLedgerMatchesPlacementsAndWithdrawalsOfOneDial: a
// withdrawal finds the call placed for its dial, a placement finds the
// withdrawal of its dial, each once; another dial of the same connection
// is another key; both are forgotten after storeDialMemory.
func TestStoreDialLedgerMatchesPlacementsAndWithdrawalsOfOneDial(t *testing.T) {
	l := newStoreDialLedger()
	t0 := time.Unix(1_800_000_000, 0)
	one, two := storeDialKey("conn", "1111111111111111"), storeDialKey("conn", "2222222222222222")
	if l.place(one, "call_1", t0) {
		t.Fatal("a dial nobody withdrew was withdrawn")
	}
	if _, ok := l.withdraw(two, t0); ok {
		t.Fatal("withdrawing dial two found dial one's call")
	}
	if id, ok := l.withdraw(one, t0); !ok || id != "call_1" {
		t.Fatalf("withdrawing dial one: %q %v, want call_1", id, ok)
	}
	if _, ok := l.withdraw(one, t0); ok {
		t.Fatal("a second withdrawal found the call again")
	}
	if !l.place(two, "call_2", t0.Add(time.Second)) {
		t.Fatal("dial two, withdrawn before it was placed, was not")
	}
	l.withdraw(storeDialKey("conn", "3333333333333333"), t0)
	if l.place(storeDialKey("conn", "3333333333333333"), "call_3", t0.Add(storeDialMemory+time.Second)) {
		t.Fatal("a withdrawal older than storeDialMemory still counted")
	}
	if len(l.placed) != 1 || len(l.withdrawn) != 0 {
		t.Fatalf("the ledger keeps %d placements and %d withdrawals, want 1 and 0", len(l.placed), len(l.withdrawn))
	}
}
