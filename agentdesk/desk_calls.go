package agentdesk

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/mall"
)

// Routes registers the desk's call handling: the agent's state, the
// store's queue, wrap-ups, engagements and the supervisor's live view.
func (r *Router) Routes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/desk/agent", staff, r.handleAgent)
	api.Put("/desk/agent/state", staff, r.handleSetAgentState)
	api.Get("/desk/queue", staff, r.handleQueue)
	api.Post("/desk/wrapups/:entry", staff, r.handleWrapUp)
	api.Get("/desk/engagements/:entry", staff, r.handleEngagement)
	api.Get("/desk/live", auth.RequireRole(auth.RoleSupervisor), r.handleLive)
}

func (r *Router) handleAgent(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	s, err := r.AgentStateOf(c.UserContext(), a.ID, *a.StoreID)
	if err != nil {
		return err
	}
	out := fiber.Map{"state": s.State, "since": s.Since, "wrapUntil": s.WrapUntil, "entryId": s.EntryID, "store": r.storeRef(c.UserContext(), *a.StoreID)}
	n, _ := r.dir.Numbers.PrimaryNumber(c.UserContext(), a.ID)
	num := string(n)
	if len(num) == 12 {
		out["number"], out["display"] = num, num[:4]+" "+num[4:8]+" "+num[8:]
	}
	if out["today"], err = r.agentToday(c.UserContext(), a.ID, *a.StoreID); err != nil {
		return err
	}
	return c.JSON(out)
}

// stateRequest is the body of PUT /desk/agent/state.
type stateRequest struct {
	State string `json:"state" required:"true"`
}

func (r *Router) handleSetAgentState(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req stateRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	s, err := r.SetAgentState(c.UserContext(), a.ID, *a.StoreID, req.State)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"state": s.State, "since": s.Since})
}

// lineView is a shopper in the store's line, as the desk lists them.
type lineView struct {
	EntryID       string          `json:"entryId"`
	Position      int             `json:"position"`
	WaitedSeconds int             `json:"waitedSeconds"`
	Name          string          `json:"name"`
	Member        bool            `json:"member"`
	State         string          `json:"state"`
	Product       *ContextProduct `json:"product,omitempty"`
}

func (r *Router) handleQueue(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var line []QueueEntry
	if err := r.db.WithContext(c.UserContext()).Where("store_id = ? AND state IN ?", *a.StoreID, []string{EntryWaiting, EntryOffered, EntryCallback}).
		Order("entered_at, id").Find(&line).Error; err != nil {
		return err
	}
	now := time.Now().UTC()
	waiting, callbacks := []lineView{}, []lineView{}
	for i, e := range line {
		v := lineView{EntryID: e.ID, Position: i + 1, WaitedSeconds: int(now.Sub(e.EnteredAt).Seconds()), Name: e.ShopperName, Member: e.AccountID != nil,
			State: e.State, Product: e.contextOf().Product}
		if e.Callback {
			callbacks = append(callbacks, v)
		} else {
			waiting = append(waiting, v)
		}
	}
	return c.JSON(fiber.Map{"waiting": waiting, "callbacks": callbacks})
}

// Outcome codes an agent closes an engagement with.
var outcomes = map[string]bool{"sold": true, "no_sale": true, "follow_up": true, "not_interested": true, "other": true}

// wrapUpRequest is the body of POST /desk/wrapups/{entry}.
type wrapUpRequest struct {
	Outcome string `json:"outcome" required:"true"`
	Note    string `json:"note"`
}

// maxNote bounds a wrap-up note.
const maxNote = 2000

func (r *Router) handleWrapUp(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req wrapUpRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if !outcomes[req.Outcome] {
		return apperr.New(apperr.Invalid, "outcome must be one of sold, no_sale, follow_up, not_interested, other; not %q", req.Outcome)
	}
	if len(req.Note) > maxNote {
		return apperr.New(apperr.Invalid, "the note has %d characters: keep it under %d", len(req.Note), maxNote)
	}
	res := r.db.WithContext(c.UserContext()).Model(&QueueEntry{}).
		Where("id = ? AND agent_account_id = ? AND state IN ?", c.Params("entry"), a.ID, []string{EntryConnected, EntryServed}).
		Updates(map[string]any{"outcome": req.Outcome, "note": req.Note, "wrapped_at": time.Now().UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return apperr.New(apperr.NotFound, "no engagement %q of yours to wrap up", c.Params("entry"))
	}
	return r.handleEngagement(c)
}

func (r *Router) handleEngagement(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var e QueueEntry
	err = r.db.WithContext(c.UserContext()).Where("id = ? AND store_id = ?", c.Params("entry"), *a.StoreID).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.New(apperr.NotFound, "no engagement %q in your store", c.Params("entry"))
	}
	if err != nil {
		return err
	}
	out := fiber.Map{"entryId": e.ID, "state": e.State, "name": e.ShopperName, "member": e.AccountID != nil, "context": e.contextOf(),
		"enteredAt": e.EnteredAt, "answeredAt": e.AnsweredAt, "endedAt": e.EndedAt, "outcome": e.Outcome, "note": e.Note, "callback": e.Callback}
	if e.AccountID != nil {
		out["accountId"] = *e.AccountID
	}
	out["orders"] = r.ordersOf(c, &e)
	if e.AgentAccountID != nil {
		agents, _ := r.accounts.Refs(c.UserContext(), []string{*e.AgentAccountID})
		out["agent"] = agents[*e.AgentAccountID].Name
	}
	return c.JSON(out)
}

// ordersOf lists the shopper's orders in the engagement's store since they
// called, newest first.
func (r *Router) ordersOf(c *fiber.Ctx, e *QueueEntry) []mall.OrderSummary {
	s := mall.Shopper{}
	if e.AccountID != nil {
		s.AccountID = *e.AccountID
	} else if e.GuestHash != nil {
		s.GuestHash = *e.GuestHash
	}
	out, err := r.stores.OrdersSince(c.UserContext(), e.StoreID, s, e.EnteredAt, 10)
	if err != nil {
		return []mall.OrderSummary{}
	}
	return out
}

func (r *Router) handleLive(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	l, err := r.Live(c.UserContext(), *a.StoreID)
	if err != nil {
		return err
	}
	return c.JSON(l)
}
