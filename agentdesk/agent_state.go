package agentdesk

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
)

// Agent states, as the desk shows them and routing reads them.
const (
	AgentOffline   = "offline"
	AgentAvailable = "available"
	AgentRinging   = "ringing"
	AgentOnCall    = "on_call"
	AgentWrapUp    = "wrap_up"
	AgentAway      = "away"
)

// AgentState is an agent's routing state. IdleSince orders the available
// agents: the one idle longest is offered the next shopper.
type AgentState struct {
	AccountID string     `gorm:"column:account_id;primaryKey" json:"-"`
	StoreID   int64      `gorm:"column:store_id" json:"-"`
	State     string     `gorm:"column:state" json:"state" ts:"'offline' | 'available' | 'ringing' | 'on_call' | 'wrap_up' | 'away'"`
	Since     time.Time  `gorm:"column:since" json:"since"`
	IdleSince time.Time  `gorm:"column:idle_since" json:"-"`
	WrapUntil *time.Time `gorm:"column:wrap_until" json:"wrapUntil,omitempty"`
	EntryID   *string    `gorm:"column:entry_id" json:"entryId,omitempty"`
}

// TableName tells GORM where agent states live.
func (AgentState) TableName() string { return "agent_states" }

// effective is the state the agent is in now: a wrap-up whose timer ran
// out is available.
func (s AgentState) effective(now time.Time) AgentState {
	if s.State == AgentWrapUp && s.WrapUntil != nil && !s.WrapUntil.After(now) {
		s.State, s.Since, s.WrapUntil, s.EntryID = AgentAvailable, *s.WrapUntil, nil, nil
	}
	return s
}

// agentStateOf loads an agent's state, creating an offline one for an agent
// routing has not met yet.
func agentStateOf(tx *gorm.DB, accountID string, storeID int64) (*AgentState, error) {
	now := time.Now().UTC()
	fresh := AgentState{AccountID: accountID, StoreID: storeID, State: AgentOffline, Since: now, IdleSince: now}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error; err != nil {
		return nil, err
	}
	var s AgentState
	if err := tx.Where("account_id = ?", accountID).Take(&s).Error; err != nil {
		return nil, err
	}
	return &s, nil
}

// moveAgent changes an agent's state on the condition that it is still the
// state the caller saw, so two nodes cannot both move one agent. It reports
// whether the move happened.
func moveAgent(tx *gorm.DB, accountID, from string, changes map[string]any) (bool, error) {
	res := tx.Model(&AgentState{}).Where("account_id = ? AND state = ?", accountID, from).Updates(changes)
	return res.RowsAffected == 1, res.Error
}

// SetAgentState is the agent's own choice: available or away. Becoming
// available ends a wrap-up early; a ringing or busy agent cannot choose.
func (q *Queue) SetAgentState(ctx context.Context, accountID string, storeID int64, state string) (*AgentState, error) {
	if state != AgentAvailable && state != AgentAway {
		return nil, apperr.New(apperr.Invalid, "state must be available or away, not %q", state)
	}
	var out *AgentState
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := agentStateOf(tx, accountID, storeID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		eff := cur.effective(now)
		switch eff.State {
		case AgentRinging, AgentOnCall:
			return apperr.New(apperr.Conflict, "you are %s: finish it first", humanAgentState(eff.State))
		case state:
			out = &eff
			return nil
		}
		changes := map[string]any{"state": state, "since": now, "wrap_until": nil, "entry_id": nil}
		if state == AgentAvailable {
			changes["idle_since"] = now
		}
		ok, err := moveAgent(tx, accountID, cur.State, changes)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Conflict, "your state changed meanwhile: try again")
		}
		out = &AgentState{AccountID: accountID, StoreID: storeID, State: state, Since: now}
		return nil
	})
	if err != nil {
		return nil, err
	}
	q.agentChanged(ctx, accountID)
	q.kick(storeID)
	return out, nil
}

// AgentStateOf returns an agent's state as of now.
func (q *Queue) AgentStateOf(ctx context.Context, accountID string, storeID int64) (*AgentState, error) {
	s, err := agentStateOf(q.db.WithContext(ctx), accountID, storeID)
	if err != nil {
		return nil, err
	}
	eff := s.effective(time.Now().UTC())
	return &eff, nil
}

// agentOnline is called when an agent's desk connects: an offline agent
// becomes available.
func (q *Queue) agentOnline(ctx context.Context, accountID string, storeID int64) {
	err := q.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		cur, err := agentStateOf(tx, accountID, storeID)
		if err != nil || cur.State != AgentOffline {
			return err
		}
		now := time.Now().UTC()
		_, err = moveAgent(tx, accountID, AgentOffline, map[string]any{"state": AgentAvailable, "since": now, "idle_since": now})
		return err
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		q.log.Warn("agent online", "account", accountID, "err", err)
	}
	q.agentChanged(ctx, accountID)
	q.kick(storeID)
}

// agentOffline takes an agent out of routing: signed out, or their devices
// went quiet. An agent in a call stays in it until it ends.
func (q *Queue) agentOffline(ctx context.Context, accountID string) {
	now := time.Now().UTC()
	res := q.db.WithContext(ctx).Model(&AgentState{}).Where("account_id = ? AND state IN ?", accountID, []string{AgentAvailable, AgentAway, AgentWrapUp}).
		Updates(map[string]any{"state": AgentOffline, "since": now, "wrap_until": nil, "entry_id": nil})
	if res.Error == nil && res.RowsAffected > 0 {
		q.agentChanged(ctx, accountID)
	}
}

// humanAgentState says a state in words.
func humanAgentState(s string) string {
	switch s {
	case AgentOnCall:
		return "on a call"
	case AgentWrapUp:
		return "wrapping up"
	}
	return s
}
