package directory_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

func TestConcurrentSignUpsGetDistinctContiguousNumbers(t *testing.T) {
	a := apptest.New(t)
	const n = 200
	numbers := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	// 32 sign-ups in flight at any moment: enough to race every step of
	// allocation; 200 at once under -race on two cores only measures how
	// long SQLite's busy handler lets a writer starve.
	inFlight := make(chan struct{}, 32)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			inFlight <- struct{}{}
			defer func() { <-inFlight }()
			c := apptest.NewClient(t, a)
			var b apptest.Begun
			r := c.Do("POST", "/api/v1/auth/signup/begin", map[string]string{"name": fmt.Sprintf("Signer %03d", i), "email": fmt.Sprintf("signer%03d@example.com", i), "birthDate": "1990-01-01", "address": "x"})
			if r.Status != 200 {
				errs <- fmt.Errorf("begin %d: %d %s", i, r.Status, r.Body)
				return
			}
			r.JSON(t, &b)
			r = c.Do("POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": b.Ceremony, "credential": c.Register(b)})
			if r.Status != 201 {
				errs <- fmt.Errorf("finish %d: %d %s", i, r.Status, r.Body)
				return
			}
			numbers[i] = c.MyNumber()
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, num := range numbers {
		if _, err := directory.ParseNumber(num); err != nil || seen[num] {
			t.Fatalf("number %q invalid or given twice", num)
		}
		seen[num] = true
	}
	sort.Strings(numbers)
	first, last := directory.Number(numbers[0]).Value(), directory.Number(numbers[n-1]).Value()
	if last-first != n-1 {
		t.Fatalf("numbers %s … %s are not contiguous", numbers[0], numbers[n-1])
	}
}

func TestPresenceExpiresWithoutHeartbeats(t *testing.T) {
	a := apptest.New(t, apptest.ShortPresence)
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.NewClient(t, a)
	caller.SignUp("Caller", "caller@example.com", "1980-01-01")
	m := apptest.NewClient(t, a)
	m.SignUp("Quiet", "quiet@example.com", "1980-01-01")
	num := m.MyNumber()
	s := m.OpenSocket(base)
	apptest.WaitFor(t, 3*time.Second, "the device to be online", func() bool { return caller.Resolve(num).State == directory.StateAvailable })
	// Keep heartbeating for a while: the device stays online past the TTL.
	for i := 0; i < 6; i++ {
		s.Send("heartbeat", "")
		time.Sleep(300 * time.Millisecond)
		if st := caller.Resolve(num).State; st != directory.StateAvailable {
			t.Fatalf("heartbeating device went %s", st)
		}
	}
	// Stop heartbeating but keep the socket open: the record expires.
	start := time.Now()
	apptest.WaitFor(t, 10*time.Second, "the silent device to go offline", func() bool { return caller.Resolve(num).State == directory.StateOffline })
	if time.Since(start) < 500*time.Millisecond {
		t.Fatalf("went offline after %v, before its TTL", time.Since(start))
	}
	if r := caller.Resolve(num); len(r.Ring) != 0 {
		t.Fatalf("an offline member still rings %v", r.Ring)
	}
}

func TestNewestDeviceWinsAndRingAllListsBoth(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.NewClient(t, a)
	caller.SignUp("Caller", "caller2@example.com", "1980-01-01")

	m := apptest.NewClient(t, a) // on the laptop
	m.SignUp("Two Devices", "two@example.com", "1985-05-05")
	num := m.MyNumber()
	m.OpenSocket(base)
	laptop := m.Device
	apptest.WaitFor(t, 3*time.Second, "the laptop to ring", func() bool { return apptest.Devices(caller.Resolve(num)) == apptest.LabelComputer })

	// Signing in on the phone makes it the newest device: only it rings.
	m.UseBrowser("phone", apptest.UAPhone)
	if r := m.SignIn(); r.Status != 200 {
		t.Fatalf("sign in on the phone: %d %s", r.Status, r.Body)
	}
	m.OpenSocket(base)
	if m.Device == laptop || len(m.Device) != 32 {
		t.Fatalf("the phone got device %q, the laptop %q: want two issued ids", m.Device, laptop)
	}
	apptest.WaitFor(t, 3*time.Second, "the phone to ring instead", func() bool { return apptest.Devices(caller.Resolve(num)) == apptest.LabelPhone })

	// Ring-all rings both.
	m.Must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"all"}`)
	if got := apptest.Devices(caller.Resolve(num)); got != apptest.LabelPhone+","+apptest.LabelComputer {
		t.Fatalf("ring-all rings %q", got)
	}
	r := caller.Resolve(num)
	if r.Party.Type != directory.PartyMember || r.Party.Name != "Two Devices" || r.State != directory.StateAvailable || r.Ring[0].Kind == "" {
		t.Fatalf("resolution %+v", r)
	}
	var me struct{ Account struct{ ID string } }
	m.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)
	if targets, err := a.Directory.RingTargetsOf(t.Context(), me.Account.ID); err != nil || len(targets) != 2 || targets[0].Node == "" {
		t.Fatalf("ring targets %+v, %v: want two, with their node", targets, err)
	}
	m.Must(200, "PATCH", "/api/v1/directory/me", `{"ringMode":"newest"}`)
	if got := apptest.Devices(caller.Resolve(num)); got != apptest.LabelPhone {
		t.Fatalf("back to newest rings %q", got)
	}
	// Signing out on the phone takes it off: the laptop is the newest again.
	m.Must(204, "POST", "/api/v1/auth/signout", nil)
	apptest.WaitFor(t, 3*time.Second, "the laptop to ring after sign-out on the phone", func() bool { return apptest.Devices(caller.Resolve(num)) == apptest.LabelComputer })
}

func TestSharedDeviceRingsForEveryMemberOnIt(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	caller := apptest.NewClient(t, a)
	caller.SignUp("Caller", "caller3@example.com", "1980-01-01")
	mum := apptest.NewClient(t, a)
	mum.UA = apptest.UATablet // the family tablet
	mum.SignUp("Mum", "mum@example.com", "1970-01-01")
	mumNum := mum.MyNumber()
	kid := mum.SameBrowser()
	kid.SignUp("Kid", "kid@example.com", "2000-01-01")
	kidNum := kid.MyNumber()
	kid.OpenSocket(base) // one socket, opened by whoever is signed in now
	apptest.WaitFor(t, 3*time.Second, "the tablet to ring for both", func() bool {
		return apptest.Devices(caller.Resolve(mumNum)) == apptest.LabelTablet && apptest.Devices(caller.Resolve(kidNum)) == apptest.LabelTablet
	})
}

func TestWatchersSeeLightsChange(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	watcher := apptest.NewClient(t, a)
	watcher.SignUp("Watcher", "watcher@example.com", "1980-01-01")
	ws := watcher.OpenSocket(base)
	ws.Send("directory.watch", "")

	b := apptest.NewClient(t, a)
	b.SignUp("Bea", "bea@example.com", "1990-01-01")
	var me struct{ Account struct{ ID string } }
	b.Must(200, "GET", "/api/v1/me", nil).JSON(t, &me)

	expect := func(state directory.State) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			m := ws.Next()
			if m.Type == "presence" && strings.Contains(string(m.Data), me.Account.ID) && strings.Contains(string(m.Data), `"state":"`+string(state)+`"`) {
				return
			}
		}
		t.Fatalf("no presence event %s for Bea", state)
	}
	bs := b.OpenSocket(base)
	expect(directory.StateAvailable)
	bs.Send("presence.set", `{"state":"away"}`)
	expect(directory.StateAway)
	bs.Send("presence.set", `{"state":"sleeping"}`)
	if m := bs.Next(); m.Type != "error" || !strings.Contains(string(m.Data), "available") {
		t.Fatalf("bad presence state answered %+v", m)
	}
	bs.Conn.Close()
	expect(directory.StateOffline)
}

// TestEveryDeviceMessageHasAHandler checks the node handles exactly the
// device-to-server types of the protocol.
func TestEveryDeviceMessageHasAHandler(t *testing.T) {
	a := apptest.New(t)
	handled := a.Signaling.Handled()
	sort.Strings(handled)
	var want []string
	for _, m := range media.Protocol {
		if m.Direction == media.ToServer {
			want = append(want, m.Type)
		}
	}
	sort.Strings(want)
	if strings.Join(handled, ",") != strings.Join(want, ",") {
		t.Fatalf("handlers %v, protocol %v", handled, want)
	}
}
