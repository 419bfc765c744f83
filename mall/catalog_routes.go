package mall

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
)

// StoreView is a store as the public API shows it.
type StoreView struct {
	Slug         string       `json:"slug"`
	Name         string       `json:"name"`
	BrandColor   string       `json:"brandColor"`
	Tagline      string       `json:"tagline"`
	Building     BuildingView `json:"building"`
	ProductCount int          `json:"productCount"`
	// SalesNumber is the number of the store's sales queue (12 digits).
	SalesNumber  string `json:"salesNumber,omitempty"`
	SalesDisplay string `json:"salesDisplay,omitempty"`
	// AgentsOnline and ShoppersInside are live counts.
	AgentsOnline   int `json:"agentsOnline"`
	ShoppersInside int `json:"shoppersInside"`
	// Queue is the sales line's state, once the contact center runs.
	Queue *QueueView `json:"queue,omitempty"`
	// Visitors are members who chose to be seen and are in the store now.
	Visitors []VisitorView `json:"visitors"`
}

// BuildingView is what the skyline needs to draw a store's building.
type BuildingView struct {
	Floors int  `json:"floors"`
	Width  int  `json:"width"`
	Roof   Roof `json:"roof"`
}

// ProductView is a product as the public API lists it.
type ProductView struct {
	ID          int64  `json:"id"`
	SKU         string `json:"sku"`
	Name        string `json:"name"`
	Description string `json:"description"`
	PriceMinor  int64  `json:"priceMinor"`
	Currency    string `json:"currency"`
	ImageURL    string `json:"imageUrl"`
	Department  string `json:"department"`
	AgeLimit    int    `json:"ageLimit"`
	Stock       int    `json:"stock"`
}

// ProductDetailView is a product with the add-ons suggested with it, as the
// product detail shows it.
type ProductDetailView struct {
	ProductView
	AddOns []AddOnView `json:"addOns"`
	// AlsoBought ranks the products bought together with this one in paid
	// orders, besides the explicit add-ons.
	AlsoBought []AlsoBoughtView `json:"alsoBought"`
}

// AlsoBoughtView is a co-purchase suggestion: the product and in how many
// paid orders it came along.
type AlsoBoughtView struct {
	Product ProductView `json:"product"`
	Orders  int         `json:"orders"`
}

// AddOnView is an add-on suggested with a product.
type AddOnView struct {
	Kind    AddOnKind   `json:"kind"`
	Reason  string      `json:"reason"`
	Product ProductView `json:"product"`
}

// DepartmentView is one department of a store with its products on sale.
type DepartmentView struct {
	Name     string        `json:"name"`
	Products []ProductView `json:"products"`
}

// storeListResponse answers GET /stores; Products holds the products that
// match a search.
type storeListResponse struct {
	Stores   []StoreView  `json:"stores"`
	Products []productHit `json:"products,omitempty"`
}

// storeResponse answers GET /stores/{slug}.
type storeResponse struct {
	Store       StoreView        `json:"store"`
	Departments []DepartmentView `json:"departments"`
}

// productResponse answers GET /stores/{slug}/products/{sku}.
type productResponse struct {
	Store   StoreView         `json:"store"`
	Product ProductDetailView `json:"product"`
}

// NewStoreView returns the public view of a store with productCount
// products on sale.
func NewStoreView(s Store, productCount int) StoreView {
	return StoreView{
		Slug:         s.Slug,
		Name:         s.Name,
		BrandColor:   s.BrandColor,
		Tagline:      s.Tagline,
		Building:     BuildingView{Floors: s.BuildingFloors, Width: s.BuildingWidth, Roof: s.BuildingRoof},
		ProductCount: productCount,
		Visitors:     []VisitorView{},
	}
}

// NewProductView returns the public view of a product of the store with
// the given slug, without add-ons.
func NewProductView(storeSlug string, p Product) ProductView {
	return ProductView{
		ID:          p.ID,
		SKU:         p.SKU,
		Name:        p.Name,
		Description: p.Description,
		PriceMinor:  p.PriceMinor,
		Currency:    p.Currency,
		ImageURL:    ProductImageURL(storeSlug, p.SKU),
		Department:  p.Department,
		AgeLimit:    p.AgeLimit,
		Stock:       p.Stock,
	}
}

// ProductImageURL returns the path of a product's generated image. Slugs
// and SKUs need no escaping: their alphabet is safe in a path.
func ProductImageURL(storeSlug, sku string) string {
	return "/api/v1/stores/" + storeSlug + "/products/" + sku + "/image.svg"
}

// Routes registers the public, read-only catalog API on api, the /api/v1
// group. Errors are returned for web.ErrorHandler to answer.
func (c *Storefront) Routes(api fiber.Router) {
	api.Get("/stores", c.handleListStores)
	api.Get("/stores/:slug", c.handleShowStore)
	api.Get("/stores/:slug/products/:sku", c.handleShowProduct)
	api.Get("/stores/:slug/products/:sku/image.svg", c.handleProductImage)
}

func (c *Storefront) handleListStores(ctx *fiber.Ctx) error {
	listings, err := c.ListStores(ctx.UserContext())
	if err != nil {
		return err
	}
	q := strings.TrimSpace(ctx.Query("q"))
	if len(q) > 100 {
		return apperr.New(apperr.Invalid, "search text is longer than 100 characters")
	}
	views := make([]StoreView, 0, len(listings))
	ids := make([]int64, 0, len(listings))
	for _, l := range listings {
		if q != "" && !strings.Contains(strings.ToLower(l.Store.Name+" "+l.Store.Tagline), strings.ToLower(q)) {
			continue
		}
		views = append(views, NewStoreView(l.Store, l.ProductCount))
		ids = append(ids, l.Store.ID)
	}
	c.decorate(ctx.UserContext(), views, ids)
	resp := storeListResponse{Stores: views}
	if q != "" {
		hits, err := c.search(ctx, q)
		if err != nil {
			return err
		}
		resp.Products = hits
	}
	return ctx.JSON(resp)
}

func (c *Storefront) handleShowStore(ctx *fiber.Ctx) error {
	store, err := c.storeFromPath(ctx)
	if err != nil {
		return err
	}
	products, err := c.ListProductsOnSale(ctx.UserContext(), store.ID)
	if err != nil {
		return err
	}
	departments := []DepartmentView{}
	for _, p := range products {
		n := len(departments)
		if n == 0 || departments[n-1].Name != p.Department {
			departments = append(departments, DepartmentView{Name: p.Department})
			n++
		}
		departments[n-1].Products = append(departments[n-1].Products, NewProductView(store.Slug, p))
	}
	return ctx.JSON(storeResponse{Store: c.storeView(ctx, store, len(products)), Departments: departments})
}

// storeView is the view of one store with count products on sale,
// decorated as the store list's are.
func (c *Storefront) storeView(ctx *fiber.Ctx, store *Store, count int) StoreView {
	views := []StoreView{NewStoreView(*store, count)}
	c.decorate(ctx.UserContext(), views, []int64{store.ID})
	return views[0]
}

// addOnViews are the views of a product's add-ons in the store with slug.
func addOnViews(slug string, addOns []AddOn) []AddOnView {
	out := make([]AddOnView, len(addOns))
	for i, a := range addOns {
		out[i] = AddOnView{Kind: a.Kind, Reason: a.Reason, Product: NewProductView(slug, a.Product)}
	}
	return out
}

func (c *Storefront) handleShowProduct(ctx *fiber.Ctx) error {
	store, product, err := c.productFromPath(ctx)
	if err != nil {
		return err
	}
	count, err := c.CountProductsOnSale(ctx.UserContext(), store.ID)
	if err != nil {
		return err
	}
	addOns, err := c.ListAddOnsOnSale(ctx.UserContext(), product)
	if err != nil {
		return err
	}
	detail := ProductDetailView{ProductView: NewProductView(store.Slug, *product), AddOns: addOnViews(store.Slug, addOns)}
	also, err := c.ListCoPurchases(ctx.UserContext(), product, 4)
	if err != nil {
		return err
	}
	detail.AlsoBought = make([]AlsoBoughtView, len(also))
	for i, a := range also {
		detail.AlsoBought[i] = AlsoBoughtView{Product: NewProductView(store.Slug, a.Product), Orders: a.Orders}
	}
	return ctx.JSON(productResponse{Store: c.storeView(ctx, store, count), Product: detail})
}

func (c *Storefront) handleProductImage(ctx *fiber.Ctx) error {
	store, product, err := c.productFromPath(ctx)
	if err != nil {
		return err
	}
	svg := ProductSVG(store.BrandColor, *product)
	sum := sha256.Sum256(svg)
	etag := `"` + hex.EncodeToString(sum[:12]) + `"`
	ctx.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	ctx.Set(fiber.HeaderETag, etag)
	// An SVG opened on its own is a document: forbid it scripts and fetches.
	ctx.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	ctx.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if ctx.Get(fiber.HeaderIfNoneMatch) == etag {
		return ctx.SendStatus(fiber.StatusNotModified)
	}
	ctx.Set(fiber.HeaderContentType, "image/svg+xml")
	return ctx.Send(svg)
}

// storeFromPath resolves the :slug path parameter to a store.
func (c *Catalog) storeFromPath(ctx *fiber.Ctx) (*Store, error) {
	slug, err := ParseSlug(ctx.Params("slug"))
	if err != nil {
		return nil, err
	}
	return c.StoreBySlug(ctx.UserContext(), slug)
}

// productFromPath resolves the :slug and :sku path parameters to a product
// on sale. Both are checked before either is looked up, so a malformed SKU
// is refused as such whatever the store.
func (c *Catalog) productFromPath(ctx *fiber.Ctx) (*Store, *Product, error) {
	slug, err := ParseSlug(ctx.Params("slug"))
	if err != nil {
		return nil, nil, err
	}
	sku, err := ParseSKU(ctx.Params("sku"))
	if err != nil {
		return nil, nil, err
	}
	store, err := c.StoreBySlug(ctx.UserContext(), slug)
	if err != nil {
		return nil, nil, err
	}
	product, err := c.ProductBySKU(ctx.UserContext(), store, sku)
	if err != nil {
		return nil, nil, err
	}
	if !product.OnSale() {
		return nil, nil, apperr.New(apperr.NotFound, "product %q of store %q is no longer sold", sku, store.Slug)
	}
	return store, product, nil
}
