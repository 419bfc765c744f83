package directory

import (
	"context"
	"fmt"

	"gorm.io/gorm"

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
func (s *Service) Resolve(ctx context.Context, num Number) (*Resolution, error) {
	rec, err := s.Numbers.FindNumber(ctx, num)
	if err != nil {
		return nil, err
	}
	res := &Resolution{Number: num, Display: num.String(), Party: Party{Type: rec.PartyType}, State: StateOffline, Ring: []RingTarget{}}
	if rec.PartyType == PartyQueue {
		slug, name, err := s.stores.StoreName(ctx, *rec.StoreID)
		if err != nil {
			return nil, fmt.Errorf("load store of %s: %w", num, err)
		}
		res.Party.Name, res.Party.Store, res.Party.StoreID = name, &auth.StoreRef{Slug: slug, Name: name}, *rec.StoreID
		states, err := s.OnlineAgents(ctx, *rec.StoreID)
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
	refs, err := s.accounts.Refs(ctx, []string{*rec.AccountID})
	a, ok := refs[*rec.AccountID]
	if err == nil && !ok {
		err = gorm.ErrRecordNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load party of %s: %w", num, err)
	}
	res.Party.Name, res.Party.AccountID = a.Name, *rec.AccountID
	targets, err := s.ringTargets(ctx, []string{*rec.AccountID})
	if err != nil {
		return nil, err
	}
	if t := targets[*rec.AccountID]; len(t) > 0 {
		res.Ring = t
	}
	states, err := s.statesFrom(ctx, []string{*rec.AccountID}, targets)
	if err != nil {
		return nil, err
	}
	res.State = states[*rec.AccountID]
	return res, nil
}
