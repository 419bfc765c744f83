package directory

import (
	"context"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/media"
)

// checkRefusal fails unless err is nil or a refusal a device can act on:
// an apperr code other than internal, with a message.
func checkRefusal(t *testing.T, what string, data []byte, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if code := apperr.Code(err); code == apperr.Internal || apperr.Message(err) == "" {
		t.Fatalf("%s %q: unclear refusal %v", what, data, err)
	}
}

// FuzzDialData feeds arbitrary data as call.dial's: the strict decoding
// handleDial starts with, then the number it parses. Bad data is refused
// as invalid; what passes names a callback or a well-formed number.
func FuzzDialData(f *testing.F) {
	for _, s := range []string{`{"number":"2000 0000 0001","video":true}`, `{"number":"200000000001","avatar":true,"context":{"productId":7}}`,
		`{"callback":"qe_1","video":false}`, `{"number":12}`, `{"number":"1","extra":1}`, `null`, `[]`, ``, `{"context":{"productId":"x"}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var req dialRequest
		err := decodeData(media.Message{Type: "call.dial", Data: data}, &req)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("%q: %v is not invalid", data, err)
			}
			return
		}
		if req.Callback != "" {
			return
		}
		num, err := ParseNumber(req.Number)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("number %q: %v is not invalid", req.Number, err)
			}
			return
		}
		if len(num) != 12 {
			t.Fatalf("number %q parsed to %q", req.Number, num)
		}
	})
}

// FuzzCallMessageData feeds arbitrary data to the handler of every message
// about a call a device sends (answer, decline, hang-up, SDP answer, ICE
// candidate, video choice, queue choice) on a node with a real NATS and no
// call: malformed data is refused as invalid, well-formed data as "no such
// call", nothing else.
func FuzzCallMessageData(f *testing.F) {
	b, err := bus.Open(context.Background(), bus.Config{DataDir: f.TempDir(), Name: "fuzz-calls"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(b.Close)
	c := &Calls{bus: b.Conn}
	conn := &media.Conn{ID: "conn-1", AccountID: "ac_1", DeviceID: "dev-1"}
	for _, s := range []string{`{"callId":"call_0123"}`, `{"callId":"call_1","sdp":"v=0"}`, `{"callId":"call_1","candidate":{"candidate":"x"}}`,
		`{"callId":"call_1","accept":true}`, `{"callId":"call_1","choice":"message"}`, `{"callId":""}`, `{"callId":1}`, `{}`, `null`} {
		f.Add([]byte(s), uint8(0))
	}
	types := []string{"call.answer", "call.decline", "call.hangup", "rtc.answer", "rtc.candidate", "call.video.request", "call.video.response", "queue.choose", "call.invite"}
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		m := media.Message{Type: types[int(typ)%len(types)], V: media.ProtocolVersion, Data: data}
		err := c.relayToRoom(context.Background(), conn, m)
		if code := apperr.Code(err); code != apperr.Invalid && code != apperr.NotFound {
			t.Fatalf("%s %q: %v, want invalid or not found", m.Type, data, err)
		}
	})
}

// FuzzCallRoomMessage feeds arbitrary data to the room's side of each
// message a device may send about a ringing call it is no party of: the
// room refuses it clearly (invalid data, not yours, not now) and never
// panics, whatever the data.
func FuzzCallRoomMessage(f *testing.F) {
	for _, s := range []string{`{"callId":"call_1"}`, `{"callId":"call_1","sdp":"v=0\r\n"}`, `{"callId":"call_1","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host"}}`,
		`{"callId":"call_1","accept":false}`, `{"callId":"call_1","choice":"callback"}`, `{"callId":"call_1","choice":7}`, `{"entryId":"qe_1"}`, `[]`,
		`{"callId":"call_1","number":"2000 0000 0001"}`, `{"connId":"conn-x","accountId":"ac_x","name":"Noor","role":"listener"}`} {
		f.Add([]byte(s), uint8(0))
	}
	types := []string{"call.answer", "call.decline", "rtc.answer", "rtc.candidate", "call.video.request", "call.video.response", "queue.choose", "queue.offer", "call.video.live", "call.end", "call.invite", "call.join", "call.role", "call.leave", "no.such"}
	callee := "ac_callee"
	f.Fuzz(func(t *testing.T, data []byte, typ uint8) {
		cl := &call{rec: &CallRecord{ID: "call_1", CalleeAccountID: &callee}, state: callRinging, caller: party{ConnID: "conn-caller", AccountID: "ac_caller"}, callerIn: true}
		m := media.Message{Type: types[int(typ)%len(types)], V: media.ProtocolVersion, Data: data}
		err := cl.handle(roomEnvelope{From: party{ConnID: "conn-stranger", AccountID: "ac_stranger"}, Message: m})
		if err == nil {
			t.Fatalf("%s %q from a stranger was taken", m.Type, data)
		}
		checkRefusal(t, m.Type, data, err)
	})
}
