package mall

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/web"
)

// GuestCookie identifies a guest's cart; only its hash is stored.
const GuestCookie = "lm_guest"

// GuestDevices issues devices (auth.Service does): a new guest's browser
// gets its device when the guest cookie is issued.
type GuestDevices interface {
	// DeviceOf binds the guest (the hash of its cookie) to the browser's
	// device, issuing one when the browser has none, and returns its id.
	DeviceOf(c *fiber.Ctx, guest string) (string, error)
}

// Shop serves carts and orders over HTTP.
type Shop struct {
	Carts  *Carts
	Orders *Orders
	// Secure sets the Secure attribute on the guest cookie (HTTPS sites).
	Secure bool
	limits *limits.Counter // nil limits nothing

	devices GuestDevices // nil: guests get their device at their first socket

	closeOnce sync.Once
	closing   chan struct{}
}

// NewShop returns the HTTP side of carts and orders; devices, when not
// nil, issues the device of each new guest. lim bounds new guests per
// client address and cart event streams per shopper; nil limits nothing.
func NewShop(carts *Carts, orders *Orders, secure bool, devices GuestDevices, lim *limits.Counter) *Shop {
	return &Shop{Carts: carts, Orders: orders, Secure: secure, devices: devices, limits: lim, closing: make(chan struct{})}
}

// Close ends the open cart event streams, so a shutdown does not wait for
// them; browsers reconnect to another node.
func (h *Shop) Close() { h.closeOnce.Do(func() { close(h.closing) }) }

// shopper identifies who is shopping: the signed-in account, else the
// guest cookie. ok is false for a guest without a cookie who is only
// looking.
func (h *Shop) shopper(c *fiber.Ctx, create bool) (s Shopper, ok bool) {
	s, ok, _ = h.shopperMaybeNew(c, create)
	return s, ok
}

// shopperOrNew identifies who is shopping, creating a guest cookie for a
// newcomer, within the limit of new guests per client address (across
// nodes); over it the answer is apperr.RateLimited.
func (h *Shop) shopperOrNew(c *fiber.Ctx) (Shopper, error) {
	s, _, err := h.shopperMaybeNew(c, true)
	return s, err
}

func (h *Shop) shopperMaybeNew(c *fiber.Ctx, create bool) (s Shopper, ok bool, err error) {
	if a := auth.CurrentAccount(c); a != nil {
		return Shopper{AccountID: a.ID}, true, nil
	}
	token := c.Cookies(GuestCookie)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 24 {
		if !create {
			return Shopper{}, false, nil
		}
		if l := h.limits; l != nil {
			if err := l.Take(c.UserContext(), l.Rules.NewGuests, web.ClientIP(c)); err != nil {
				return Shopper{}, false, err
			}
		}
		b := make([]byte, 24)
		rand.Read(b)
		token = base64.RawURLEncoding.EncodeToString(b)
		c.Cookie(&fiber.Cookie{Name: GuestCookie, Value: token, Path: "/", HTTPOnly: true, Secure: h.Secure || c.Protocol() == "https",
			SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Now().Add(30 * 24 * time.Hour)})
		sum := sha256.Sum256([]byte(token))
		guest := hex.EncodeToString(sum[:])
		if h.devices != nil {
			if _, err := h.devices.DeviceOf(c, guest); err != nil {
				// Not fatal: the guest's first socket binds a device.
				slog.Warn("issue guest device", "err", err)
			}
		}
		return Shopper{GuestHash: guest}, true, nil
	}
	sum := sha256.Sum256([]byte(token))
	return Shopper{GuestHash: hex.EncodeToString(sum[:])}, true, nil
}

// ShopperOf names the request's shopper, the signed-in account or the
// guest cookie, without creating a guest; ok is false for nobody.
func (h *Shop) ShopperOf(c *fiber.Ctx) (Shopper, bool) { return h.shopper(c, false) }

// GuestOf names the request's guest shopper by the guest cookie, without
// creating one: "" for none (the signaling WebSocket asks this).
func GuestOf(c *fiber.Ctx) string {
	if auth.CurrentAccount(c) != nil {
		return ""
	}
	token := c.Cookies(GuestCookie)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 24 {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (h *Shop) handleGuest(c *fiber.Ctx) error {
	s, err := h.shopperOrNew(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"guest": s.AccountID == ""})
}

// Routes registers the cart, checkout and order endpoints on api.
func (h *Shop) Routes(api fiber.Router) {
	api.Post("/guest", h.handleGuest)
	api.Get("/cart", h.handleCart)
	api.Post("/cart/items", h.handleAddItem)
	api.Put("/cart/items/:store/:sku", h.handleSetQuantity)
	api.Delete("/cart/items/:store/:sku", h.handleRemoveItem)
	api.Post("/cart/items/:store/:sku/accept", h.handleAcceptSuggestion)
	api.Delete("/cart", h.handleClear)
	api.Get("/cart/events", h.handleCartEvents)
	api.Post("/checkout", h.handleCheckout)
	api.Get("/orders", h.handleOrders)
	api.Get("/orders/:id", h.handleOrder)
	api.Post("/orders/:id/pay", h.handlePay)
	api.Post("/orders/:id/abandon", h.handleAbandon)
	api.Get("/desk/orders", auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor), h.handleStoreOrders)
}

func (h *Shop) handleCart(c *fiber.Ctx) error {
	s, ok := h.shopper(c, false)
	if !ok {
		return c.JSON(fiber.Map{"cart": &CartView{Items: []CartItemView{}, Currency: Currency}})
	}
	v, err := h.Carts.View(c.UserContext(), s)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cart": v})
}

// addItemRequest is the body of POST /cart/items.
type addItemRequest struct {
	Store    string `json:"store" required:"true"`
	SKU      string `json:"sku" required:"true"`
	Quantity int    `json:"quantity"`
}

func (h *Shop) handleAddItem(c *fiber.Ctx) error {
	var req addItemRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	return h.changeCart(c, func(ctx context.Context, s Shopper) (*CartView, error) {
		return h.Carts.AddItem(ctx, s, req.Store, req.SKU, req.Quantity, nil)
	})
}

// quantityRequest is the body of PUT /cart/items/{store}/{sku}.
type quantityRequest struct {
	Quantity int `json:"quantity"`
}

func (h *Shop) handleSetQuantity(c *fiber.Ctx) error {
	var req quantityRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	return h.changeCart(c, func(ctx context.Context, s Shopper) (*CartView, error) {
		return h.Carts.SetQuantity(ctx, s, c.Params("store"), c.Params("sku"), req.Quantity)
	})
}

func (h *Shop) handleAcceptSuggestion(c *fiber.Ctx) error {
	s, ok := h.shopper(c, false)
	if !ok {
		return apperr.New(apperr.NotFound, "you have no cart")
	}
	v, err := h.Carts.AcceptSuggestion(c.UserContext(), s, c.Params("store"), c.Params("sku"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cart": v})
}

func (h *Shop) handleRemoveItem(c *fiber.Ctx) error {
	return h.changeCart(c, func(ctx context.Context, s Shopper) (*CartView, error) {
		return h.Carts.RemoveItem(ctx, s, c.Params("store"), c.Params("sku"))
	})
}

func (h *Shop) handleClear(c *fiber.Ctx) error {
	return h.changeCart(c, h.Carts.Clear)
}

// handleCartEvents streams the cart as Server-Sent Events: a snapshot at
// once and after every change, from any tab or device.
func (h *Shop) handleCartEvents(c *fiber.Ctx) error {
	if h.Carts.bus == nil {
		return apperr.New(apperr.Unavailable, "live cart updates are off")
	}
	s, err := h.shopperOrNew(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	id, err := h.Carts.CartID(ctx, s)
	if err != nil {
		return err
	}
	first, err := h.Carts.View(ctx, s)
	if err != nil {
		return err
	}
	var lease *limits.Lease
	if l := h.limits; l != nil {
		// Each stream holds a subscription and a connection for minutes:
		// one shopper may hold only a few, across nodes.
		if lease, err = l.Hold(ctx, l.Rules.CartStreams, s.key()); err != nil {
			return err
		}
	}
	updates := make(chan *nats.Msg, 16)
	sub, err := h.Carts.bus.ChanSubscribe(cartSubject(id), updates)
	if err != nil {
		lease.Release()
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Accel-Buffering", "no")
	initial, _ := json.Marshal(first)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Unsubscribe()
		held, done := context.WithCancel(context.Background())
		defer done()
		go lease.Keep(held)
		write := func(event string, data []byte) bool {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
			return w.Flush() == nil
		}
		if !write("cart", initial) {
			return
		}
		keepalive := time.NewTicker(15 * time.Second)
		defer keepalive.Stop()
		timeout := time.After(10 * time.Minute) // the browser reconnects
		for {
			select {
			case m := <-updates:
				if !write("cart", m.Data) {
					return
				}
			case <-keepalive.C:
				if _, err := w.WriteString(": keepalive\n\n"); err != nil || w.Flush() != nil {
					return
				}
			case <-timeout:
				return
			case <-h.closing:
				return
			}
		}
	})
	return nil
}

func (h *Shop) handleCheckout(c *fiber.Ctx) error {
	if len(c.Body()) > 0 {
		if err := web.DecodeJSON(c, &struct{}{}); err != nil {
			return err
		}
	}
	s, ok := h.shopper(c, false)
	if !ok {
		return apperr.New(apperr.Conflict, "your cart is empty")
	}
	o, err := h.Orders.Checkout(c.UserContext(), s)
	if err != nil {
		return err
	}
	return h.sendOrder(c.Status(fiber.StatusCreated), o)
}

// ownOrder loads the shopper's order from the path.
func (h *Shop) ownOrder(c *fiber.Ctx) (Shopper, *Order, error) {
	s, ok := h.shopper(c, false)
	if !ok {
		return s, nil, apperr.New(apperr.NotFound, "no order %q of yours", c.Params("id"))
	}
	o, err := h.Orders.OrderOf(c.UserContext(), s, c.Params("id"))
	return s, o, err
}

func (h *Shop) handleOrders(c *fiber.Ctx) error {
	s, ok := h.shopper(c, false)
	if !ok {
		return h.sendOrders(c, nil)
	}
	orders, err := h.Orders.ListOrders(c.UserContext(), s)
	if err != nil {
		return err
	}
	return h.sendOrders(c, orders)
}

func (h *Shop) handleOrder(c *fiber.Ctx) error {
	_, o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	return h.sendOrder(c, o)
}

func (h *Shop) handlePay(c *fiber.Ctx) error {
	method := h.Orders.provider.Name()
	if len(c.Body()) > 0 {
		body, err := decodeBody(c)
		if err != nil {
			return err
		}
		if method, err = ParsePayMethod(body, method); err != nil {
			return err
		}
	}
	s, o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	var (
		paid  *Order
		start *PaymentStart
	)
	if method == StoreCreditProvider {
		paid, err = h.Orders.PayWithCredit(c.UserContext(), s, o.ID)
	} else {
		paid, start, err = h.Orders.Pay(c.UserContext(), s, o.ID)
	}
	if err != nil {
		return err
	}
	v, err := h.Orders.View(c.UserContext(), paid)
	if err != nil {
		return err
	}
	out := fiber.Map{"order": v}
	if start != nil && start.ClientSecret != "" {
		out["payment"] = fiber.Map{"provider": h.Orders.provider.Name(), "status": start.Status, "clientSecret": start.ClientSecret, "publishableKey": h.Orders.provider.PublishableKey()}
	}
	return c.JSON(out)
}

func (h *Shop) handleAbandon(c *fiber.Ctx) error {
	s, o, err := h.ownOrder(c)
	if err != nil {
		return err
	}
	o, err = h.Orders.Abandon(c.UserContext(), s, o.ID)
	if err != nil {
		return err
	}
	return h.sendOrder(c, o)
}

// handleStoreOrders lists the staff member's own store's orders: the store
// comes from the account, never from the request.
func (h *Shop) handleStoreOrders(c *fiber.Ctx) error {
	a := auth.CurrentAccount(c)
	if a.StoreID == nil {
		return apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	orders, err := h.Orders.ListStoreOrders(c.UserContext(), *a.StoreID)
	if err != nil {
		return err
	}
	return h.sendOrders(c, orders)
}

// key names the shopper for limits: "a:" and the account, or "g:" and the
// guest hash.
func (s Shopper) key() string {
	if s.AccountID != "" {
		return "a:" + s.AccountID
	}
	return "g:" + s.GuestHash
}

// changeCart runs change on the cart of the request's shopper (a new guest
// when there is none yet) and answers with the cart as change left it.
func (h *Shop) changeCart(c *fiber.Ctx, change func(ctx context.Context, s Shopper) (*CartView, error)) error {
	s, err := h.shopperOrNew(c)
	if err != nil {
		return err
	}
	v, err := change(c.UserContext(), s)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"cart": v})
}

// sendOrder answers {"order": ...} with the view of o.
func (h *Shop) sendOrder(c *fiber.Ctx, o *Order) error {
	v, err := h.Orders.View(c.UserContext(), o)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"order": v})
}

// sendOrders answers {"orders": [...]} with the views of orders.
func (h *Shop) sendOrders(c *fiber.Ctx, orders []Order) error {
	out := make([]*OrderView, 0, len(orders))
	for i := range orders {
		v, err := h.Orders.View(c.UserContext(), &orders[i])
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(fiber.Map{"orders": out})
}
