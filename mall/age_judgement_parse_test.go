package mall

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

// tinyJPEG returns a valid JPEG of w×h pixels.
func tinyJPEG(tb testing.TB, w, h int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, w, h)), nil); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// judgementBody returns a judgement body with the frame raw.
func judgementBody(decision string, raw []byte, at string) string {
	b, _ := json.Marshal(map[string]string{"decision": decision, "frame": base64.StdEncoding.EncodeToString(raw), "frameAt": at})
	return string(b)
}

func TestParseJudgementRequestRefusesBadBodies(t *testing.T) {
	good := tinyJPEG(t, 8, 8)
	const at = "2026-12-05T07:00:00Z"
	huge := tinyJPEG(t, maxFrameSide+1, 1)
	tests := []struct{ name, body, message string }{
		{"empty", ``, "malformed JSON"},
		{"array", `[]`, "expected a JSON object"},
		{"no decision", `{"frame":"AAAA","frameAt":"` + at + `"}`, `"decision" is required`},
		{"unknown decision", judgementBody("underage", good, at), `"decision" must be`},
		{"decision in capitals", judgementBody("CONFIRM", good, at), `"decision" must be`},
		{"no frame time", `{"decision":"confirm","frame":"AAAA"}`, `"frameAt" is required`},
		{"frame time without zone", judgementBody("confirm", good, "2026-12-05T07:00:00"), `"frameAt" must be`},
		{"frame not base64", `{"decision":"confirm","frame":"***","frameAt":"` + at + `"}`, "base64"},
		{"url-safe base64", strings.Replace(judgementBody("confirm", []byte{0xfb, 0xff, 0xbf}, at), "+", "-", -1), "base64"},
		{"frame as number", `{"decision":"confirm","frame":5,"frameAt":"` + at + `"}`, "must be a string"},
		{"a PNG", judgementBody("confirm", []byte("\x89PNG\r\n\x1a\n0000"), at), "not a JPEG"},
		{"a GIF", judgementBody("confirm", []byte("GIF89a...."), at), "not a JPEG"},
		{"a truncated JPEG", judgementBody("confirm", good[:20], at), "not a readable JPEG"},
		{"too many pixels", judgementBody("confirm", huge, at), "pixels"},
		{"too large", judgementBody("confirm", append(append([]byte{}, good...), make([]byte, MaxFrameBytes)...), at), "larger than"},
		{"unknown field", strings.Replace(judgementBody("confirm", good, at), "}", `,"orderId":"x"}`, 1), "unknown field"},
		{"two objects", judgementBody("confirm", good, at) + "{}", "after the object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJudgementRequest([]byte(tt.body))
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tt.message) {
				t.Fatalf("got %v, want invalid with %q", err, tt.message)
			}
		})
	}
	for _, d := range []string{"confirm", "looks_underage", "not_account_holder"} {
		j, err := ParseJudgementRequest([]byte(judgementBody(d, good, at)))
		if err != nil || !bytes.Equal(j.Frame, good) || j.FrameAt.IsZero() {
			t.Fatalf("%s: %+v %v", d, j, err)
		}
	}
}

func TestParseRetentionRequestRefusesBadBodies(t *testing.T) {
	for body, message := range map[string]string{
		``:                           "malformed JSON",
		`{}`:                         `"retentionDays" is required`,
		`{"retentionDays":"30"}`:     "must be an integer",
		`{"retentionDays":1.5}`:      "must be an integer",
		`{"retentionDays":30,"x":1}`: "unknown field",
	} {
		if _, err := ParseRetentionRequest([]byte(body)); !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), message) {
			t.Errorf("%q: got %v, want invalid with %q", body, err, message)
		}
	}
}

// FuzzJudgementRequest: any body is either refused as invalid or yields a
// known decision and a JPEG frame within the bounds.
func FuzzJudgementRequest(f *testing.F) {
	good := tinyJPEG(f, 4, 4)
	f.Add([]byte(judgementBody("confirm", good, "2026-12-05T07:00:00Z")))
	f.Add([]byte(judgementBody("looks_underage", good[:30], "2026-12-05T07:00:00.123+01:00")))
	f.Add([]byte(`{"decision":"not_account_holder","frame":"/9j/","frameAt":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		j, err := ParseJudgementRequest(body)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error %v is not invalid", err)
			}
			return
		}
		switch j.Decision {
		case DecisionConfirmed, DecisionLooksUnderage, DecisionNotAccountHolder:
		default:
			t.Fatalf("decision %q", j.Decision)
		}
		if CheckFrame(j.Frame) != nil || j.FrameAt.IsZero() {
			t.Fatalf("accepted a bad frame or time: %d bytes at %v", len(j.Frame), j.FrameAt)
		}
	})
}

// FuzzCheckFrame: CheckFrame never panics and accepts only JPEGs within
// the bounds.
func FuzzCheckFrame(f *testing.F) {
	f.Add(tinyJPEG(f, 2, 2))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, frame []byte) {
		if CheckFrame(frame) == nil && (len(frame) > MaxFrameBytes || !bytes.HasPrefix(frame, []byte{0xff, 0xd8, 0xff})) {
			t.Fatalf("accepted %d bytes", len(frame))
		}
	})
}
