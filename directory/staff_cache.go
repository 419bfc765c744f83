package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/livemall/livemall/backend/auth"
)

// Routing asks, for every shopper it pairs, which of a store's agents are
// online. What that needs from the database (the store's agents, their
// names, the devices they are signed in on) changes only when someone signs
// in or out, is renamed or loses their sessions, so each node keeps it per
// store; whether each device is online is still read from presence, in
// memory, on every call. Every announced change to a route (route_cache.go)
// drops all of it on every node, and the look-up TTL bounds what nobody
// announces (a staff member added or removed by the store, a device label).

// staffDevice is one device an agent is signed in on.
type staffDevice struct {
	DeviceID string
	Kind     string
	Label    string
}

// staffAgent is one of a store's agents as the staff cache keeps them.
type staffAgent struct {
	AccountID string
	Name      string
	Devices   []staffDevice
}

// staffEntry is a store's agents, kept until until.
type staffEntry struct {
	agents []staffAgent
	until  time.Time
}

// staffCache keeps the stores' agents read recently. A read that began
// before a change and ends after it does not store what it read (an
// epoch, as the route cache).
type staffCache struct {
	ttl time.Duration

	mu      sync.Mutex
	epoch   uint64
	entries map[int64]staffEntry
}

// newStaffCache returns an empty cache keeping stores' agents for ttl.
func newStaffCache(ttl time.Duration) *staffCache {
	return &staffCache{ttl: ttl, entries: map[int64]staffEntry{}}
}

// get returns the store's agents when cached and fresh at now, and the
// epoch a read must hand to put when they are not. The slice is shared:
// callers only read it.
func (c *staffCache) get(storeID int64, now time.Time) ([]staffAgent, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[storeID]
	if ok && now.Before(e.until) {
		return e.agents, c.epoch, true
	}
	delete(c.entries, storeID)
	return nil, c.epoch, false
}

// put keeps the store's agents read at now, unless a change arrived since
// epoch.
func (c *staffCache) put(epoch uint64, storeID int64, agents []staffAgent, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	c.entries[storeID] = staffEntry{agents: agents, until: now.Add(c.ttl)}
}

// forget drops every store's agents: a change to anyone's sessions or
// devices may be a change to some store's staff.
func (c *staffCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
}

// storeAgents returns the store's agents with the devices they are signed
// in on, from this node's cache or read and kept.
func (s *Service) storeAgents(ctx context.Context, storeID int64) ([]staffAgent, error) {
	now := time.Now()
	agents, epoch, ok := s.staff.get(storeID, now)
	if ok {
		return agents, nil
	}
	agents, err := s.readStoreAgents(ctx, storeID)
	if err != nil {
		return nil, err
	}
	s.staff.put(epoch, storeID, agents, now)
	return agents, nil
}

// readStoreAgents reads the store's agents, their names and the devices
// they are signed in on (newest sign-in first), ordered by account id.
func (s *Service) readStoreAgents(ctx context.Context, storeID int64) ([]staffAgent, error) {
	ids, err := s.accounts.StaffOf(ctx, storeID, auth.RoleAgent)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	refs, err := s.accounts.Refs(ctx, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		AccountID string
		DeviceID  string
		Kind      string
		Label     string
	}
	err = s.db.WithContext(ctx).Table("device_accounts AS d").
		Select("d.account_id, d.device_id, dv.kind, dv.label").
		Joins("JOIN devices dv ON dv.id = d.device_id").
		Where("d.account_id IN ?", ids).
		Order("d.account_id, d.signed_in_at DESC, d.device_id").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load the devices of store %d's agents: %w", storeID, err)
	}
	byID := make(map[string]*staffAgent, len(ids))
	agents := make([]staffAgent, 0, len(ids))
	for _, id := range ids {
		if ref, ok := refs[id]; ok && ref.Role == auth.RoleAgent {
			agents = append(agents, staffAgent{AccountID: id, Name: ref.Name})
		}
	}
	for i := range agents {
		byID[agents[i].AccountID] = &agents[i]
	}
	for _, r := range rows {
		if a := byID[r.AccountID]; a != nil {
			a.Devices = append(a.Devices, staffDevice{DeviceID: r.DeviceID, Kind: r.Kind, Label: r.Label})
		}
	}
	slices.SortFunc(agents, func(a, b staffAgent) int { return strings.Compare(a.AccountID, b.AccountID) })
	return agents, nil
}

// onlineDevices returns the agent's devices that are online now, as ring
// targets (an agent rings on all of them), with their presence state.
func (s *Service) onlineDevices(a staffAgent) []RingTarget {
	var out []RingTarget
	for _, d := range a.Devices {
		if t, ok := s.ringTargetOf(d.DeviceID, d.Kind, d.Label); ok {
			out = append(out, t)
		}
	}
	return out
}

// ReachableAgent is one of a store's agents with a device online now.
type ReachableAgent struct {
	AccountID string
	Name      string
	// Devices are the agent's devices online now (an agent rings on all).
	Devices []RingTarget
}

// ReachableAgents lists the store's agents who have a device online now,
// ordered by account id: the candidates routing pairs shoppers with. It
// reads no database while this node's staff cache holds the store; an
// agent's calls are not looked at (routing keeps the agents' own states).
func (s *Service) ReachableAgents(ctx context.Context, storeID int64) ([]ReachableAgent, error) {
	agents, err := s.storeAgents(ctx, storeID)
	if err != nil {
		return nil, err
	}
	var out []ReachableAgent
	for _, a := range agents {
		if devices := s.onlineDevices(a); len(devices) > 0 {
			out = append(out, ReachableAgent{AccountID: a.AccountID, Name: a.Name, Devices: devices})
		}
	}
	return out, nil
}
