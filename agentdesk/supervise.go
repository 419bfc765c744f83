package agentdesk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/media"
)

// Supervision: a store's supervisor steps into one of the store's live
// calls from the desk, through the desk's own signaling connection (the
// one its hello names): Monitor listens and watches, unseen and unheard
// (a listener of the call's room); Whisper is heard by the agent only (a
// whisperer to the call's callee); Barge joins as a party, and the shopper
// sees "Noor, supervisor" join. A change of mode is made in place, on the
// same media connection. Every step is recorded on the engagement
// (engagement_supervisions): who, when, which mode.

// The modes a supervisor is in a call with, and the step out.
const (
	ModeMonitor = "monitor"
	ModeWhisper = "whisper"
	ModeBarge   = "barge"
	modeStop    = "stop"
)

// ParseSuperviseMode reads a supervision mode from outside input: monitor,
// whisper or barge, exactly; anything else is an Invalid error.
func ParseSuperviseMode(s string) (string, error) {
	switch s {
	case ModeMonitor, ModeWhisper, ModeBarge:
		return s, nil
	}
	if len(s) > 32 {
		s = s[:32] + "…"
	}
	return "", apperr.New(apperr.Invalid, "%q is not a way to join a call: use monitor, whisper or barge", s)
}

// roleOf is the room role of a mode.
func roleOf(mode string) media.Role {
	switch mode {
	case ModeWhisper:
		return media.RoleWhisperer
	case ModeBarge:
		return media.RoleParty
	}
	return media.RoleListener
}

// CallJoins is what supervision needs from the calls: bringing a desk's
// connection into a live call's room with a role, changing the role in
// place, and taking it out, on whichever node hosts the call
// (directory.Rooms implements it).
type CallJoins interface {
	Join(ctx context.Context, callID string, j directory.Joiner) error
	SetRole(ctx context.Context, callID, connID string, role media.Role, whisperToCallee bool) error
	Leave(ctx context.Context, callID, connID string) error
}

// SuperviseLimit bounds how often one supervisor steps into, changes mode
// in or steps out of calls.
var SuperviseLimit = limits.Rule{Name: "supervise", Max: 30, Per: time.Minute, Message: "too many steps in and out of calls: wait %d s"}

// Supervision records and carries out the supervisors' steps into live
// calls. It keeps, on each node, a responder for every supervisor's desk
// connection held there, so that a request on any node can check that the
// connection it names is the supervisor's own.
type Supervision struct {
	db     *gorm.DB
	sig    *media.Signaling
	calls  CallJoins
	limits *limits.Counter
	log    *slog.Logger
}

// NewSupervision returns the supervisors' steps into calls: the calls'
// rooms are reached through calls, the desks' connections through sig
// (and its bus); counter bounds each supervisor's steps (nil: no bound).
// Signals plugs it into the node's signaling.
func NewSupervision(db *gorm.DB, sig *media.Signaling, calls CallJoins, counter *limits.Counter) *Supervision {
	return &Supervision{db: db, sig: sig, calls: calls, limits: counter, log: slog.With("part", "supervision")}
}

// supervisionRow is one step of a supervisor in a call.
type supervisionRow struct {
	ID                  string    `gorm:"column:id;primaryKey"`
	EntryID             string    `gorm:"column:entry_id"`
	StoreID             int64     `gorm:"column:store_id"`
	SupervisorAccountID string    `gorm:"column:supervisor_account_id"`
	Mode                string    `gorm:"column:mode"`
	ConnID              string    `gorm:"column:conn_id"`
	At                  time.Time `gorm:"column:at"`
}

// TableName tells GORM where the steps live.
func (supervisionRow) TableName() string { return "engagement_supervisions" }

func newSupervisionID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "sv_" + hex.EncodeToString(b)
}

// Supervising is where a supervisor stands in a call after a step.
type Supervising struct {
	EntryID string    `json:"entryId"`
	CallID  string    `json:"callId"`
	Mode    string    `json:"mode"`
	Since   time.Time `json:"since"`
}

// deskSubject is where the node holding a supervisor's desk connection
// answers who holds it.
func deskSubject(connID string) string { return "lm.desk." + connID }

// deskOwner is the answer on deskSubject.
type deskOwner struct {
	AccountID string `json:"accountId"`
	DeviceID  string `json:"deviceId"`
}

// Signals answers, for each supervisor's desk connection on this node,
// who holds it, until it closes. Call it once, before the signaling
// routes serve.
func (s *Supervision) Signals() {
	s.sig.OnOpen(func(ctx context.Context, c *media.Conn) error {
		if c.AccountID == "" || s.sig.Bus == nil || c.Role != auth.RoleSupervisor {
			return nil
		}
		owner, _ := json.Marshal(deskOwner{AccountID: c.AccountID, DeviceID: c.DeviceID})
		sub, err := s.sig.Bus.Subscribe(deskSubject(c.ID), func(m *nats.Msg) { m.Respond(owner) })
		if err != nil {
			s.log.Warn("answer for a desk connection", "err", err)
			return nil
		}
		go func() {
			<-c.Context().Done()
			sub.Unsubscribe()
		}()
		return nil
	})
}

// ownerOf asks who holds the desk connection connID; a connection nobody
// answers for is not a supervisor's desk.
func (s *Supervision) ownerOf(ctx context.Context, connID string) (*deskOwner, error) {
	if s.sig.Bus == nil {
		return nil, apperr.New(apperr.Unavailable, "the desk's connections cannot be reached")
	}
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	reply, err := s.sig.Bus.RequestWithContext(rctx, deskSubject(connID), nil)
	if errors.Is(err, nats.ErrNoResponders) {
		return nil, nil
	}
	if err != nil {
		return nil, apperr.New(apperr.Unavailable, "the desk's connection did not answer in time; try again")
	}
	var o deskOwner
	if err := json.Unmarshal(reply.Data, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

// maxConnID bounds a connection id from outside input (they are 18 hex
// digits).
const maxConnID = 64

// checkConnID checks the shape of a connection id from outside input.
func checkConnID(id string) error {
	if id == "" || len(id) > maxConnID || strings.Trim(id, "0123456789abcdef") != "" {
		return apperr.New(apperr.Invalid, "connId must name your desk's signaling connection, as its hello says")
	}
	return nil
}

// Supervise steps the supervisor sup into the live call of the engagement
// entryID of their store, in mode (monitor, whisper or barge), through
// their desk's connection connID. A supervisor already in the call on
// that connection changes mode in place; one in another call (or on
// another connection) leaves it first. Refusals: a bad mode or connId
// (Invalid); an entry not of their store (NotFound); a call not live
// (Conflict); a connection that is not their desk's (Forbidden); too many
// steps (RateLimited). A refusal records nothing.
func (s *Supervision) Supervise(ctx context.Context, sup *auth.Account, entryID, mode, connID string) (*Supervising, error) {
	mode, err := ParseSuperviseMode(mode)
	if err != nil {
		return nil, err
	}
	if err := checkConnID(connID); err != nil {
		return nil, err
	}
	if sup.Role != auth.RoleSupervisor || sup.StoreID == nil {
		return nil, apperr.New(apperr.Forbidden, "only the store's supervisors can join its calls")
	}
	e, err := s.storeEntry(ctx, *sup.StoreID, entryID)
	if err != nil {
		return nil, err
	}
	if e.State != EntryConnected {
		return nil, apperr.New(apperr.Conflict, "the call with %s is not live: it has ended or nobody has answered it", e.ShopperName)
	}
	if err := s.limits.Take(ctx, SuperviseLimit, sup.ID); err != nil {
		return nil, err
	}
	owner, err := s.ownerOf(ctx, connID)
	if err != nil {
		return nil, err
	}
	if owner == nil || owner.AccountID != sup.ID {
		return nil, apperr.New(apperr.Forbidden, "that connection is not your desk's: reopen the desk and try again")
	}
	role, whisper := roleOf(mode), mode == ModeWhisper
	cur, err := s.current(ctx, sup.ID)
	if err != nil {
		return nil, err
	}
	inPlace := false
	if cur != nil && cur.row.EntryID == e.ID && cur.row.ConnID == connID {
		err := s.calls.SetRole(ctx, e.CallID, connID, role, whisper)
		switch {
		case err == nil:
			inPlace = true
		case !apperr.Is(err, apperr.NotFound):
			return nil, err
		}
	} else if cur != nil {
		// One call at a time: the supervisor leaves where they were.
		if err := s.calls.Leave(ctx, cur.callID, cur.row.ConnID); err != nil && !apperr.Is(err, apperr.NotFound) {
			return nil, err
		}
		if cur.row.EntryID != e.ID {
			if err := s.record(ctx, cur.row.EntryID, cur.row.StoreID, sup.ID, modeStop, cur.row.ConnID); err != nil {
				return nil, err
			}
		}
	}
	if !inPlace {
		j := directory.Joiner{ConnID: connID, AccountID: sup.ID, DeviceID: owner.DeviceID, Name: supervisorName(sup.Name), Role: role, WhisperToCallee: whisper}
		if err := s.calls.Join(ctx, e.CallID, j); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC()
	if err := s.recordAt(ctx, e.ID, e.StoreID, sup.ID, mode, connID, now); err != nil {
		if !inPlace {
			s.calls.Leave(context.WithoutCancel(ctx), e.CallID, connID)
		}
		return nil, err
	}
	return &Supervising{EntryID: e.ID, CallID: e.CallID, Mode: mode, Since: now}, nil
}

// Stop steps the supervisor out of the call of the engagement entryID.
// One not in it gets NotFound; a call that ended meanwhile is simply left.
func (s *Supervision) Stop(ctx context.Context, sup *auth.Account, entryID string) error {
	if sup.StoreID == nil {
		return apperr.New(apperr.Forbidden, "only the store's supervisors can join its calls")
	}
	e, err := s.storeEntry(ctx, *sup.StoreID, entryID)
	if err != nil {
		return err
	}
	cur, err := s.current(ctx, sup.ID)
	if err != nil {
		return err
	}
	if cur == nil || cur.row.EntryID != e.ID {
		return apperr.New(apperr.NotFound, "you are not in the call with %s", e.ShopperName)
	}
	if err := s.limits.Take(ctx, SuperviseLimit, sup.ID); err != nil {
		return err
	}
	if err := s.calls.Leave(ctx, e.CallID, cur.row.ConnID); err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return s.record(ctx, e.ID, e.StoreID, sup.ID, modeStop, cur.row.ConnID)
}

// storeEntry finds the engagement entryID of the store; any other is
// NotFound.
func (s *Supervision) storeEntry(ctx context.Context, storeID int64, entryID string) (*QueueEntry, error) {
	if len(entryID) > 64 {
		return nil, apperr.New(apperr.NotFound, "no call %q in your store", entryID[:64]+"…")
	}
	var e QueueEntry
	err := s.db.WithContext(ctx).Where("id = ? AND store_id = ? AND callback = ?", entryID, storeID, false).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no call %q in your store", entryID)
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// standing is where a supervisor is now: their latest step, when it is in
// a call that is still live.
type standing struct {
	row    supervisionRow
	callID string
}

// current returns where the supervisor is now, nil when in no live call.
func (s *Supervision) current(ctx context.Context, supID string) (*standing, error) {
	var row supervisionRow
	err := s.db.WithContext(ctx).Where("supervisor_account_id = ?", supID).Order("at DESC, id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if row.Mode == modeStop {
		return nil, nil
	}
	var e QueueEntry
	err = s.db.WithContext(ctx).Where("id = ? AND state = ?", row.EntryID, EntryConnected).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &standing{row: row, callID: e.CallID}, nil
}

// record writes a step now.
func (s *Supervision) record(ctx context.Context, entryID string, storeID int64, supID, mode, connID string) error {
	return s.recordAt(ctx, entryID, storeID, supID, mode, connID, time.Now().UTC())
}

func (s *Supervision) recordAt(ctx context.Context, entryID string, storeID int64, supID, mode, connID string, at time.Time) error {
	return s.db.WithContext(ctx).Create(&supervisionRow{ID: newSupervisionID(), EntryID: entryID, StoreID: storeID, SupervisorAccountID: supID, Mode: mode, ConnID: connID, At: at}).Error
}

// supervisorName is how the others in a call may know a supervisor: their
// first name and role ("Noor, supervisor").
func supervisorName(name string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(name), " ")
	if first == "" {
		return "A supervisor"
	}
	return first + ", supervisor"
}
