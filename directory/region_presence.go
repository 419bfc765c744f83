package directory

// Presence across regions, on JetStream alone (a regionFeed,
// region_feed.go), beside the entries (region_directory.go). With more than one region each region keeps its
// own presence bucket (presence-<region>, placed in its cluster), so its
// devices come and go while the others cannot be reached. A region's nodes
// publish the state of each of its members whose state moved — the state
// the listing and resolve show here: available, away, busy, push or
// offline, nothing else — to lm.pres.<region>.<account>, kept by the
// stream LM_PRES_<region> (one message per member). LM_PRESALL_<region>
// sources the other regions' LM_PRES_ streams, as LM_DIRALL_ does for
// entries, and every node reads it into memory: resolve, the listing and
// the watchers then show a member homed elsewhere as their home region
// says. After a partition the sourcing resumes where it stopped, and the
// last state of every member arrives (MaxMsgsPerSubject 1).
//
// A state is shown only for an account whose entry came from the region
// that published the state (region_entries), so a region can speak only
// for its own members, as with entries.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/region"
)

// statesStream is the stream of region's own members' states.
func statesStream(region string) string { return "LM_PRES_" + region }

// mergedStatesStream is region's stream of every other region's states.
func mergedStatesStream(region string) string { return "LM_PRESALL_" + region }

// stateSubject is where region's nodes publish the state of accountID.
func stateSubject(region, accountID string) string { return "lm.pres." + region + "." + accountID }

// defaultStateSweep is how often a node publishes again the states of its
// region's members that differ from what it last published (a safety net:
// every change is published at once).
const defaultStateSweep = 10 * time.Second

// presenceConfigOf is the presence bucket of a node of plan: the one
// bucket with one region, the region's own one, placed in its cluster,
// with more.
func presenceConfigOf(plan NumberPlan) jetstream.KeyValueConfig {
	if len(plan.Regions()) < 2 {
		return presenceConfig
	}
	cfg := presenceConfig
	cfg.Bucket = presenceBucket + "-" + plan.Region
	cfg.Description = "livemall presence of region " + plan.Region + ": which devices are online, on which node"
	cfg.Placement = &jetstream.Placement{Cluster: plan.Region}
	return cfg
}

// RegionState is a member's state as their home region publishes it.
type RegionState struct {
	AccountID string `json:"accountId"`
	// Region is the member's home region.
	Region string `json:"region"`
	State  State  `json:"state"`
	// Version is the home region's time of the state in nanoseconds: a
	// state never replaces one with a higher version.
	Version int64 `json:"version"`
}

// maxStateBytes bounds a published state.
const maxStateBytes = 512

// ParseRegionState reads a state published by another region's node.
// Anything but one object with exactly accountId, region, state and
// version, a valid account id and region, one of the states a listing
// shows and a positive version is Invalid.
func ParseRegionState(data []byte) (RegionState, error) {
	var s RegionState
	if len(data) > maxStateBytes {
		return s, apperr.New(apperr.Invalid, "a member's state is at most %d bytes", maxStateBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw struct {
		AccountID *string `json:"accountId"`
		Region    *string `json:"region"`
		State     *string `json:"state"`
		Version   *int64  `json:"version"`
	}
	if err := dec.Decode(&raw); err != nil {
		return s, apperr.New(apperr.Invalid, "a member's state is a JSON object with accountId, region, state and version")
	}
	if dec.More() {
		return s, apperr.New(apperr.Invalid, "a member's state is one JSON object")
	}
	if raw.AccountID == nil || raw.Region == nil || raw.State == nil || raw.Version == nil {
		return s, apperr.New(apperr.Invalid, "a member's state needs accountId, region, state and version")
	}
	if !validAccountID(*raw.AccountID) {
		return s, apperr.New(apperr.Invalid, "a member's state's accountId must be 1 to 64 letters, digits, '_' or '-'")
	}
	if !region.ValidName(*raw.Region) {
		return s, apperr.New(apperr.Invalid, "a member's state's region must be 1 to 32 lowercase letters, digits or '-'")
	}
	switch st := State(*raw.State); st {
	case StateAvailable, StateAway, StateBusy, StatePush, StateOffline:
	default:
		return s, apperr.New(apperr.Invalid, "a member's state is available, away, busy, push or offline")
	}
	if *raw.Version <= 0 {
		return s, apperr.New(apperr.Invalid, "a member's state's version must be positive")
	}
	return RegionState{AccountID: *raw.AccountID, Region: *raw.Region, State: State(*raw.State), Version: *raw.Version}, nil
}

// regionPresence shares this region's members' states with the other
// regions and keeps theirs. A node of a plan with one region has none.
type regionPresence struct {
	db      *gorm.DB
	bus     *bus.Bus
	plan    NumberPlan
	regions map[string]bool
	feed    *regionFeed
	// changed is told the accounts whose state from another region moved.
	changed func(accounts []string)
	// sweep works out the states of the region's members online now, and
	// of those given, and publishes the ones that moved (Service.shareAll).
	sweep func(ctx context.Context, also []string)

	mu     sync.Mutex
	remote map[string]map[string]RegionState // account → publishing region → latest
	shared map[string]State                  // own member → state last published (absent: offline)
	resend bool                              // publish every state again (after a NATS fault)
}

// openRegionPresence creates this region's state streams and starts
// reading the other regions' states; it returns nil for a plan with one
// region. Call start once sweep and changed are set.
func openRegionPresence(ctx context.Context, db *gorm.DB, b *bus.Bus, plan NumberPlan, every time.Duration, changed func([]string)) (*regionPresence, error) {
	regions := plan.Regions()
	if len(regions) < 2 || b == nil {
		return nil, nil
	}
	if every <= 0 {
		every = defaultStateSweep
	}
	r := &regionPresence{db: db, bus: b, plan: plan, regions: map[string]bool{}, changed: changed,
		remote: map[string]map[string]RegionState{}, shared: map[string]State{}}
	for _, name := range regions {
		r.regions[name] = true
	}
	r.feed = newRegionFeed(&regionFeed{bus: b, plan: plan, what: "presence",
		ownStream: statesStream, mergedStream: mergedStatesStream, subject: stateSubject,
		receive: r.receive, reopened: r.resendAll, sweep: r.sweepShared, every: every})
	if err := r.feed.open(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// start begins the sweeps and re-opens the streams after a NATS fault.
func (r *regionPresence) start() { r.feed.start() }

// close stops the sweeps and the reading.
func (r *regionPresence) close() { r.feed.close() }

// resendAll makes the next sweep publish every state again: NATS may have
// lost what was published.
func (r *regionPresence) resendAll() {
	r.mu.Lock()
	r.resend = true
	r.mu.Unlock()
}

// sweepShared is a sweep of the feed: the members last published online
// are looked at again beside those online now.
func (r *regionPresence) sweepShared(ctx context.Context) {
	r.mu.Lock()
	also := make([]string, 0, len(r.shared))
	for id := range r.shared {
		also = append(also, id)
	}
	r.mu.Unlock()
	r.sweep(ctx, also)
}

// share publishes the states that differ from the ones this node last
// published, for this region's members among them: accounts holding a
// member's number here (other regions' members, whatever any region says
// of them, and staff are left out).
func (r *regionPresence) share(ctx context.Context, states map[string]State) error {
	r.mu.Lock()
	resend := r.resend
	var moved []string
	for id, st := range states {
		last, ok := r.shared[id]
		if !ok {
			last = StateOffline
		}
		if resend || last != st {
			moved = append(moved, id)
		}
	}
	r.mu.Unlock()
	if len(moved) == 0 {
		return nil
	}
	var members []string
	for len(moved) > 0 {
		n := min(len(moved), statesPerQuery)
		var some []string
		if err := r.db.WithContext(ctx).Table("numbers").Distinct("account_id").
			Where("account_id IN ? AND party_type = ?", moved[:n], PartyMember).Pluck("account_id", &some).Error; err != nil {
			return fmt.Errorf("find this region's members: %w", err)
		}
		members = append(members, some...)
		moved = moved[n:]
	}
	for _, id := range members {
		st := states[id]
		body, _ := json.Marshal(RegionState{AccountID: id, Region: r.plan.Region, State: st, Version: time.Now().UnixNano()})
		if _, err := r.bus.JS.Publish(ctx, stateSubject(r.plan.Region, id), body, jetstream.WithExpectStream(statesStream(r.plan.Region))); err != nil {
			r.bus.Trouble(err)
			return fmt.Errorf("publish the state of %s: %w", id, err)
		}
		r.mu.Lock()
		if st == StateOffline {
			delete(r.shared, id)
		} else {
			r.shared[id] = st
		}
		r.mu.Unlock()
	}
	return nil
}

// sweepDone marks a complete sweep: nothing needs resending any more.
func (r *regionPresence) sweepDone() {
	r.mu.Lock()
	r.resend = false
	r.mu.Unlock()
}

// receive keeps a state of another region's member; one that fails the
// checks is dropped and logged.
func (r *regionPresence) receive(m jetstream.Msg) {
	if err := r.keep(m.Subject(), m.Data()); err != nil {
		slog.Warn("presence from another region refused", "subject", m.Subject(), "err", err)
	}
}

// keep checks a state published on subject and records it if it is newer
// than the one kept: it must arrive on its home region's subject for its
// account, from another region of the plan. Whether that region homes the
// account is checked where the state is shown (stateOf).
func (r *regionPresence) keep(subject string, data []byte) error {
	s, err := ParseRegionState(data)
	if err != nil {
		return err
	}
	if want := stateSubject(s.Region, s.AccountID); subject != want {
		return apperr.New(apperr.Invalid, "a state of %s/%s arrived on %s", s.Region, s.AccountID, subject)
	}
	if s.Region == r.plan.Region || !r.regions[s.Region] {
		return apperr.New(apperr.Invalid, "a state from region %s is not another region's", s.Region)
	}
	r.mu.Lock()
	byRegion := r.remote[s.AccountID]
	if byRegion == nil {
		byRegion = map[string]RegionState{}
		r.remote[s.AccountID] = byRegion
	}
	old, had := byRegion[s.Region]
	if had && old.Version >= s.Version {
		r.mu.Unlock()
		return nil
	}
	byRegion[s.Region] = s
	r.mu.Unlock()
	if (!had || old.State != s.State) && r.changed != nil {
		r.changed([]string{s.AccountID})
	}
	return nil
}

// stateOf is the state of accountID as homeRegion (where its entry came
// from) last published it; offline when it published none.
func (r *regionPresence) stateOf(accountID, homeRegion string) State {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.remote[accountID][homeRegion]; ok {
		return s.State
	}
	return StateOffline
}

// knows reports whether any region published a state of accountID.
func (r *regionPresence) knows(accountID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.remote[accountID]
	return ok
}

// online returns the accounts some other region says are reachable (not
// offline); stateOf decides, with their home region, what is shown.
func (r *regionPresence) online() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, byRegion := range r.remote {
		for _, s := range byRegion {
			if s.State != StateOffline {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// remoteState is the state of a member homed in homeRegion, as that region
// says (offline with one region).
func (s *Service) remoteState(accountID, homeRegion string) State {
	if s.shared == nil {
		return StateOffline
	}
	return s.shared.stateOf(accountID, homeRegion)
}

// remoteOnline returns the members of other regions that may be online
// (none with one region).
func (s *Service) remoteOnline() []string {
	if s.shared == nil {
		return nil
	}
	return s.shared.online()
}

// withRemoteStates fills in the states of other regions' members among
// out's accounts (offline here: no device of theirs is known here), as
// their home region — the region of their entry — says. Nothing happens
// with one region, or for accounts no region spoke of.
func (s *Service) withRemoteStates(ctx context.Context, out map[string]State) error {
	if s.shared == nil {
		return nil
	}
	var ids []string
	for id, st := range out {
		if st == StateOffline && s.shared.knows(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var homes []struct{ AccountID, Region string }
	if err := s.db.WithContext(ctx).Model(&regionEntryRow{}).Distinct("account_id", "region").
		Where("account_id IN ?", ids).Scan(&homes).Error; err != nil {
		return fmt.Errorf("load home regions: %w", err)
	}
	for _, h := range homes {
		out[h.AccountID] = s.shared.stateOf(h.AccountID, h.Region)
	}
	return nil
}

// shareStates publishes the states of this region's members that moved
// (nothing with one region).
func (s *Service) shareStates(ctx context.Context, states map[string]State) {
	if s.shared == nil {
		return
	}
	if err := s.shared.share(ctx, states); err != nil {
		slog.Warn("publish presence to other regions", "err", err)
	}
}

// shareAll works out the states of this region's members online now and
// of also (those last published online), and publishes the ones that
// moved: the sweep of regionPresence.
func (s *Service) shareAll(ctx context.Context, also []string) {
	online := s.presence.OnlineAccounts()
	for _, id := range also {
		online[id] = true
	}
	ids := make([]string, 0, len(online))
	for id := range online {
		ids = append(ids, id)
	}
	for len(ids) > 0 {
		n := min(len(ids), statesPerQuery)
		states, err := s.States(ctx, ids[:n])
		if err != nil {
			slog.Warn("presence states to share", "err", err)
			return
		}
		if err := s.shared.share(ctx, states); err != nil {
			slog.Warn("publish presence to other regions", "err", err)
			return
		}
		ids = ids[n:]
	}
	s.shared.sweepDone()
}

// whereAccountIn keeps the rows of q whose p.account_id is one of ids
// (none when ids is empty).
func whereAccountIn(q *gorm.DB, ids []string) *gorm.DB {
	if len(ids) == 0 {
		return q.Where("1 = 0")
	}
	return q.Where("p.account_id IN ?", ids)
}
