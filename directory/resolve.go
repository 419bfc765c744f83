package directory

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// Party is whom a number reaches.
type Party struct {
	Type      PartyType      `json:"type"`
	Name      string         `json:"name"`
	AccountID string         `json:"accountId,omitempty"`
	Store     *auth.StoreRef `json:"store,omitempty"`
	// StoreID is the store of a sales number (0 for others).
	StoreID int64 `json:"-"`
	// Region is the home region of a member homed in another region;
	// empty for this region's parties.
	Region string `json:"region,omitempty"`
}

// Resolution is a number resolved to its party, its state and the devices
// (and nodes) a call would ring now.
type Resolution struct {
	Number  Number       `json:"number"`
	Display string       `json:"display"`
	Party   Party        `json:"party"`
	State   State        `json:"state"`
	Ring    []RingTarget `json:"ring"`
}

// Resolve answers for any number: a member or agent rings their devices; a
// store's sales number is answered by its queue, available while any of
// its agents is online (OnlineAgents). A number nobody holds is NotFound.
// A member's or agent's number takes one query (route) for the number,
// the profile and the devices; an agent's name, an offline member's push
// devices and an online party's calls in progress take one more each.
// The route is read from the database: what Resolve says rings is what a
// dial rings.
func (s *Service) Resolve(ctx context.Context, num Number) (*Resolution, error) {
	return s.resolve(ctx, num, s.route)
}

// resolve is Resolve with the number's route read by route: from the
// database (Service.route) or from this node's cache (Service.cachedRoute).
func (s *Service) resolve(ctx context.Context, num Number, route func(context.Context, Number) (*numberRoute, error)) (*Resolution, error) {
	r, err := route(ctx, num)
	if err != nil {
		return nil, err
	}
	if r.PartyType == PartyQueue {
		return s.resolveQueue(ctx, newResolution(num, r), *r.StoreID)
	}
	return s.resolveParty(ctx, num, r)
}

// resolveToDial is Resolve for a dial: the same route and party, but a
// store's sales number comes without the state of its line, which a dial
// does not look at (the line takes the call whatever its agents are
// doing): two queries fewer on the way to an agent's ring.
func (s *Service) resolveToDial(ctx context.Context, num Number) (*Resolution, error) {
	r, err := s.route(ctx, num)
	if err != nil {
		return nil, err
	}
	if r.PartyType == PartyQueue {
		res := newResolution(num, r)
		if err := s.nameQueue(ctx, res, *r.StoreID); err != nil {
			return nil, err
		}
		return res, nil
	}
	return s.resolveParty(ctx, num, r)
}

// newResolution is a number's resolution before its party is filled in:
// offline, ringing nothing.
func newResolution(num Number, r *numberRoute) *Resolution {
	return &Resolution{Number: num, Display: num.String(), Party: Party{Type: r.PartyType}, State: StateOffline, Ring: []RingTarget{}}
}

// resolveParty fills in a member's or an agent's number from its route:
// their name, the devices that ring and their state.
func (s *Service) resolveParty(ctx context.Context, num Number, r *numberRoute) (*Resolution, error) {
	res := newResolution(num, r)
	id := *r.AccountID
	member := r.PartyType == PartyMember
	name := ""
	if member && r.ProfileName != nil {
		name = *r.ProfileName // kept current by auth's Renamed hook
	} else {
		refs, err := s.accounts.Refs(ctx, []string{id})
		a, ok := refs[id]
		if err == nil && !ok {
			err = gorm.ErrRecordNotFound
		}
		if err != nil {
			return nil, fmt.Errorf("load party of %s: %w", num, err)
		}
		name, member = a.Name, a.Role == auth.RoleMember
	}
	res.Party.Name, res.Party.AccountID = name, id
	// As ringTargets: the newest device rings (if it is online), or all of
	// them for staff and for members who chose ring-all.
	all := !member || (r.RingMode != nil && *r.RingMode == RingAll)
	for _, d := range r.devices {
		if t, ok := s.ringTargetOf(d.DeviceID, d.Kind, d.Label); ok {
			res.Ring = append(res.Ring, t)
		}
		if !all {
			break
		}
	}
	res.State = stateOf(res.Ring)
	if member && res.State == StateOffline && s.pushes != nil {
		reach, err := s.pushReachable(ctx, id)
		if err != nil {
			return nil, err
		}
		if reach {
			res.State = StatePush
		}
	}
	if res.State == StateOffline || res.State == StatePush {
		return res, nil
	}
	// An account in an answered call is busy, whatever its devices say (a
	// question only for an online one: it saves the offline the query).
	var inCall bool
	err := s.db.WithContext(ctx).Raw(`SELECT `+inAnsweredCallSQL+`
		OR EXISTS (SELECT 1 FROM call_members m JOIN calls mc ON mc.id = m.call_id WHERE mc.state = 'active' AND m.account_id = ?)`, id, id, id).Scan(&inCall).Error
	if err != nil {
		return nil, fmt.Errorf("load calls in progress of %s: %w", num, err)
	}
	if inCall {
		res.State = StateBusy
	}
	return res, nil
}

// resolveQueue fills in a store's sales number: the store and the state of
// its queue, available while any of its agents is.
func (s *Service) resolveQueue(ctx context.Context, res *Resolution, storeID int64) (*Resolution, error) {
	if err := s.nameQueue(ctx, res, storeID); err != nil {
		return nil, err
	}
	states, err := s.OnlineAgents(ctx, storeID)
	if err != nil {
		return nil, err
	}
	for _, st := range states {
		if st == StateAvailable || (st != StateOffline && res.State == StateOffline) {
			res.State = st
		}
	}
	return res, nil
}

// nameQueue names a store's sales number's party: the store.
func (s *Service) nameQueue(ctx context.Context, res *Resolution, storeID int64) error {
	slug, name, err := s.stores.StoreName(ctx, storeID)
	if err != nil {
		return fmt.Errorf("load store of %s: %w", res.Number, err)
	}
	res.Party.Name, res.Party.Store, res.Party.StoreID = name, &auth.StoreRef{Slug: slug, Name: name}, storeID
	return nil
}

// routeRow is one row of route's query: the number, its member's profile
// and one of the devices its account is signed in on (none: nil).
type routeRow struct {
	PartyType   PartyType
	AccountID   *string
	StoreID     *int64
	ProfileName *string
	RingMode    *RingMode
	DeviceID    *string
	Kind        *string
	Label       *string
}

// numberRoute is a number's route: its record, its member's profile and
// the devices its account is signed in on, newest first.
type numberRoute struct {
	routeRow
	devices []RingTarget
}

// routeSQL is route's query: numbers ⟕ member_profiles ⟕ device_accounts
// ⟕ devices, newest sign-in first.
const routeSQL = `SELECT n.party_type, n.account_id, n.store_id, p.name, p.ring_mode, dv.id, dv.kind, dv.label
	FROM numbers n
	LEFT JOIN member_profiles p ON p.account_id = n.account_id
	LEFT JOIN device_accounts d ON d.account_id = n.account_id
	LEFT JOIN devices dv ON dv.id = d.device_id
	WHERE n.number = ?
	ORDER BY d.signed_in_at DESC, d.device_id`

// routeStatement prepares routeSQL once on the database under s.db. The
// route is asked on every resolve: database/sql with a prepared statement
// and scans into fixed columns skips GORM's statement building and
// reflection, which cost as much as the query on SQLite.
func (s *Service) routeStatement(ctx context.Context) (*sql.Stmt, error) {
	if stmt := s.routeStmt.Load(); stmt != nil {
		return stmt, nil
	}
	s.routeMu.Lock()
	defer s.routeMu.Unlock()
	if stmt := s.routeStmt.Load(); stmt != nil {
		return stmt, nil
	}
	db, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	q := routeSQL
	if s.db.Dialector.Name() == "postgres" {
		q = strings.Replace(q, "?", "$1", 1)
	}
	stmt, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s.routeStmt.Store(stmt)
	return stmt, nil
}

// route reads a number's route in one query. NotFound when nobody holds
// the number.
func (s *Service) route(ctx context.Context, num Number) (*numberRoute, error) {
	stmt, err := s.routeStatement(ctx)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", num, err)
	}
	rows, err := stmt.QueryContext(ctx, string(num))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", num, err)
	}
	defer rows.Close()
	var (
		r     *numberRoute
		party string
		store sql.NullInt64

		account, name, ringMode, device, kind, label sql.NullString
	)
	for rows.Next() {
		if err := rows.Scan(&party, &account, &store, &name, &ringMode, &device, &kind, &label); err != nil {
			return nil, fmt.Errorf("resolve %s: %w", num, err)
		}
		if r == nil {
			r = &numberRoute{routeRow: routeRow{PartyType: PartyType(party)}}
			if account.Valid {
				r.AccountID = new(account.String)
			}
			if store.Valid {
				r.StoreID = new(store.Int64)
			}
			if name.Valid {
				r.ProfileName = new(name.String)
			}
			if ringMode.Valid {
				mode := RingMode(ringMode.String)
				r.RingMode = &mode
			}
		}
		// A sign-in whose device row is gone rings nothing (ringTargets
		// joins the devices).
		if device.Valid {
			r.devices = append(r.devices, RingTarget{DeviceID: device.String, Kind: kind.String, Label: label.String})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("resolve %s: %w", num, err)
	}
	if r == nil {
		return nil, apperr.New(apperr.NotFound, "nobody has the number %s", num)
	}
	return r, nil
}

// ringTargetOf returns the device as a ring target when it is online, with
// the state of its busiest connection (ringTargets, resolve and the staff
// cache all use it).
func (s *Service) ringTargetOf(deviceID, kind, label string) (RingTarget, bool) {
	node, state, ok := s.presence.DeviceStanding(deviceID)
	if !ok {
		return RingTarget{}, false
	}
	return RingTarget{DeviceID: deviceID, Node: node, State: state, Kind: kind, Label: label}, true
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
