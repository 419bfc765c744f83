package directory

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

const (
	goodSum   = "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
	goodOffer = `{"kind":"offer","id":"msg_0123456789abcdef01234567","accountId":"ac_c1","number":"400000000001","fromName":"Alice","fromNumber":"200000000001","contentType":"audio/ogg","durationMs":3000,"bytes":4096,"sha256":"` + goodSum + `","createdAt":"2026-12-06T06:00:00Z"}`
	goodChunk = `{"kind":"chunk","id":"msg_0123456789abcdef01234567","offset":0,"data":"eA=="}`
)

// offerWith is goodOffer with one field's text replaced.
func offerWith(old, new string) string { return strings.Replace(goodOffer, old, new, 1) }

func TestRegionMessageRequestBadCases(t *testing.T) {
	big := `{"kind":"chunk","id":"msg_0123456789abcdef01234567","offset":0,"data":"` + strings.Repeat("A", maxRegionMessageRequest) + `"}`
	overChunk := `{"kind":"chunk","id":"msg_0123456789abcdef01234567","offset":0,"data":"` + strings.Repeat("AAAA", regionChunkBytes/3+1) + `"}`
	tests := []struct{ name, body, want string }{
		{"not JSON", `offer`, "one JSON object"},
		{"an array", `[]`, "one JSON object"},
		{"null", `null`, "needs kind and id"},
		{"empty", `{}`, "needs kind and id"},
		{"two objects", goodChunk + goodChunk, "one JSON object"},
		{"unknown field", strings.Replace(goodChunk, `"kind"`, `"node":"x","kind"`, 1), "one JSON object"},
		{"unknown kind", strings.Replace(goodChunk, `"chunk"`, `"commit"`, 1), "kind offer or chunk"},
		{"id without prefix", strings.Replace(goodChunk, "msg_", "call_", 1), "msg_ and 24 hex"},
		{"id a wildcard", strings.Replace(goodChunk, "msg_0123456789abcdef01234567", "msg_>", 1), "msg_ and 24 hex"},
		{"id upper case", strings.Replace(goodChunk, "abcdef", "ABCDEF", 1), "msg_ and 24 hex"},
		{"chunk without offset", strings.Replace(goodChunk, `"offset":0,`, ``, 1), "needs offset and data"},
		{"chunk without data", strings.Replace(goodChunk, `,"data":"eA=="`, ``, 1), "needs offset and data"},
		{"chunk with empty data", strings.Replace(goodChunk, `"eA=="`, `""`, 1), "1 to"},
		{"chunk data not base64", strings.Replace(goodChunk, `"eA=="`, `"%%%"`, 1), "one JSON object"},
		{"chunk negative offset", strings.Replace(goodChunk, `"offset":0`, `"offset":-1`, 1), "offset lies within"},
		{"chunk offset beyond any message", strings.Replace(goodChunk, `"offset":0`, `"offset":67108864`, 1), "offset lies within"},
		{"chunk with an offer's field", strings.Replace(goodChunk, `"offset"`, `"bytes":5,"offset"`, 1), "only id, offset and data"},
		{"chunk too big", overChunk, "1 to"},
		{"request too big", big, "at most"},
		{"offer with data", strings.Replace(goodOffer, `"kind"`, `"data":"eA==","kind"`, 1), "no offset or data"},
		{"offer without account", offerWith(`"accountId":"ac_c1",`, ``), "needs accountId"},
		{"offer without sha256", offerWith(`"sha256":"`+goodSum+`",`, ``), "needs accountId"},
		{"offer without createdAt", offerWith(`,"createdAt":"2026-12-06T06:00:00Z"`, ``), "needs accountId"},
		{"account a wildcard", offerWith(`"ac_c1"`, `"*"`), "names the account"},
		{"account with a dot", offerWith(`"ac_c1"`, `"a.b"`), "names the account"},
		{"number grouped", offerWith(`"400000000001"`, `"4000 0000 0001"`), "number as 12 digits"},
		{"number short", offerWith(`"400000000001"`, `"40000000001"`), "number as 12 digits"},
		{"caller's number letters", offerWith(`"200000000001"`, `"20000000000x"`), "caller's number"},
		{"from name empty", offerWith(`"Alice"`, `"  "`), "names the caller"},
		{"from name two lines", offerWith(`"Alice"`, `"Alice\nBob"`), "names the caller"},
		{"from name too long", offerWith(`"Alice"`, `"`+strings.Repeat("a", maxRegionFromName+1)+`"`), "names the caller"},
		{"content type html", offerWith(`"audio/ogg"`, `"text/html"`), "holds audio/ogg or video/webm"},
		{"duration zero", offerWith(`"durationMs":3000`, `"durationMs":0`), "lasts"},
		{"duration two hours", offerWith(`"durationMs":3000`, `"durationMs":7200000`), "lasts"},
		{"bytes zero", offerWith(`"bytes":4096`, `"bytes":0`), "holds 1 to"},
		{"bytes too many", offerWith(`"bytes":4096`, `"bytes":67108865`), "holds 1 to"},
		{"bytes a float", offerWith(`"bytes":4096`, `"bytes":4096.5`), "one JSON object"},
		{"sha256 short", offerWith(goodSum, goodSum[:62]), "SHA-256"},
		{"sha256 upper case", offerWith(goodSum, strings.ToUpper(goodSum)), "SHA-256"},
		{"createdAt not a time", offerWith(`"2026-12-06T06:00:00Z"`, `"yesterday"`), "one JSON object"},
		{"createdAt zero", offerWith(`"2026-12-06T06:00:00Z"`, `"0001-01-01T00:00:00Z"`), "says when"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegionMessageRequest([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRegionMessageRequest(%.200s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	o, err := ParseRegionMessageRequest([]byte(goodOffer))
	if err != nil || o.Kind != regionMessageOffer || o.AccountID != "ac_c1" || o.Number != "400000000001" || o.FromNumber == nil || *o.FromNumber != "200000000001" ||
		o.Bytes != 4096 || o.DurationMS != 3000 || o.SHA256 != goodSum || o.CreatedAt.IsZero() {
		t.Fatalf("a good offer: %+v %v", o, err)
	}
	c, err := ParseRegionMessageRequest([]byte(goodChunk))
	if err != nil || c.Kind != regionMessageChunk || c.Offset != 0 || string(c.Data) != "x" {
		t.Fatalf("a good chunk: %+v %v", c, err)
	}
}

func TestRegionMessageAnswerBadCases(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `ok`, "one JSON object"},
		{"unknown field", `{"delivered":true,"id":"x"}`, "one JSON object"},
		{"two objects", `{}{}`, "one JSON object"},
		{"node and delivered", `{"node":"ab","delivered":true}`, "names a node"},
		{"node a wildcard", `{"node":">"}`, "names a node"},
		{"node with a dot", `{"node":"ab.cd"}`, "names a node"},
		{"error with delivered", `{"delivered":true,"error":{"code":"not_found","message":"no"}}`, "nothing beside it"},
		{"error of unknown code", `{"error":{"code":"teapot","message":"no"}}`, "known code"},
		{"error without message", `{"error":{"code":"not_found","message":""}}`, "known code"},
		{"too big", `{"node":"` + strings.Repeat("a", maxRegionMessageAnswer) + `"}`, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegionMessageAnswer([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRegionMessageAnswer(%.200s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	for _, good := range []string{`{}`, `{"delivered":true}`, `{"node":"0123abcd"}`, `{"error":{"code":"unavailable","message":"later"}}`} {
		if _, err := ParseRegionMessageAnswer([]byte(good)); err != nil {
			t.Fatalf("a good answer %s: %v", good, err)
		}
	}
}

// FuzzParseRegionMessageRequest: any body is parsed or refused as
// Invalid; a parsed request is a chunk of 1 to regionChunkBytes bytes at
// an offset within a message, or an offer whose fields are all well
// formed; its id can name no other subject.
func FuzzParseRegionMessageRequest(f *testing.F) {
	f.Add([]byte(goodOffer))
	f.Add([]byte(goodChunk))
	f.Add([]byte(offerWith(`"ac_c1"`, `"a.>"`)))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRegionMessageRequest(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if !isMessageID(r.ID) || strings.ContainsAny(r.ID, ".*> ") {
			t.Fatalf("accepted a bad id %q", r.ID)
		}
		switch r.Kind {
		case regionMessageChunk:
			if len(r.Data) == 0 || len(r.Data) > regionChunkBytes || r.Offset < 0 || r.Offset >= maxRegionMessageBytes || r.AccountID != "" || r.Bytes != 0 {
				t.Fatalf("accepted a bad chunk %+v", r)
			}
		case regionMessageOffer:
			if n, err := ParseNumber(string(r.Number)); err != nil || n != r.Number || !validAccountID(r.AccountID) || r.Bytes <= 0 || r.Bytes > maxRegionMessageBytes ||
				r.DurationMS <= 0 || len(r.SHA256) != 64 || r.Data != nil || strings.TrimSpace(r.FromName) == "" || r.CreatedAt.IsZero() {
				t.Fatalf("accepted a bad offer %+v", r)
			}
		default:
			t.Fatalf("accepted a request of kind %q", r.Kind)
		}
	})
}

// FuzzParseRegionMessageAnswer: any body is parsed or refused as Invalid;
// a parsed answer is a refusal with a known code alone, or a node token
// that names no other subject, or delivered.
func FuzzParseRegionMessageAnswer(f *testing.F) {
	f.Add([]byte(`{"node":"0123abcd"}`))
	f.Add([]byte(`{"delivered":true}`))
	f.Add([]byte(`{"error":{"code":"not_found","message":"nobody"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseRegionMessageAnswer(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if a.Error != nil && (!knownCode(a.Error.Code) || a.Node != "" || a.Delivered) {
			t.Fatalf("accepted a bad refusal %+v", a)
		}
		if a.Node != "" && (a.Delivered || !validDeviceID(a.Node) || strings.ContainsAny(a.Node, ".*> ")) {
			t.Fatalf("accepted a bad node %+v", a)
		}
	})
}
