package app

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/directory"
)

// lockedBuffer collects log lines written from other goroutines (the
// server's, a child process's reader) while the test reads them.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// captureLog sends the warnings logged until the test ends to the returned
// buffer as well as to stderr.
func captureLog(t *testing.T) *lockedBuffer {
	buf := &lockedBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(io.MultiWriter(buf, os.Stderr), &slog.HandlerOptions{Level: slog.LevelWarn})))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

var issuedDeviceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSocketCannotAttachToAnotherMembersDevice(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	victim := member(t, a, "Vera Victim")
	victimNumber := victim.myNumber()
	pv := newPhone(t, victim, base)
	if !issuedDeviceID.MatchString(victim.device) {
		t.Fatalf("the victim's device id %q is not 128 issued bits in hex", victim.device)
	}
	attacker := member(t, a, "Mallory Attacker")
	logs := captureLog(t)

	// Naming the victim's device, an invented one or one with a guest
	// cookie is refused before any upgrade.
	guest := newClient(t, a)
	guest.must(200, "POST", "/api/v1/guest", nil)
	if guest.cookies["lm_device"] == "" {
		t.Fatal("a new guest got no device cookie")
	}
	for _, tt := range []struct {
		name   string
		who    *client
		device string
	}{
		{"member asks for the victim's device", attacker, victim.device},
		{"member asks for an invented device", attacker, "family-tablet"},
		{"guest asks for the victim's device", guest, victim.device},
	} {
		if conn, status := tt.who.dialSocketStatus(base, tt.device); conn != nil || status != 403 {
			t.Fatalf("%s: upgrade status %d, want 403", tt.name, status)
		}
	}
	if !strings.Contains(logs.String(), "not bound to its session") {
		t.Fatalf("the refusals were not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), victim.cookies["lm_session"]) {
		t.Fatal("the log carries a session cookie")
	}

	// The device cookie is a secret token, not the device id: planting the
	// victim's id as one's device cookie and signing in gets a device of
	// one's own.
	attacker.cookies["lm_device"] = victim.device
	if r := attacker.signIn(); r.Status != 200 {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	s := attacker.openSocket(base)
	if attacker.device == victim.device || !issuedDeviceID.MatchString(attacker.device) {
		t.Fatalf("the attacker got device %q (victim's %q)", attacker.device, victim.device)
	}
	// Its own device, named, is fine.
	if _, hello := attacker.dialSocket(base, attacker.device); hello.Type != "hello" {
		t.Fatalf("own device refused: %+v", hello)
	}

	// A call to the victim rings the victim's device and nothing reaches
	// the attacker's socket.
	caller := member(t, a, "Carl Caller")
	pc := newPhone(t, caller, base)
	waitFor(t, 3*time.Second, "the victim online", func() bool { return caller.resolve(victimNumber).State == directory.StateAvailable })
	pc.send("call.dial", map[string]any{"number": victimNumber})
	id := callIDOf(pc.expect("call.state", `"state":"ringing"`, 5*time.Second))
	pv.expect("call.incoming", id, 5*time.Second)
	s.send("ping", "")
	for {
		m := s.next()
		if m.Type == "pong" {
			break
		}
		if strings.Contains(string(m.Data), id) || m.Type == "call.incoming" {
			t.Fatalf("the attacker's socket got the victim's %s %s", m.Type, m.Data)
		}
	}
	pc.send("call.hangup", map[string]any{"callId": id})
	pv.expect("call.state", `"state":"ended"`, 5*time.Second)
}

func TestResolveRevealsNoDeviceIDs(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	caller := member(t, a, "Rita Resolver")
	m := member(t, a, "Otto Owner")
	num := m.myNumber()
	m.openSocket(base)
	laptop := m.device
	m.useBrowser("phone", uaPhone)
	if r := m.signIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	m.openSocket(base)
	phone := m.device
	m.must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"all"}`)
	waitFor(t, 3*time.Second, "both devices to ring", func() bool { return len(caller.resolve(num).Ring) == 2 })

	for _, path := range []string{"/api/v1/numbers/" + num, "/api/v1/directory", "/api/v1/directory?online=true", "/api/v1/directory?q=Otto"} {
		body := caller.must(200, "GET", path, nil).Body
		for _, id := range []string{laptop, phone} {
			if strings.Contains(body, id) {
				t.Fatalf("%s reveals device %s: %s", path, id, body)
			}
		}
		if strings.Contains(body, `"deviceId"`) || strings.Contains(body, `"node"`) {
			t.Fatalf("%s names devices or nodes: %s", path, body)
		}
	}
	// Ring targets show kind and label only.
	var raw struct{ Ring []map[string]any }
	caller.must(200, "GET", "/api/v1/numbers/"+num, nil).json(t, &raw)
	got := map[string]bool{}
	for _, r := range raw.Ring {
		if len(r) != 2 || r["kind"] == nil || r["label"] == nil {
			t.Fatalf("ring target %v: want exactly kind and label", r)
		}
		got[r["kind"].(string)+"/"+r["label"].(string)] = true
	}
	if !got["computer/"+labelComputer] || !got["phone/"+labelPhone] {
		t.Fatalf("ring targets %v", raw.Ring)
	}
	// The owner sees their own devices, with this browser marked.
	var me struct {
		Devices []struct {
			ID, Kind, Label string
			Current         bool
		}
	}
	m.must(200, "GET", "/api/v1/directory/me", nil).json(t, &me)
	if len(me.Devices) != 2 || me.Devices[0].ID != phone || !me.Devices[0].Current || me.Devices[0].Label != labelPhone ||
		me.Devices[1].ID != laptop || me.Devices[1].Current || me.Devices[1].Kind != "computer" {
		t.Fatalf("own devices %+v", me.Devices)
	}
	// The API's description agrees.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage
			}
		}
	}
	caller.must(200, "GET", "/api/v1/openapi.json", nil).json(t, &doc)
	rt, ok := doc.Components.Schemas["RingTarget"]
	if !ok || len(rt.Properties) != 2 || rt.Properties["kind"] == nil || rt.Properties["label"] == nil {
		t.Fatalf("openapi RingTarget %+v", rt)
	}
}

func TestSharedDeviceAnswersForEveryMemberOnIt(t *testing.T) {
	a := newTestApp(t)
	base := serveOnLoopback(t, a)
	caller := member(t, a, "Cora Caller")
	stranger := member(t, a, "Stan Stranger")
	mum := newClient(t, a)
	mum.ua = uaTablet // the family tablet
	mum.signUp("Mum", "mum.shared@example.com", "1970-01-01")
	mumNum := mum.myNumber()
	kid := mum.sameBrowser()
	kid.signUp("Kid", "kid.shared@example.com", "2000-01-01")

	pc, ps := newPhone(t, caller, base), newPhone(t, stranger, base)
	tablet := newPhone(t, kid, base) // the kid is signed in on the tablet now
	waitFor(t, 3*time.Second, "the tablet to ring for mum", func() bool { return devices(caller.resolve(mumNum)) == labelTablet })
	// One device carries both of them.
	var me struct{ Devices []struct{ ID string } }
	kid.must(200, "GET", "/api/v1/directory/me", nil).json(t, &me)
	var onTablet int64
	a.DB.Table("device_accounts").Where("device_id = ?", kid.device).Count(&onTablet)
	if len(me.Devices) != 1 || me.Devices[0].ID != kid.device || onTablet != 2 {
		t.Fatalf("the kid's devices %+v, %d members on the tablet %s: want one device carrying both", me.Devices, onTablet, kid.device)
	}

	pc.send("call.dial", map[string]any{"number": mumNum, "video": true})
	id := callIDOf(pc.expect("call.state", `"state":"ringing"`, 5*time.Second))
	tablet.expect("call.incoming", id, 5*time.Second)
	// Someone on another device may not pick it up.
	ps.send("call.answer", map[string]any{"callId": id})
	ps.expect("error", "not for you", 5*time.Second)
	// The kid answers mum's call on the tablet.
	tablet.send("call.answer", map[string]any{"callId": id})
	pc.expect("call.state", `"state":"active"`, 5*time.Second)
	tablet.expect("call.state", `"state":"active"`, 5*time.Second)
	waitMedia(t, pc, tablet)
	tablet.send("call.hangup", map[string]any{"callId": id})
	pc.expect("call.state", `"state":"ended"`, 5*time.Second)
	waitFor(t, 3*time.Second, "the call record", func() bool {
		st, out := callRecord(t, a, id)
		return st == "ended" && out == "answered"
	})
}
