package notices_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/notices"
	"github.com/livemall/livemall/push/pushtest"
)

// mail is one message the local SMTP server took.
type mail struct{ to, data string }

// smtpServer is a local SMTP server (enough of RFC 5321 for net/smtp, no
// STARTTLS, no AUTH) that keeps every message it is given.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	mail []mail
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(line string) { fmt.Fprint(conn, line+"\r\n") }
	reply("220 local.test ESMTP")
	var to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		switch verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0]); verb {
		case "EHLO", "HELO":
			reply("250 local.test")
		case "MAIL":
			reply("250 ok")
		case "RCPT":
			to = strings.Trim(strings.TrimPrefix(strings.ToUpper(line[:8]), "RCPT TO:")+line[8:], "<> ")
			reply("250 ok")
		case "DATA":
			reply("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(strings.TrimPrefix(l, "."))
			}
			data := b.String()
			if head, body, ok := strings.Cut(data, "\r\n\r\n"); ok && strings.Contains(head, "quoted-printable") {
				if plain, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body))); err == nil {
					data = head + "\r\n\r\n" + string(plain)
				}
			}
			s.mu.Lock()
			s.mail = append(s.mail, mail{to: to, data: data})
			s.mu.Unlock()
			reply("250 queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 ok")
		}
	}
}

// to returns the messages to address whose subject starts with part.
func (s *smtpServer) to(address, part string) []mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []mail
	for _, m := range s.mail {
		if strings.EqualFold(m.to, address) && strings.Contains(m.data, "\r\nSubject: "+part) {
			out = append(out, m)
		}
	}
	return out
}

// displayed is a 12-digit number as people read it.
func displayed(n string) string { return n[:4] + " " + n[4:8] + " " + n[8:] }

// emailOf is the member's address.
func emailOf(t *testing.T, c *apptest.Client) string {
	t.Helper()
	var me struct{ Account struct{ Email string } }
	c.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	return me.Account.Email
}

// verified marks the member's address verified, as its link would.
func verified(t *testing.T, a *app.App, c *apptest.Client) {
	t.Helper()
	if err := a.Verifier.MarkVerified(context.Background(), a.DB.DB, c.AccountID()); err != nil {
		t.Fatal(err)
	}
}

// missCall has pa call number, which goes unanswered to the mailbox, and
// hang up before the tone: a missed call.
func missCall(t *testing.T, pa *apptest.Phone, number string) {
	t.Helper()
	pa.Send("call.dial", map[string]any{"number": number})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 15*time.Second))
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 10*time.Second)
}

// leaveMessage has pa call number and leave a message once it records:
// it hangs up after the node received a second of the caller's audio.
func leaveMessage(t *testing.T, a *app.App, pa *apptest.Phone, number string) {
	t.Helper()
	pa.Send("call.dial", map[string]any{"number": number, "video": true})
	id := apptest.CallIDOf(pa.Expect("call.state", `"state":"mailbox"`, 15*time.Second))
	pa.Expect("call.state", `"state":"recording"`, 30*time.Second)
	room := a.SFU.Room(id)
	if room == nil || room.Participant("caller") == nil {
		t.Fatal("the recording call has no caller")
	}
	caller := room.Participant("caller")
	audio0, _ := caller.Received()
	apptest.WaitFor(t, 20*time.Second, "a second of the caller's audio recorded", func() bool {
		audio, _ := caller.Received()
		return audio-audio0 >= 50
	})
	pa.Send("call.hangup", map[string]any{"callId": id})
	pa.Expect("call.state", `"state":"ended"`, 10*time.Second)
}

// TestMissedCallAndMessageSendOneEmailEach: Bob misses a call and Carol
// gets a message. Each gets a push (decrypted at their push service) and
// one email to their verified address, with a link to the mailbox and no
// media; Bob's second missed call within ten minutes pushes again but
// sends no second email. Dave turned message emails off and gets a push
// only; Eve's address is not verified and gets no email at all.
func TestMissedCallAndMessageSendOneEmailEach(t *testing.T) {
	smtp := startSMTP(t)
	a := apptest.New(t, func(c *config.Config) {
		c.PushAllowLocalEndpoints = true
		c.SMTPURL = "smtp://" + smtp.ln.Addr().String()
		c.MailFrom = "livemall <calls@livemall.test>"
		c.RingTimeout = 2 * time.Second // calls to push-reachable members end in the mailbox soon
	})
	base := apptest.ServeOnLoopback(t, a)
	ps := pushtest.NewService(t, a.Push.PublicKey())
	ann := apptest.Member(t, a, "Ann Caller")
	pa := apptest.NewPhone(t, ann, base)
	subscribe := func(c *apptest.Client, name string) string {
		endpoint, b := ps.Endpoint(name)
		c.Must(200, "PUT", "/api/v1/push/subscription", b.Subscription(endpoint))
		return endpoint
	}
	bob, carol, dave, eve := apptest.Member(t, a, "Bob Missed"), apptest.Member(t, a, "Carol Message"), apptest.Member(t, a, "Dave NoEmail"), apptest.Member(t, a, "Eve Unverified")
	for _, c := range []*apptest.Client{bob, carol, dave} {
		verified(t, a, c)
	}
	// Bob takes no pushes (so calls go to his mailbox at once); the others do
	// but ring nowhere in time: their calls end in the mailbox too.
	carolPush, davePush, evePush := subscribe(carol, "carol"), subscribe(dave, "dave"), subscribe(eve, "eve")
	dave.Must(200, "PUT", "/api/v1/notices/settings", map[string]bool{"missedCallPush": true, "missedCallEmail": true, "messagePush": true, "messageEmail": false})

	missCall(t, pa, bob.MyNumber())
	apptest.WaitFor(t, 10*time.Second, "Bob's email", func() bool { return len(smtp.to(emailOf(t, bob), "Missed voice call from Ann Caller")) == 1 })
	m := smtp.to(emailOf(t, bob), "Missed")[0]
	if !strings.Contains(m.data, "/phone/#mailbox") || !strings.Contains(m.data, displayed(ann.MyNumber())) || strings.Contains(m.data, "Content-Type: audio") || strings.Contains(m.data, "/media") {
		t.Fatalf("the missed-call email:\n%s", m.data)
	}
	missCall(t, pa, bob.MyNumber())
	leaveMessage(t, a, pa, carol.MyNumber())
	apptest.WaitFor(t, 10*time.Second, "Carol's email", func() bool { return len(smtp.to(emailOf(t, carol), "New video message from Ann Caller")) == 1 })
	apptest.WaitFor(t, 10*time.Second, "Carol's push", func() bool {
		got := ps.Received(carolPush)
		return len(got) >= 1 && got[len(got)-1].Kind == notices.NewMessage
	})
	leaveMessage(t, a, pa, dave.MyNumber())
	apptest.WaitFor(t, 10*time.Second, "Dave's push", func() bool {
		got := ps.Received(davePush)
		return len(got) >= 1 && got[len(got)-1].Kind == notices.NewMessage && strings.Contains(got[len(got)-1].Title, "Ann Caller")
	})
	missCall(t, pa, eve.MyNumber())
	apptest.WaitFor(t, 10*time.Second, "Eve's push", func() bool {
		got := ps.Received(evePush)
		return len(got) >= 1 && got[len(got)-1].Kind == notices.MissedCall
	})
	// What did not happen: no second email to Bob, none to Dave for his
	// message, none to Eve.
	if n := len(smtp.to(emailOf(t, bob), "Missed")); n != 1 {
		t.Fatalf("Bob got %d missed-call emails in ten minutes, want 1", n)
	}
	if n := len(smtp.to(emailOf(t, dave), "New")); n != 0 {
		t.Fatalf("Dave turned message emails off and got %d", n)
	}
	if n := len(smtp.to(emailOf(t, eve), "Missed")); n != 0 {
		t.Fatalf("Eve's unverified address got %d notices", n)
	}
}

// TestNoticeSettingsRefusals: only the member reads and changes their own
// settings, with every choice said.
func TestNoticeSettingsRefusals(t *testing.T) {
	a := apptest.New(t)
	m := apptest.Member(t, a, "Fay Settings")
	cases := []apptest.Scenario{
		{Name: "signed out reads", Method: "GET", Path: "/api/v1/notices/settings", Status: 401},
		{Name: "signed out writes", Method: "PUT", Path: "/api/v1/notices/settings", Body: map[string]bool{"missedCallPush": false, "missedCallEmail": false, "messagePush": false, "messageEmail": false}, Status: 401},
		{Name: "an agent", Who: "agent", Method: "GET", Path: "/api/v1/notices/settings", Status: 403},
		{Name: "a choice missing", Who: "member", Method: "PUT", Path: "/api/v1/notices/settings", Body: map[string]bool{"missedCallPush": false}, Status: 400, Text: "is required"},
		{Name: "not a boolean", Who: "member", Method: "PUT", Path: "/api/v1/notices/settings", Body: map[string]any{"missedCallPush": "no", "missedCallEmail": false, "messagePush": false, "messageEmail": false}, Status: 400},
		{Name: "another account's", Who: "member", Method: "PUT", Path: "/api/v1/notices/settings", Body: map[string]any{"accountId": "x", "missedCallPush": false, "missedCallEmail": false, "messagePush": false, "messageEmail": false}, Status: 400, Text: "unknown field"},
		{Name: "no body", Who: "member", Method: "PUT", Path: "/api/v1/notices/settings", Status: 400},
	}
	apptest.RunScenarios(t, a, apptest.Actors{"member": m, "agent": apptest.SignedInAs(t, a, "agent", apptest.WineStore)}, cases)
	var got struct{ Settings notices.Settings }
	m.Must(200, "GET", "/api/v1/notices/settings", nil).JSON(t, &got)
	if got.Settings != (notices.Settings{MissedCallPush: true, MissedCallEmail: true, MessagePush: true, MessageEmail: true}) {
		t.Fatalf("defaults after refused changes: %+v", got.Settings)
	}
	m.Must(200, "PUT", "/api/v1/notices/settings", map[string]bool{"missedCallPush": false, "missedCallEmail": true, "messagePush": true, "messageEmail": false})
	m.Must(200, "GET", "/api/v1/notices/settings", nil).JSON(t, &got)
	if got.Settings != (notices.Settings{MissedCallPush: false, MissedCallEmail: true, MessagePush: true, MessageEmail: false}) {
		t.Fatalf("saved: %+v", got.Settings)
	}
}

func FuzzParseNoticeSettings(f *testing.F) {
	f.Add([]byte(`{"missedCallPush":true,"missedCallEmail":false,"messagePush":true,"messageEmail":false}`))
	f.Add([]byte(`{"missedCallPush":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := notices.ParseSettings(body); err != nil && !strings.HasPrefix(err.Error(), "invalid") {
			t.Fatalf("not an invalid-input error: %v", err)
		}
	})
}
