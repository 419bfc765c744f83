package agentdesk

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/directory"
)

// Desk serves the agent's desk over HTTP: the agent's state, the store's
// line, wrap-ups, engagements and their shared cart, and the supervisor's
// live view. Its handlers parse the request, take the store from the
// signed-in staff member's account (never from the request) and ask the
// Queue or the Engagements; they hold no rule of their own.
type Desk struct {
	queue       *Queue
	engagements *Engagements
	stores      storeNames
	numbers     Numbers
}

// Numbers is what the desk needs from the directory: the agent's own
// number, shown on their desk (*directory.Numbers implements it).
type Numbers interface {
	PrimaryNumber(ctx context.Context, accountID string) (directory.Number, error)
}

// NewDesk serves the desk over queue and engagements; stores names the
// agent's store (*mall.Catalog implements it), numbers the agent's number.
// Routes registers its endpoints.
func NewDesk(queue *Queue, engagements *Engagements, stores Stores, numbers Numbers) *Desk {
	return &Desk{queue: queue, engagements: engagements, stores: stores, numbers: numbers}
}

// Routes registers the desk's call handling on api (the /api/v1 group):
// the agent's state, the store's queue, wrap-ups, engagements and their
// shared cart (the shopper's cart, suggestions for it, adding to it), the
// supervisor's live view, and the figures for a range of days
// (analytics_routes.go).
func (d *Desk) Routes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/desk/agent", staff, d.handleAgent)
	api.Put("/desk/agent/state", staff, d.handleSetAgentState)
	api.Get("/desk/queue", staff, d.handleQueue)
	api.Post("/desk/wrapups/:entry", staff, d.handleWrapUp)
	api.Get("/desk/engagements/:entry", staff, d.handleEngagement)
	api.Get("/desk/live", auth.RequireRole(auth.RoleSupervisor), d.handleLive)
	api.Get("/desk/analytics", staff, d.handleAnalytics)
	api.Get("/desk/analytics.csv", staff, d.handleAnalyticsCSV)
	api.Get("/desk/engagements/:entry/cart", staff, d.handleEngagementCart)
	api.Post("/desk/engagements/:entry/cart/items", staff, d.handleSuggest)
	d.transferRoutes(api, staff)
}

func (d *Desk) handleAgent(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	s, err := d.queue.AgentStateOf(ctx, a.ID, *a.StoreID)
	if err != nil {
		return err
	}
	out := fiber.Map{"state": s.State, "since": s.Since, "wrapUntil": s.WrapUntil, "entryId": s.EntryID, "store": storeRefOf(ctx, d.stores, *a.StoreID)}
	n, _ := d.numbers.PrimaryNumber(ctx, a.ID)
	num := string(n)
	if len(num) == 12 {
		out["number"], out["display"] = num, num[:4]+" "+num[4:8]+" "+num[8:]
	}
	if out["today"], err = d.engagements.agentToday(ctx, a.ID, *a.StoreID); err != nil {
		return err
	}
	return c.JSON(out)
}

// stateRequest is the body of PUT /desk/agent/state.
type stateRequest struct {
	State string `json:"state" required:"true"`
}

func (d *Desk) handleSetAgentState(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req stateRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	s, err := d.queue.SetAgentState(c.UserContext(), a.ID, *a.StoreID, req.State)
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

func (d *Desk) handleQueue(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	line, err := d.queue.Line(c.UserContext(), *a.StoreID)
	if err != nil {
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

// wrapUpRequest is the body of POST /desk/wrapups/{entry}.
type wrapUpRequest struct {
	Outcome string `json:"outcome" required:"true"`
	Note    string `json:"note"`
}

func (d *Desk) handleWrapUp(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	var req wrapUpRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if err := d.engagements.WrapUp(c.UserContext(), a.ID, c.Params("entry"), req.Outcome, req.Note); err != nil {
		return err
	}
	return d.handleEngagement(c)
}

func (d *Desk) handleEngagement(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	v, err := d.engagements.View(c.UserContext(), *a.StoreID, c.Params("entry"))
	if err != nil {
		return err
	}
	if a.Role != auth.RoleSupervisor {
		v.Supervisions = heardByAgent(v.Supervisions)
	}
	return c.JSON(v)
}

func (d *Desk) handleLive(c *fiber.Ctx) error {
	a, err := staffAccount(c)
	if err != nil {
		return err
	}
	l, err := d.engagements.Live(c.UserContext(), *a.StoreID)
	if err != nil {
		return err
	}
	if l.Calls, err = d.engagements.CallsInProgress(c.UserContext(), *a.StoreID, a.ID); err != nil {
		return err
	}
	return c.JSON(l)
}

// engagementOfAgent returns the live engagement in the path that the
// signed-in agent is serving; any other entry is NotFound.
func (d *Desk) engagementOfAgent(c *fiber.Ctx) (*QueueEntry, *auth.Account, error) {
	a, err := staffAccount(c)
	if err != nil {
		return nil, nil, err
	}
	e, err := d.engagements.LiveEngagementOf(c.UserContext(), a.ID, *a.StoreID, c.Params("entry"))
	return e, a, err
}

func (d *Desk) handleEngagementCart(c *fiber.Ctx) error {
	e, _, err := d.engagementOfAgent(c)
	if err != nil {
		return err
	}
	cart, sugg, err := d.engagements.Cart(c.UserContext(), e)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cart": cart, "suggestions": sugg})
}

// suggestRequest is the body of POST /desk/engagements/{entry}/cart/items.
type suggestRequest struct {
	SKU      string `json:"sku" required:"true"`
	Quantity int    `json:"quantity"`
	Reason   string `json:"reason"`
}

func (d *Desk) handleSuggest(c *fiber.Ctx) error {
	e, a, err := d.engagementOfAgent(c)
	if err != nil {
		return err
	}
	var req suggestRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	cart, err := d.engagements.Suggest(c.UserContext(), e, a.ID, req.SKU, req.Quantity, req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"cart": cart})
}
