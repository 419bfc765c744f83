package directory

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/region"
)

// seenAccounts collects the accounts a regionPresence reports changed.
type seenAccounts struct {
	mu  sync.Mutex
	ids []string
}

func (s *seenAccounts) add(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ids = append(s.ids, ids...)
}

func (s *seenAccounts) count(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, x := range s.ids {
		if x == id {
			n++
		}
	}
	return n
}

// regionPresenceOf opens region's presence sharing on b (not started: the
// test publishes with share).
func regionPresenceOf(t *testing.T, f *numbersFixture, b *bus.Bus, seen *seenAccounts) *regionPresence {
	t.Helper()
	r, err := openRegionPresence(t.Context(), f.numbers.db, b, f.numbers.plan, 0, seen.add)
	if err != nil || r == nil {
		t.Fatalf("open the region presence of %s: %v %v", f.numbers.plan.Region, r, err)
	}
	t.Cleanup(r.close)
	return r
}

// publishedStates returns what region's state stream holds.
func publishedStates(t *testing.T, b *bus.Bus, region string) uint64 {
	t.Helper()
	st, err := b.JS.Stream(t.Context(), statesStream(region))
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestEveryRegionSeesTheStatesOfOtherRegionsMembers: c publishes its
// member's states; a receives them through JetStream, reports the change,
// and shows them for the account whose entry came from c; an unchanged
// state is not published again; staff, unknown accounts and other regions'
// members are never published by c.
func TestEveryRegionSeesTheStatesOfOtherRegionsMembers(t *testing.T) {
	b := sharedBus(t)
	fa, fc := regionFixture(t, "a", threeRegionPlan), regionFixture(t, "c", threeRegionPlan)
	var seenA, seenC seenAccounts
	ra, rc := regionPresenceOf(t, fa, b, &seenA), regionPresenceOf(t, fc, b, &seenC)
	acc, nums := fc.member(t, "carol@c.example.com", "")
	ctx := t.Context()
	// a knows c's member by its entry.
	if err := keepEntry(ctx, fa.numbers.db, RegionEntry{AccountID: acc.ID, Region: "c", Name: "Carol", Listed: true, Interests: []string{},
		Numbers: []EntryNumber{{Number: nums[0].Number, Primary: true}}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	sa := &Service{db: fa.numbers.db, Numbers: fa.numbers, shared: ra}

	if err := rc.share(ctx, map[string]State{acc.ID: StateAvailable, "ac_unknown": StateAvailable}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to see c's member available", func() bool { return sa.remoteState(acc.ID, "c") == StateAvailable })
	if seenA.count(acc.ID) != 1 {
		t.Fatalf("a reported c's member's change %d times, want 1", seenA.count(acc.ID))
	}
	states := map[string]State{acc.ID: StateOffline, "ac_local": StateOffline}
	if err := sa.withRemoteStates(ctx, states); err != nil || states[acc.ID] != StateAvailable || states["ac_local"] != StateOffline {
		t.Fatalf("a's states with c's: %v %v", states, err)
	}
	if online := sa.remoteOnline(); !slices.Equal(online, []string{acc.ID}) {
		t.Fatalf("a's members of other regions online: %v", online)
	}
	if res, err := sa.resolveElsewhere(ctx, nums[0].Number); err != nil || res.State != StateAvailable || len(res.Ring) != 0 {
		t.Fatalf("a resolving c's member: %+v %v", res, err)
	}
	if n := publishedStates(t, b, "c"); n != 1 {
		t.Fatalf("c's state stream holds %d states, want only its member's", n)
	}

	// The same state again is not published; a change is.
	if err := rc.share(ctx, map[string]State{acc.ID: StateAvailable}); err != nil {
		t.Fatal(err)
	}
	if err := rc.share(ctx, map[string]State{acc.ID: StateBusy}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to see c's member busy", func() bool { return sa.remoteState(acc.ID, "c") == StateBusy })
	if err := rc.share(ctx, map[string]State{acc.ID: StateOffline}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to see c's member offline", func() bool { return sa.remoteState(acc.ID, "c") == StateOffline })
	if seenA.count(acc.ID) != 3 {
		t.Fatalf("a reported c's member's changes %d times, want 3 (available, busy, offline)", seenA.count(acc.ID))
	}
	if online := sa.remoteOnline(); len(online) != 0 {
		t.Fatalf("offline, yet listed online: %v", online)
	}

	// c never publishes the state of a member it knows from a.
	if err := rc.keep(stateSubject("a", "ac_ofa"), []byte(`{"accountId":"ac_ofa","region":"a","state":"available","version":5}`)); err != nil {
		t.Fatal(err)
	}
	before := publishedStates(t, b, "c")
	if err := rc.share(ctx, map[string]State{"ac_ofa": StateAway}); err != nil {
		t.Fatal(err)
	}
	if n := publishedStates(t, b, "c"); n != before {
		t.Fatalf("c published a state of a's member (%d → %d messages)", before, n)
	}
	// Nor does a state that another region publishes about c's own member
	// stop c from publishing it, or change what c shows of them.
	if err := rc.keep(stateSubject("a", acc.ID), []byte(`{"accountId":"`+acc.ID+`","region":"a","state":"busy","version":9000000000000000000}`)); err != nil {
		t.Fatal(err)
	}
	if err := rc.share(ctx, map[string]State{acc.ID: StateAway}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a to see c's member away", func() bool { return sa.remoteState(acc.ID, "c") == StateAway })
	sc := &Service{db: fc.numbers.db, Numbers: fc.numbers, shared: rc}
	own := map[string]State{acc.ID: StateOffline}
	if err := sc.withRemoteStates(ctx, own); err != nil || own[acc.ID] != StateOffline {
		t.Fatalf("c shows its own member as a says: %v %v", own, err)
	}
}

// TestAStateIsKeptOnlyFromItsHomeRegionAndNeverOlder: a state on a subject
// that is not its own, of this region, or of a region outside the plan is
// refused; an older state changes nothing; and a state published by a
// region that does not home the account is never shown.
func TestAStateIsKeptOnlyFromItsHomeRegionAndNeverOlder(t *testing.T) {
	b := sharedBus(t)
	fa := regionFixture(t, "a", threeRegionPlan)
	var seen seenAccounts
	ra := regionPresenceOf(t, fa, b, &seen)
	ctx := context.Background()
	state := func(region, st string, version int64) []byte {
		return []byte(`{"accountId":"ac_x","region":"` + region + `","state":"` + st + `","version":` + strconv.FormatInt(version, 10) + `}`)
	}
	for name, tc := range map[string]struct {
		subject string
		body    []byte
	}{
		"another region's subject":  {stateSubject("b", "ac_x"), state("c", "available", 5)},
		"another account's subject": {stateSubject("c", "ac_y"), state("c", "available", 5)},
		"a wildcard subject":        {"lm.pres.c.*", state("c", "available", 5)},
		"this region's own":         {stateSubject("a", "ac_x"), state("a", "available", 5)},
		"a region outside the plan": {stateSubject("z", "ac_x"), state("z", "available", 5)},
		"not a state":               {stateSubject("c", "ac_x"), []byte(`{"accountId":"ac_x"}`)},
	} {
		if err := ra.keep(tc.subject, tc.body); apperr.Code(err) != apperr.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if ra.knows("ac_x") || seen.count("ac_x") != 0 {
		t.Fatal("a refused state was kept")
	}
	if err := ra.keep(stateSubject("c", "ac_x"), state("c", "busy", 10)); err != nil {
		t.Fatal(err)
	}
	if err := ra.keep(stateSubject("c", "ac_x"), state("c", "available", 9)); err != nil {
		t.Fatal(err)
	}
	if st := ra.stateOf("ac_x", "c"); st != StateBusy {
		t.Fatalf("after an older state: %s, want busy", st)
	}
	// b speaks of c's member, on its own subject: kept apart, never shown
	// for the account whose entry is c's.
	if err := ra.keep(stateSubject("b", "ac_x"), state("b", "away", 20)); err != nil {
		t.Fatal(err)
	}
	if err := keepEntry(ctx, fa.numbers.db, RegionEntry{AccountID: "ac_x", Region: "c", Name: "X", Listed: true, Interests: []string{},
		Numbers: []EntryNumber{{Number: "300000000020", Primary: true}}, Version: 1}); err != nil {
		t.Fatal(err)
	}
	s := &Service{db: fa.numbers.db, Numbers: fa.numbers, shared: ra}
	states := map[string]State{"ac_x": StateOffline}
	if err := s.withRemoteStates(ctx, states); err != nil || states["ac_x"] != StateBusy {
		t.Fatalf("ac_x homed in c shows %v (%v), want c's busy, not b's away", states, err)
	}
	if res, err := s.resolveElsewhere(ctx, "300000000020"); err != nil || res.State != StateBusy {
		t.Fatalf("resolve: %+v %v", res, err)
	}
	// An account with no entry here shows offline whatever is said of it.
	if err := ra.keep(stateSubject("c", "ac_noentry"), []byte(`{"accountId":"ac_noentry","region":"c","state":"available","version":3}`)); err != nil {
		t.Fatal(err)
	}
	states = map[string]State{"ac_noentry": StateOffline}
	if err := s.withRemoteStates(ctx, states); err != nil || states["ac_noentry"] != StateOffline {
		t.Fatalf("an account without an entry shows %v (%v)", states, err)
	}
}

// TestOneRegionSharesNoPresence: a plan with one region keeps the one
// presence bucket, creates no state stream and shows no remote state.
func TestOneRegionSharesNoPresence(t *testing.T) {
	b := sharedBus(t)
	f := regionFixture(t, "local", "")
	r, err := openRegionPresence(t.Context(), f.numbers.db, b, f.numbers.plan, 0, nil)
	if err != nil || r != nil {
		t.Fatalf("one region: %v %v", r, err)
	}
	if cfg := presenceConfigOf(f.numbers.plan); cfg.Bucket != presenceBucket || cfg.Placement != nil {
		t.Fatalf("one region's presence bucket: %+v", cfg)
	}
	if cfg := presenceConfigOf(regionFixture(t, "b", threeRegionPlan).numbers.plan); cfg.Bucket != "presence-b" || cfg.Placement == nil || cfg.Placement.Cluster != "b" {
		t.Fatalf("region b's presence bucket: %+v", cfg)
	}
	names := b.JS.StreamNames(t.Context())
	for n := range names.Name() {
		if strings.HasPrefix(n, "LM_PRES") {
			t.Fatalf("one region created the stream %s", n)
		}
	}
	s := &Service{db: f.numbers.db, Numbers: f.numbers}
	states := map[string]State{"ac_x": StateOffline}
	if err := s.withRemoteStates(t.Context(), states); err != nil || states["ac_x"] != StateOffline || s.remoteOnline() != nil {
		t.Fatalf("one region: %v %v", states, err)
	}
	s.shareStates(t.Context(), map[string]State{"ac_x": StateAvailable}) // nothing to do, nothing to fail
}

func TestRegionStateBadCases(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `state`, "JSON object"},
		{"an array", `[]`, "JSON object"},
		{"a string", `"available"`, "JSON object"},
		{"two objects", `{"accountId":"a","region":"c","state":"busy","version":1}{}`, "one JSON object"},
		{"unknown field", `{"accountId":"a","region":"c","state":"busy","version":1,"node":"n1"}`, "JSON object"},
		{"a device", `{"accountId":"a","region":"c","state":"busy","version":1,"deviceId":"d"}`, "JSON object"},
		{"no state", `{"accountId":"a","region":"c","version":1}`, "needs accountId"},
		{"no version", `{"accountId":"a","region":"c","state":"busy"}`, "needs accountId"},
		{"no account", `{"region":"c","state":"busy","version":1}`, "needs accountId"},
		{"null region", `{"accountId":"a","region":null,"state":"busy","version":1}`, "needs accountId"},
		{"account with a dot", `{"accountId":"a.b","region":"c","state":"busy","version":1}`, "accountId must be"},
		{"account wildcard", `{"accountId":"*","region":"c","state":"busy","version":1}`, "accountId must be"},
		{"empty account", `{"accountId":"","region":"c","state":"busy","version":1}`, "accountId must be"},
		{"account too long", `{"accountId":"` + strings.Repeat("a", 65) + `","region":"c","state":"busy","version":1}`, "accountId must be"},
		{"region wildcard", `{"accountId":"a","region":"c.>","state":"busy","version":1}`, "region must be"},
		{"region in capitals", `{"accountId":"a","region":"C","state":"busy","version":1}`, "region must be"},
		{"unknown state", `{"accountId":"a","region":"c","state":"ringing","version":1}`, "available, away, busy"},
		{"state in capitals", `{"accountId":"a","region":"c","state":"BUSY","version":1}`, "available, away, busy"},
		{"empty state", `{"accountId":"a","region":"c","state":"","version":1}`, "available, away, busy"},
		{"state a number", `{"accountId":"a","region":"c","state":1,"version":1}`, "JSON object"},
		{"version zero", `{"accountId":"a","region":"c","state":"busy","version":0}`, "version must be positive"},
		{"version negative", `{"accountId":"a","region":"c","state":"busy","version":-5}`, "version must be positive"},
		{"version a string", `{"accountId":"a","region":"c","state":"busy","version":"1"}`, "JSON object"},
		{"version a fraction", `{"accountId":"a","region":"c","state":"busy","version":1.5}`, "JSON object"},
		{"too big", `{"accountId":"a","region":"c","state":"busy","version":1,"pad":"` + strings.Repeat(" ", 600) + `"}`, "at most 512 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegionState([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRegionState(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	for _, st := range []State{StateAvailable, StateAway, StateBusy, StatePush, StateOffline} {
		s, err := ParseRegionState([]byte(`{"accountId":"ac_1","region":"c","state":"` + string(st) + `","version":7}`))
		if err != nil || s != (RegionState{AccountID: "ac_1", Region: "c", State: st, Version: 7}) {
			t.Fatalf("a good state %s: %+v %v", st, s, err)
		}
	}
}

// FuzzParseRegionState: any body is parsed or refused as Invalid; a parsed
// state has a valid account, region, state and version.
func FuzzParseRegionState(f *testing.F) {
	f.Add([]byte(`{"accountId":"ac_1","region":"c","state":"available","version":7}`))
	f.Add([]byte(`{"accountId":"","region":"C","state":"x","version":-1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := ParseRegionState(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		switch s.State {
		case StateAvailable, StateAway, StateBusy, StatePush, StateOffline:
		default:
			t.Fatalf("accepted the state %q", s.State)
		}
		if !validAccountID(s.AccountID) || !region.ValidName(s.Region) || s.Version <= 0 {
			t.Fatalf("accepted %+v", s)
		}
	})
}
