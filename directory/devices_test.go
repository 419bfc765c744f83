package directory_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
)

var issuedDeviceID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSocketCannotAttachToAnotherMembersDevice(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	victim := apptest.Member(t, a, "Vera Victim")
	victimNumber := victim.MyNumber()
	pv := apptest.NewPhone(t, victim, base)
	if !issuedDeviceID.MatchString(victim.Device) {
		t.Fatalf("the victim's device id %q is not 128 issued bits in hex", victim.Device)
	}
	attacker := apptest.Member(t, a, "Mallory Attacker")
	logs := apptest.CaptureLog(t)

	// Naming the victim's device, an invented one or one with a guest
	// cookie is refused before any upgrade.
	guest := apptest.NewClient(t, a)
	guest.Must(200, "POST", "/api/v1/guest", nil)
	if guest.Cookies["lm_device"] == "" {
		t.Fatal("a new guest got no device cookie")
	}
	upgrade := []string{"Connection", "Upgrade", "Upgrade", "websocket", "Origin", apptest.Origin}
	const ws = "/api/v1/ws?device="
	apptest.RunScenarios(t, a, apptest.Actors{"member": attacker, "guest": guest}, []apptest.Scenario{
		{Name: "member asks for the victim's device", Who: "member", Method: "GET", Path: ws + victim.Device, Headers: upgrade, Status: 403},
		{Name: "member asks for an invented device", Who: "member", Method: "GET", Path: ws + "family-tablet", Headers: upgrade, Status: 403},
		{Name: "guest asks for the victim's device", Who: "guest", Method: "GET", Path: ws + victim.Device, Headers: upgrade, Status: 403},
	})
	if !strings.Contains(logs.String(), "not bound to its session") {
		t.Fatalf("the refusals were not logged: %q", logs.String())
	}
	if strings.Contains(logs.String(), victim.Cookies["lm_session"]) {
		t.Fatal("the log carries a session cookie")
	}

	// The device cookie is a secret token, not the device id: planting the
	// victim's id as one's device cookie and signing in gets a device of
	// one's own.
	attacker.Cookies["lm_device"] = victim.Device
	if r := attacker.SignIn(); r.Status != 200 {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	s := attacker.OpenSocket(base)
	if attacker.Device == victim.Device || !issuedDeviceID.MatchString(attacker.Device) {
		t.Fatalf("the attacker got device %q (victim's %q)", attacker.Device, victim.Device)
	}
	// Its own device, named, is fine.
	if _, hello := attacker.DialSocket(base, attacker.Device); hello.Type != "hello" {
		t.Fatalf("own device refused: %+v", hello)
	}

	// A call to the victim rings the victim's device and nothing reaches
	// the attacker's socket.
	caller := apptest.Member(t, a, "Carl Caller")
	pc := apptest.NewPhone(t, caller, base)
	apptest.WaitFor(t, 3*time.Second, "the victim online", func() bool { return caller.Resolve(victimNumber).State == directory.StateAvailable })
	pc.Send("call.dial", map[string]any{"number": victimNumber})
	id := apptest.CallIDOf(pc.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	pv.Expect("call.incoming", id, 5*time.Second)
	s.Send("ping", "")
	for {
		m := s.Next()
		if m.Type == "pong" {
			break
		}
		if strings.Contains(string(m.Data), id) || m.Type == "call.incoming" {
			t.Fatalf("the attacker's socket got the victim's %s %s", m.Type, m.Data)
		}
	}
	pc.Send("call.hangup", map[string]any{"callId": id})
	pv.Expect("call.state", `"state":"ended"`, 5*time.Second)
}

func TestResolveRevealsNoDeviceIDs(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.Member(t, a, "Rita Resolver")
	m := apptest.Member(t, a, "Otto Owner")
	num := m.MyNumber()
	m.OpenSocket(base)
	laptop := m.Device
	m.UseBrowser("phone", apptest.UAPhone)
	if r := m.SignIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	m.OpenSocket(base)
	phone := m.Device
	m.Must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"all"}`)
	apptest.WaitFor(t, 3*time.Second, "both devices to ring", func() bool { return len(caller.Resolve(num).Ring) == 2 })

	for _, path := range []string{"/api/v1/numbers/" + num, "/api/v1/directory", "/api/v1/directory?online=true", "/api/v1/directory?q=Otto"} {
		body := caller.Must(200, "GET", path, nil).Body
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
	caller.Must(200, "GET", "/api/v1/numbers/"+num, nil).JSON(t, &raw)
	got := map[string]bool{}
	for _, r := range raw.Ring {
		if len(r) != 2 || r["kind"] == nil || r["label"] == nil {
			t.Fatalf("ring target %v: want exactly kind and label", r)
		}
		got[r["kind"].(string)+"/"+r["label"].(string)] = true
	}
	if !got["computer/"+apptest.LabelComputer] || !got["phone/"+apptest.LabelPhone] {
		t.Fatalf("ring targets %v", raw.Ring)
	}
	// The owner sees their own devices, with this browser marked.
	var me struct {
		Devices []struct {
			ID, Kind, Label string
			Current         bool
		}
	}
	m.Must(200, "GET", "/api/v1/directory/me", nil).JSON(t, &me)
	if len(me.Devices) != 2 || me.Devices[0].ID != phone || !me.Devices[0].Current || me.Devices[0].Label != apptest.LabelPhone ||
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
	caller.Must(200, "GET", "/api/v1/openapi.json", nil).JSON(t, &doc)
	rt, ok := doc.Components.Schemas["RingTarget"]
	if !ok || len(rt.Properties) != 2 || rt.Properties["kind"] == nil || rt.Properties["label"] == nil {
		t.Fatalf("openapi RingTarget %+v", rt)
	}
}

func TestSharedDeviceAnswersForEveryMemberOnIt(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.Member(t, a, "Cora Caller")
	stranger := apptest.Member(t, a, "Stan Stranger")
	mum := apptest.NewClient(t, a)
	mum.UA = apptest.UATablet // the family tablet
	mum.SignUp("Mum", "mum.shared@example.com", "1970-01-01")
	mumNum := mum.MyNumber()
	kid := mum.SameBrowser()
	kid.SignUp("Kid", "kid.shared@example.com", "2000-01-01")

	pc, ps := apptest.NewPhone(t, caller, base), apptest.NewPhone(t, stranger, base)
	tablet := apptest.NewPhone(t, kid, base) // the kid is signed in on the tablet now
	apptest.WaitFor(t, 3*time.Second, "the tablet to ring for mum", func() bool { return apptest.Devices(caller.Resolve(mumNum)) == apptest.LabelTablet })
	// One device carries both of them.
	var me struct{ Devices []struct{ ID string } }
	kid.Must(200, "GET", "/api/v1/directory/me", nil).JSON(t, &me)
	var onTablet int64
	a.DB.Table("device_accounts").Where("device_id = ?", kid.Device).Count(&onTablet)
	if len(me.Devices) != 1 || me.Devices[0].ID != kid.Device || onTablet != 2 {
		t.Fatalf("the kid's devices %+v, %d members on the tablet %s: want one device carrying both", me.Devices, onTablet, kid.Device)
	}

	pc.Send("call.dial", map[string]any{"number": mumNum, "video": true})
	id := apptest.CallIDOf(pc.Expect("call.state", `"state":"ringing"`, 5*time.Second))
	tablet.Expect("call.incoming", id, 5*time.Second)
	// Someone on another device may not pick it up.
	ps.Send("call.answer", map[string]any{"callId": id})
	ps.Expect("error", "not for you", 5*time.Second)
	// The kid answers mum's call on the tablet.
	tablet.Send("call.answer", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"active"`, 5*time.Second)
	tablet.Expect("call.state", `"state":"active"`, 5*time.Second)
	apptest.WaitMedia(t, pc, tablet)
	tablet.Send("call.hangup", map[string]any{"callId": id})
	pc.Expect("call.state", `"state":"ended"`, 5*time.Second)
	apptest.WaitFor(t, 3*time.Second, "the call record", func() bool {
		st, out := apptest.CallRecord(t, a, id)
		return st == "ended" && out == "answered"
	})
}
