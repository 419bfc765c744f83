package mall

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Storefront serves the public catalog API: the stores with their live
// parts (sales number, agents online, the line, visitors, shoppers inside)
// and their products. The live parts come from the slices that own them,
// through the interfaces below, declared here where they are used.
type Storefront struct {
	*Catalog
	numbers  SalesNumbers
	lines    SalesLines
	visitors Visitors
}

// SalesNumbers gives each store's sales number; the directory owns the
// numbers (directory.Numbers implements it).
type SalesNumbers interface {
	// SalesNumbers returns the 12-digit sales number of each of the stores
	// that has one.
	SalesNumbers(ctx context.Context, storeIDs []int64) (map[int64]string, error)
}

// SalesLines gives each store's sales line; the contact center owns the
// agents and the queue (agentdesk.Queue implements it).
type SalesLines interface {
	// QueueStatus reports each store's line; its AgentsFree is the count
	// the store views show as agents online.
	QueueStatus(ctx context.Context, storeIDs []int64) map[int64]QueueView
}

// Visitors lists, per store, the members shown on its building (the mall
// presence, *Presence, implements it).
type Visitors interface {
	VisitorsIn(ctx context.Context, storeIDs []int64) map[int64][]VisitorView
}

// NewStorefront returns the public catalog API over catalog. Each live
// source may be nil: its parts are then left out of the views.
func NewStorefront(catalog *Catalog, numbers SalesNumbers, lines SalesLines, visitors Visitors) *Storefront {
	return &Storefront{Catalog: catalog, numbers: numbers, lines: lines, visitors: visitors}
}

// QueueView is a store's sales line as the skyline shows it: open with
// agents free, busy with the current wait, or closed (nobody signed in).
type QueueView struct {
	State       string `json:"state"`
	WaitSeconds int    `json:"waitSeconds"`
	Waiting     int    `json:"waiting"`
	AgentsFree  int    `json:"agentsFree"`
	// InCall is how many shoppers are in a call with the store's agents.
	InCall int `json:"inCall"`
}

// shoppingWindow is how recently a cart must have changed for its shopper
// to count as inside the store.
const shoppingWindow = 15 * time.Minute

// decorate adds the live parts to store views: the sales number, the
// agents available and the shoppers inside (carts touched recently).
func (c *Storefront) decorate(ctx context.Context, views []StoreView, ids []int64) {
	if len(ids) == 0 {
		return
	}
	db := c.db.WithContext(ctx)
	var sales map[int64]string
	if c.numbers != nil {
		var err error
		if sales, err = c.numbers.SalesNumbers(ctx, ids); err != nil {
			slog.Warn("sales numbers", "err", err)
		}
	}
	var inside []struct {
		StoreID int64
		N       int
	}
	db.Table("carts").Select("store_id, COUNT(*) AS n").Where("store_id IN ? AND updated_at > ?", ids, time.Now().UTC().Add(-shoppingWindow)).Group("store_id").Scan(&inside)
	shoppers := map[int64]int{}
	for _, s := range inside {
		shoppers[s.StoreID] = s.N
	}
	var queues map[int64]QueueView
	if c.lines != nil {
		queues = c.lines.QueueStatus(ctx, ids)
	}
	var visitors map[int64][]VisitorView
	if c.visitors != nil {
		visitors = c.visitors.VisitorsIn(ctx, ids)
	}
	for i, id := range ids {
		if v := visitors[id]; len(v) > 0 {
			views[i].Visitors = v
		}
		if n := sales[id]; len(n) == 12 {
			views[i].SalesNumber = n
			views[i].SalesDisplay = n[:4] + " " + n[4:8] + " " + n[8:]
		}
		views[i].ShoppersInside = shoppers[id]
		if q, ok := queues[id]; ok {
			// One count, one rule: the agents who can take a call now.
			views[i].AgentsOnline = q.AgentsFree
			views[i].Queue = &q
		}
	}
}

// productHit is a product found by the downtown search.
type productHit struct {
	StoreSlug  string `json:"storeSlug"`
	StoreName  string `json:"storeName"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceMinor int64  `json:"priceMinor"`
	Currency   string `json:"currency"`
	ImageURL   string `json:"imageUrl"`
}

// search finds products on sale whose name or department holds q, across
// all stores.
func (c *Storefront) search(ctx *fiber.Ctx, q string) ([]productHit, error) {
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q)) + "%"
	var rows []struct {
		Product
		StoreSlug string
		StoreName string
	}
	err := c.db.WithContext(ctx.UserContext()).Table("products p").Select("p.*, s.slug AS store_slug, s.name AS store_name").
		Joins("JOIN stores s ON s.id = p.store_id").
		Where("p.retired_at IS NULL AND (LOWER(p.name) LIKE ? ESCAPE '\\' OR LOWER(p.department) LIKE ? ESCAPE '\\')", like, like).
		Order("p.name").Limit(24).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]productHit, 0, len(rows))
	for _, r := range rows {
		out = append(out, productHit{StoreSlug: r.StoreSlug, StoreName: r.StoreName, SKU: r.SKU, Name: r.Name, PriceMinor: r.PriceMinor, Currency: r.Currency, ImageURL: ProductImageURL(r.StoreSlug, r.SKU)})
	}
	return out, nil
}
