package mall

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// AgentsOnline counts, per store, the staff who are available now. The
// directory provides it (presence lives there); nil means none known.
type AgentsOnline func(ctx context.Context, storeIDs []int64) map[int64]int

// SetAgentsOnline installs the presence lookup used in store views.
func (c *Catalog) SetAgentsOnline(f AgentsOnline) { c.agentsOnline = f }

// QueueView is a store's sales line as the skyline shows it: open with
// agents free, busy with the current wait, or closed (nobody signed in).
type QueueView struct {
	State       string `json:"state"`
	WaitSeconds int    `json:"waitSeconds"`
	Waiting     int    `json:"waiting"`
	AgentsFree  int    `json:"agentsFree"`
}

// QueueStatus reports each store's line; the contact center provides it.
type QueueStatus func(ctx context.Context, storeIDs []int64) map[int64]QueueView

// SetQueueStatus installs the contact center's view of the stores' lines.
func (c *Catalog) SetQueueStatus(f QueueStatus) { c.queueStatus = f }

// VisitorsIn lists, per store, the members shown on its building; the
// mall presence provides it.
type VisitorsIn func(ctx context.Context, storeIDs []int64) map[int64][]VisitorView

// SetVisitors installs the lookup of the members shown on the buildings.
func (c *Catalog) SetVisitors(f VisitorsIn) { c.visitors = f }

// shoppingWindow is how recently a cart must have changed for its shopper
// to count as inside the store.
const shoppingWindow = 15 * time.Minute

// decorate adds the live parts to store views: the sales number, the
// agents available and the shoppers inside (carts touched recently).
func (c *Catalog) decorate(ctx context.Context, views []StoreView, ids []int64) {
	if len(ids) == 0 {
		return
	}
	db := c.db.WithContext(ctx)
	var numbers []struct {
		StoreID int64
		Number  string
	}
	db.Table("numbers").Select("store_id, number").Where("party_type = ? AND store_id IN ?", "queue", ids).Scan(&numbers)
	sales := map[int64]string{}
	for _, n := range numbers {
		sales[n.StoreID] = n.Number
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
	var agents map[int64]int
	if c.agentsOnline != nil {
		agents = c.agentsOnline(ctx, ids)
	}
	var queues map[int64]QueueView
	if c.queueStatus != nil {
		queues = c.queueStatus(ctx, ids)
	}
	var visitors map[int64][]VisitorView
	if c.visitors != nil {
		visitors = c.visitors(ctx, ids)
	}
	for i, id := range ids {
		if v := visitors[id]; len(v) > 0 {
			views[i].Visitors = v
		}
		if n := sales[id]; len(n) == 12 {
			views[i].SalesNumber = n
			views[i].SalesDisplay = n[:4] + " " + n[4:8] + " " + n[8:]
		}
		views[i].AgentsOnline = agents[id]
		views[i].ShoppersInside = shoppers[id]
		if q, ok := queues[id]; ok {
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
func (c *Catalog) search(ctx *fiber.Ctx, q string) ([]productHit, error) {
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
