package directory

import (
	"context"
	"fmt"

	"github.com/livemall/livemall/backend/auth"
)

// RingTarget is a device that would ring for a call now. Callers see only
// its kind and label: device ids and nodes stay inside the server (a
// device id is where its calls and messages are delivered).
type RingTarget struct {
	DeviceID string `json:"-"`
	Node     string `json:"-"`
	State    State  `json:"-"`
	// Kind is phone, tablet or computer.
	Kind string `json:"kind"`
	// Label names the browser, such as "Firefox on Linux".
	Label string `json:"label"`
}

// States returns the state of each account: offline when none of its ring
// devices is online (push when the member takes pushes on one), busy when
// one is in a call, available when one is available, else away.
func (s *Service) States(ctx context.Context, accountIDs []string) (map[string]State, error) {
	targets, err := s.ringTargets(ctx, accountIDs)
	if err != nil {
		return nil, err
	}
	out, err := s.statesFrom(ctx, accountIDs, targets)
	if err != nil {
		return nil, err
	}
	return out, s.withRemoteStates(ctx, out) // other regions' members
}

// statesFrom folds ring targets already loaded into states, then marks the
// accounts in an answered call busy.
func (s *Service) statesFrom(ctx context.Context, accountIDs []string, targets map[string][]RingTarget) (map[string]State, error) {
	out := make(map[string]State, len(accountIDs))
	for _, id := range accountIDs {
		out[id] = stateOf(targets[id])
	}
	if len(accountIDs) == 0 {
		return out, nil
	}
	if err := s.withPushStates(ctx, out); err != nil {
		return nil, err
	}
	return out, s.markBusy(ctx, accountIDs, out)
}

// markBusy marks the accounts in an answered call busy in out, unless
// they are offline or reachable only by push.
func (s *Service) markBusy(ctx context.Context, accountIDs []string, out map[string]State) error {
	// An account in an answered call is busy, whatever its devices say.
	var inCall []struct{ CallerAccountID, CalleeAccountID string }
	err := s.db.WithContext(ctx).Table("calls").Select("COALESCE(caller_account_id, '') AS caller_account_id, COALESCE(callee_account_id, '') AS callee_account_id").
		Where("state = ? AND (caller_account_id IN ? OR callee_account_id IN ?)", "active", accountIDs, accountIDs).Scan(&inCall).Error
	if err != nil {
		return fmt.Errorf("load calls in progress: %w", err)
	}
	// So is one another party added, or the contact center joined, to a
	// call in progress (call_members.go).
	var members []string
	err = s.db.WithContext(ctx).Table("call_members AS m").Joins("JOIN calls c ON c.id = m.call_id").
		Where("c.state = ? AND m.account_id IN ?", "active", accountIDs).Pluck("m.account_id", &members).Error
	if err != nil {
		return fmt.Errorf("load members of calls in progress: %w", err)
	}
	for _, c := range inCall {
		members = append(members, c.CallerAccountID, c.CalleeAccountID)
	}
	for _, id := range members {
		if st, ok := out[id]; ok && st != StateOffline && st != StatePush {
			out[id] = StateBusy
		}
	}
	return nil
}

// stateOf folds the states of an account's ring devices into one.
func stateOf(targets []RingTarget) State {
	st := StateOffline
	for _, t := range targets {
		switch {
		case t.State == StateBusy:
			return StateBusy
		case t.State == StateAvailable:
			st = StateAvailable
		case st == StateOffline:
			st = t.State
		}
	}
	return st
}

// ringTargets returns, per account, the online devices a call would ring:
// the newest device the member signed in on (if it is online), or every
// online device carrying them when they chose ring-all. Agents ring on all
// their devices.
func (s *Service) ringTargets(ctx context.Context, accountIDs []string) (map[string][]RingTarget, error) {
	out := make(map[string][]RingTarget, len(accountIDs))
	if len(accountIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		AccountID string
		DeviceID  string
		RingMode  *RingMode
		Kind      string
		Label     string
	}
	err := s.db.WithContext(ctx).Table("device_accounts AS d").
		Select("d.account_id, d.device_id, p.ring_mode, dv.kind, dv.label").
		Joins("JOIN devices dv ON dv.id = d.device_id").
		Joins("LEFT JOIN member_profiles p ON p.account_id = d.account_id").
		Where("d.account_id IN ?", accountIDs).
		Order("d.account_id, d.signed_in_at DESC, d.device_id").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("load ring devices: %w", err)
	}
	accounts, err := s.accounts.Refs(ctx, accountIDs)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		a, ok := accounts[r.AccountID]
		if !ok {
			continue
		}
		all := a.Role != auth.RoleMember || (r.RingMode != nil && *r.RingMode == RingAll)
		if seen[r.AccountID] && !all {
			continue // only the newest device rings
		}
		seen[r.AccountID] = true
		if t, ok := s.ringTargetOf(r.DeviceID, r.Kind, r.Label); ok {
			out[r.AccountID] = append(out[r.AccountID], t)
		}
	}
	return out, nil
}

// RingTargetsOf returns the devices a call to the account would ring now.
func (s *Service) RingTargetsOf(ctx context.Context, accountID string) ([]RingTarget, error) {
	t, err := s.ringTargets(ctx, []string{accountID})
	if err != nil {
		return nil, err
	}
	return t[accountID], nil
}
