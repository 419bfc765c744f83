package media

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/livemall/livemall/backend/apperr"
)

func TestAcceptKeyAnswersRFC6455sExampleAndRefusesBadKeys(t *testing.T) {
	// RFC 6455 §1.3.
	got, err := acceptKey("dGhlIHNhbXBsZSBub25jZQ==")
	if err != nil || got != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("accept = %q, %v", got, err)
	}
	for _, key := range []string{"", "not base64!", "c2hvcnQ=", "dGhlIHNhbXBsZSBub25jZXh4eHg=", " dGhlIHNhbXBsZSBub25jZQ=="} {
		if _, err := acceptKey(key); apperr.Code(err) != apperr.Invalid {
			t.Errorf("key %q: err = %v, want invalid", key, err)
		}
	}
}

// clientFrame is a masked frame as a browser sends it.
func clientFrame(op ws.OpCode, fin bool, payload []byte) []byte {
	var buf bytes.Buffer
	f := ws.NewFrame(op, fin, append([]byte(nil), payload...))
	f = ws.MaskFrameInPlace(f)
	ws.WriteFrame(&buf, f)
	return buf.Bytes()
}

func frames(parts ...[]byte) io.Reader { return bytes.NewReader(bytes.Join(parts, nil)) }

func TestReadFramesReassemblesAnswersPingsAndRefusesBadFrames(t *testing.T) {
	msg := []byte(`{"type":"ping","v":1}`)
	unmasked := func() []byte {
		var buf bytes.Buffer
		ws.WriteFrame(&buf, ws.NewTextFrame(msg))
		return buf.Bytes()
	}()
	tests := []struct {
		name    string
		in      io.Reader
		want    string // the message, when it must arrive
		wantErr func(error) bool
		reply   ws.OpCode // a frame the server must answer with (0: none)
	}{
		{name: "one text frame", in: frames(clientFrame(ws.OpText, true, msg)), want: string(msg)},
		{name: "binary frame", in: frames(clientFrame(ws.OpBinary, true, msg)), want: string(msg)},
		{name: "fragments with a ping between", in: frames(clientFrame(ws.OpText, false, msg[:5]), clientFrame(ws.OpPing, true, []byte("hi")),
			clientFrame(ws.OpContinuation, true, msg[5:])), want: string(msg), reply: ws.OpPong},
		{name: "ping before the message", in: frames(clientFrame(ws.OpPing, true, nil), clientFrame(ws.OpText, true, msg)), want: string(msg), reply: ws.OpPong},
		{name: "close", in: frames(clientFrame(ws.OpClose, true, ws.NewCloseFrameBody(ws.StatusNormalClosure, ""))),
			wantErr: func(err error) bool { var c wsutil.ClosedError; return errors.As(err, &c) }, reply: ws.OpClose},
		{name: "unmasked", in: frames(unmasked), wantErr: func(err error) bool { var p ws.ProtocolError; return errors.As(err, &p) }},
		{name: "continuation first", in: frames(clientFrame(ws.OpContinuation, true, msg)), wantErr: func(err error) bool { var p ws.ProtocolError; return errors.As(err, &p) }},
		{name: "reserved op code", in: frames(clientFrame(ws.OpCode(3), true, msg)), wantErr: func(err error) bool { var p ws.ProtocolError; return errors.As(err, &p) }},
		{name: "bad UTF-8 in text", in: frames(clientFrame(ws.OpText, true, []byte{0xff, 0xfe})), wantErr: func(err error) bool { return errors.Is(err, wsutil.ErrInvalidUTF8) }},
		{name: "one frame over the limit", in: frames(clientFrame(ws.OpText, true, bytes.Repeat([]byte("x"), MaxMessageSize+1))),
			wantErr: func(err error) bool { return errors.Is(err, wsutil.ErrFrameTooLarge) }},
		{name: "fragments over the limit", in: frames(clientFrame(ws.OpText, false, bytes.Repeat([]byte("x"), MaxMessageSize)),
			clientFrame(ws.OpContinuation, true, []byte("xx"))), wantErr: func(err error) bool { return errors.Is(err, errMessageTooBig) }},
		{name: "cut short", in: frames(clientFrame(ws.OpText, true, msg)[:10]), wantErr: func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{name: "nothing", in: frames(), wantErr: func(err error) bool { return errors.Is(err, io.EOF) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := readFrames(tt.in, &out)
			if tt.wantErr != nil {
				if err == nil || !tt.wantErr(err) {
					t.Fatalf("err = %v (message %q)", err, got)
				}
			} else if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if tt.reply == 0 {
				if out.Len() != 0 {
					t.Fatalf("answered %x", out.Bytes())
				}
				return
			}
			f, err := ws.ReadFrame(&out)
			if err != nil || f.Header.OpCode != tt.reply || f.Header.Masked {
				t.Fatalf("reply %+v, %v; want an unmasked %v", f.Header, err, tt.reply)
			}
		})
	}
}

func FuzzReadFrames(f *testing.F) {
	f.Add(clientFrame(ws.OpText, true, []byte(`{"type":"ping","v":1}`)))
	f.Add(append(clientFrame(ws.OpText, false, []byte("ab")), clientFrame(ws.OpContinuation, true, []byte("c"))...))
	f.Add(clientFrame(ws.OpClose, true, []byte{3, 232}))
	f.Add(clientFrame(ws.OpPing, true, []byte("x")))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, err := readFrames(bytes.NewReader(raw), io.Discard)
		if err == nil && (len(got) > MaxMessageSize || len(got) > len(raw)) {
			t.Fatalf("accepted %d bytes out of %d", len(got), len(raw))
		}
	})
}
