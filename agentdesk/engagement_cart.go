package agentdesk

import (
	"context"
	"fmt"

	"github.com/livemall/livemall/mall"
)

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
	BoardProduct        // the product's card, as the board shows it
	Kind         string `json:"kind"` // accessory, warranty, bundle, or co-purchase
	Reason       string `json:"reason"`
	For          string `json:"for"` // the cart item it goes with
}

// maxSuggestions bounds the list the desk shows.
const maxSuggestions = 8

// suggestionsFor lists add-ons for the cart's products: the catalog's
// explicit relations first, then what others bought with them; nothing
// already in the cart, each product once.
func suggestionsFor(ctx context.Context, catalog Sales, cart *mall.CartView) ([]Suggestion, error) {
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
		out = append(out, Suggestion{BoardProduct: productCard(store.Slug, &p), Kind: kind, Reason: reason, For: forName})
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

// Cart returns the shopper's cart in the engagement e and the add-ons the
// desk suggests for it.
func (g *Engagements) Cart(ctx context.Context, e *QueueEntry) (*mall.CartView, []Suggestion, error) {
	cart, err := g.carts.View(ctx, e.shopperOf())
	if err != nil {
		return nil, nil, err
	}
	sugg, err := suggestionsFor(ctx, g.sales, cart)
	if err != nil {
		return nil, nil, err
	}
	return cart, sugg, nil
}

// Suggest adds quantity of the product sku to the cart of the shopper of
// the engagement e, as suggested by the agent, and returns the cart. An
// empty reason takes the suggestion's own reason when the desk lists the
// product, else "Suggested by your sales agent".
func (g *Engagements) Suggest(ctx context.Context, e *QueueEntry, agentID, sku string, quantity int, reason string) (*mall.CartView, error) {
	if quantity == 0 {
		quantity = 1
	}
	if reason == "" {
		reason = "Suggested by your sales agent"
		if _, sugg, err := g.Cart(ctx, e); err == nil {
			for _, s := range sugg {
				if s.SKU == sku {
					reason = s.Reason
				}
			}
		}
	}
	store := storeRefOf(ctx, g.sales, e.StoreID)
	return g.carts.Suggest(ctx, e.shopperOf(), store.Slug, sku, quantity, agentID, reason)
}
