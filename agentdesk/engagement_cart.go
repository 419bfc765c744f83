package agentdesk

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/mall"
)

// CartRoutes registers the agent's side of the shared cart: the shopper's
// cart in a live engagement, suggestions for it, and adding to it.
func (r *Router) CartRoutes(api fiber.Router, catalog *mall.Catalog) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Get("/desk/engagements/:entry/cart", staff, func(c *fiber.Ctx) error { return r.handleEngagementCart(c, catalog) })
	api.Post("/desk/engagements/:entry/cart/items", staff, func(c *fiber.Ctx) error { return r.handleSuggest(c, catalog) })
}

// engagementOfAgent returns the live engagement the signed-in agent is
// serving; any other entry is NotFound.
func (r *Router) engagementOfAgent(c *fiber.Ctx) (*QueueEntry, *auth.Account, error) {
	a, err := staffAccount(c)
	if err != nil {
		return nil, nil, err
	}
	var e QueueEntry
	err = r.db.WithContext(c.UserContext()).Where("id = ? AND agent_account_id = ? AND store_id = ? AND state = ?", c.Params("entry"), a.ID, *a.StoreID, EntryConnected).Take(&e).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, apperr.New(apperr.NotFound, "no live engagement %q of yours", c.Params("entry"))
	}
	return &e, a, err
}

// shopperOf is the shopper of an engagement, as the mall knows them.
func (e *QueueEntry) shopperOf() mall.Shopper {
	s := mall.Shopper{}
	if e.AccountID != nil {
		s.AccountID = *e.AccountID
	} else if e.GuestHash != nil {
		s.GuestHash = *e.GuestHash
	}
	return s
}

// Suggestion is an add-on the desk offers for what is in the cart.
type Suggestion struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"`
	Image      string `json:"image"`
	Path       string `json:"path"`
	Kind       string `json:"kind"` // accessory, warranty, bundle, or co-purchase
	Reason     string `json:"reason"`
	For        string `json:"for"` // the cart item it goes with
}

// maxSuggestions bounds the list the desk shows.
const maxSuggestions = 8

// suggestionsFor lists add-ons for the cart's products: the catalog's
// explicit relations first, then what others bought with them; nothing
// already in the cart, each product once.
func suggestionsFor(ctx context.Context, catalog *mall.Catalog, cart *mall.CartView) ([]Suggestion, error) {
	out := []Suggestion{}
	if cart.Store == nil {
		return out, nil
	}
	store, err := catalog.StoreBySlug(ctx, cart.Store.Slug)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, it := range cart.Items {
		seen[it.SKU] = true
	}
	add := func(p mall.Product, kind, reason, forName string) {
		if seen[p.SKU] || len(out) >= maxSuggestions {
			return
		}
		seen[p.SKU] = true
		out = append(out, Suggestion{SKU: p.SKU, Name: p.Name, PriceMinor: p.PriceMinor, Currency: mall.Currency, Image: mall.ProductImageURL(store.Slug, p.SKU),
			Path: "/store/" + store.Slug + "/product/" + p.SKU, Kind: kind, Reason: reason, For: forName})
	}
	products := make([]*mall.Product, 0, len(cart.Items))
	for _, it := range cart.Items {
		p, err := catalog.ProductBySKU(ctx, store, it.SKU)
		if err != nil {
			continue
		}
		products = append(products, p)
		addOns, err := catalog.ListAddOnsOnSale(ctx, p)
		if err != nil {
			return nil, err
		}
		for _, a := range addOns {
			add(a.Product, string(a.Kind), a.Reason, p.Name)
		}
	}
	for _, p := range products {
		co, err := catalog.ListCoPurchases(ctx, p, 4)
		if err != nil {
			return nil, err
		}
		for _, c := range co {
			add(c.Product, "co-purchase", fmt.Sprintf("Bought with %s in %d orders", p.Name, c.Orders), p.Name)
		}
	}
	return out, nil
}

func (r *Router) handleEngagementCart(c *fiber.Ctx, catalog *mall.Catalog) error {
	e, _, err := r.engagementOfAgent(c)
	if err != nil {
		return err
	}
	cart, err := r.carts.View(c.UserContext(), e.shopperOf())
	if err != nil {
		return err
	}
	sugg, err := suggestionsFor(c.UserContext(), catalog, cart)
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

func (r *Router) handleSuggest(c *fiber.Ctx, catalog *mall.Catalog) error {
	e, a, err := r.engagementOfAgent(c)
	if err != nil {
		return err
	}
	var req suggestRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if req.Quantity == 0 {
		req.Quantity = 1
	}
	store := r.storeRef(c.UserContext(), e.StoreID)
	slug := store.Slug
	if req.Reason == "" {
		req.Reason = "Suggested by your sales agent"
		if cart, err := r.carts.View(c.UserContext(), e.shopperOf()); err == nil {
			if sugg, err := suggestionsFor(c.UserContext(), catalog, cart); err == nil {
				for _, s := range sugg {
					if s.SKU == req.SKU {
						req.Reason = s.Reason
					}
				}
			}
		}
	}
	cart, err := r.carts.Suggest(c.UserContext(), e.shopperOf(), slug, req.SKU, req.Quantity, a.ID, req.Reason)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"cart": cart})
}
