package mall

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// ProductInput is a product as a supervisor creates or edits it; nil
// fields are left as they are when editing.
type ProductInput struct {
	SKU         *string `json:"sku"`
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Department  *string `json:"department"`
	PriceMinor  *int64  `json:"priceMinor"`
	Stock       *int    `json:"stock"`
	AgeLimit    *int    `json:"ageLimit"`
}

// text checks a text field's length after trimming.
func text(field string, v *string, min, max int) error {
	if v == nil {
		return nil
	}
	*v = strings.TrimSpace(*v)
	n := utf8.RuneCountInString(*v)
	if n < min || n > max {
		return apperr.New(apperr.Invalid, "%s must be %d to %d characters, not %d", field, min, max, n)
	}
	return nil
}

// validate checks every field that is set.
func (in *ProductInput) validate() error {
	if in.SKU != nil {
		sku, err := ParseSKU(strings.TrimSpace(*in.SKU))
		if err != nil {
			return err
		}
		in.SKU = &sku
	}
	for _, f := range []struct {
		name     string
		v        *string
		min, max int
	}{{"name", in.Name, 1, 120}, {"description", in.Description, 0, 2000}, {"department", in.Department, 1, 60}} {
		if err := text(f.name, f.v, f.min, f.max); err != nil {
			return err
		}
	}
	if in.PriceMinor != nil && (*in.PriceMinor < 0 || *in.PriceMinor > 100_000_000) {
		return apperr.New(apperr.Invalid, "priceMinor must be between 0 and 100000000 (cents)")
	}
	if in.Stock != nil && (*in.Stock < 0 || *in.Stock > 1_000_000) {
		return apperr.New(apperr.Invalid, "stock must be between 0 and 1000000")
	}
	if in.AgeLimit != nil && *in.AgeLimit != AgeLimitNone && *in.AgeLimit != AgeLimit18 && *in.AgeLimit != AgeLimit21 {
		return apperr.New(apperr.Invalid, "ageLimit must be 0, 18 or 21")
	}
	return nil
}

// CreateProduct adds a product to the store's catalog.
func (c *Catalog) CreateProduct(ctx context.Context, storeID int64, in ProductInput) (*Product, error) {
	for field, set := range map[string]bool{"sku": in.SKU != nil, "name": in.Name != nil, "department": in.Department != nil, "priceMinor": in.PriceMinor != nil, "stock": in.Stock != nil} {
		if !set {
			return nil, apperr.New(apperr.Invalid, "field %q is required", field)
		}
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	p := &Product{StoreID: storeID, SKU: *in.SKU, Name: *in.Name, Department: *in.Department, PriceMinor: *in.PriceMinor, Currency: Currency, Stock: *in.Stock, CreatedAt: time.Now().UTC()}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.AgeLimit != nil {
		p.AgeLimit = *in.AgeLimit
	}
	if err := c.db.WithContext(ctx).Create(p).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, apperr.New(apperr.Conflict, "the store has a product with SKU %s already", p.SKU)
		}
		return nil, err
	}
	return p, nil
}

// UpdateProduct changes the fields of in that are set, in one statement.
func (c *Catalog) UpdateProduct(ctx context.Context, store *Store, sku string, in ProductInput) (*Product, error) {
	if in.SKU != nil {
		return nil, apperr.New(apperr.Invalid, "a product's SKU cannot change")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	p, err := c.ProductBySKU(ctx, store, sku)
	if err != nil {
		return nil, err
	}
	changes := map[string]any{}
	for col, v := range map[string]any{"name": in.Name, "description": in.Description, "department": in.Department, "price_minor": in.PriceMinor, "stock": in.Stock, "age_limit": in.AgeLimit} {
		switch x := v.(type) {
		case *string:
			if x != nil {
				changes[col] = *x
			}
		case *int64:
			if x != nil {
				changes[col] = *x
			}
		case *int:
			if x != nil {
				changes[col] = *x
			}
		}
	}
	if len(changes) > 0 {
		if err := c.db.WithContext(ctx).Model(&Product{}).Where("id = ?", p.ID).Updates(changes).Error; err != nil {
			return nil, err
		}
	}
	return c.ProductBySKU(ctx, store, sku)
}

// RetireProduct takes a product off the shelves; orders keep their copy.
func (c *Catalog) RetireProduct(ctx context.Context, store *Store, sku string) (*Product, error) {
	p, err := c.ProductBySKU(ctx, store, sku)
	if err != nil {
		return nil, err
	}
	if err := c.db.WithContext(ctx).Model(&Product{}).Where("id = ? AND retired_at IS NULL", p.ID).Update("retired_at", time.Now().UTC()).Error; err != nil {
		return nil, err
	}
	return c.ProductBySKU(ctx, store, sku)
}

// AddOnInput is one add-on a supervisor sets on a product.
type AddOnInput struct {
	SKU    string    `json:"sku" required:"true"`
	Kind   AddOnKind `json:"kind" required:"true"`
	Reason string    `json:"reason" required:"true"`
}

// SetAddOns replaces a product's add-ons in one transaction.
func (c *Catalog) SetAddOns(ctx context.Context, store *Store, sku string, in []AddOnInput) ([]AddOn, error) {
	p, err := c.ProductBySKU(ctx, store, sku)
	if err != nil {
		return nil, err
	}
	if len(in) > 20 {
		return nil, apperr.New(apperr.Invalid, "at most 20 add-ons per product")
	}
	rows := make([]ProductAddOn, 0, len(in))
	for _, a := range in {
		if a.Kind != AddOnAccessory && a.Kind != AddOnWarranty && a.Kind != AddOnBundle {
			return nil, apperr.New(apperr.Invalid, "add-on kind must be accessory, warranty or bundle, not %q", a.Kind)
		}
		reason := strings.TrimSpace(a.Reason)
		if err := text("reason", &reason, 1, 200); err != nil {
			return nil, err
		}
		other, err := c.ProductBySKU(ctx, store, a.SKU)
		if err != nil {
			return nil, err
		}
		if other.ID == p.ID {
			return nil, apperr.New(apperr.Invalid, "a product cannot be its own add-on")
		}
		rows = append(rows, ProductAddOn{ProductID: p.ID, AddOnProductID: other.ID, StoreID: store.ID, Kind: a.Kind, Reason: reason})
	}
	err = c.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("product_id = ?", p.ID).Delete(&ProductAddOn{}).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		if err := tx.Create(&rows).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apperr.New(apperr.Invalid, "an add-on is listed twice")
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c.ListAddOnsOnSale(ctx, p)
}

// EditRoutes registers the supervisor's catalog editing on api. The store
// is the supervisor's own, from their account, never from the request.
func (c *Catalog) EditRoutes(api fiber.Router) {
	g := api.Group("/desk/catalog", auth.RequireRole(auth.RoleSupervisor))
	g.Post("/products", c.handleCreateProduct)
	g.Patch("/products/:sku", c.handleUpdateProduct)
	g.Post("/products/:sku/retire", c.handleRetireProduct)
	g.Put("/products/:sku/addons", c.handleSetAddOns)
}

// ownStore returns the supervisor's store.
func (c *Catalog) ownStore(ctx *fiber.Ctx) (*Store, error) {
	a := auth.CurrentAccount(ctx)
	if a == nil || a.StoreID == nil {
		return nil, apperr.New(apperr.Forbidden, "your account belongs to no store")
	}
	var s Store
	if err := c.db.WithContext(ctx.UserContext()).Where("id = ?", *a.StoreID).Take(&s).Error; err != nil {
		return nil, err
	}
	return &s, nil
}

func (c *Catalog) productJSON(ctx *fiber.Ctx, status int, store *Store, p *Product) error {
	return ctx.Status(status).JSON(fiber.Map{"product": NewProductView(store.Slug, *p)})
}

// ownStoreAnd returns the staff member's own store and the request's
// body, decoded.
func ownStoreAnd[T any](c *Catalog, ctx *fiber.Ctx) (*Store, T, error) {
	var in T
	store, err := c.ownStore(ctx)
	if err != nil {
		return nil, in, err
	}
	if err := web.DecodeJSON(ctx, &in); err != nil {
		return nil, in, err
	}
	return store, in, nil
}

func (c *Catalog) handleCreateProduct(ctx *fiber.Ctx) error {
	store, in, err := ownStoreAnd[ProductInput](c, ctx)
	if err != nil {
		return err
	}
	p, err := c.CreateProduct(ctx.UserContext(), store.ID, in)
	if err != nil {
		return err
	}
	return c.productJSON(ctx, fiber.StatusCreated, store, p)
}

func (c *Catalog) handleUpdateProduct(ctx *fiber.Ctx) error {
	store, in, err := ownStoreAnd[ProductInput](c, ctx)
	if err != nil {
		return err
	}
	p, err := c.UpdateProduct(ctx.UserContext(), store, ctx.Params("sku"), in)
	if err != nil {
		return err
	}
	return c.productJSON(ctx, fiber.StatusOK, store, p)
}

func (c *Catalog) handleRetireProduct(ctx *fiber.Ctx) error {
	store, err := c.ownStore(ctx)
	if err != nil {
		return err
	}
	p, err := c.RetireProduct(ctx.UserContext(), store, ctx.Params("sku"))
	if err != nil {
		return err
	}
	return c.productJSON(ctx, fiber.StatusOK, store, p)
}

// addOnsRequest is the body of PUT /desk/catalog/products/{sku}/addons.
type addOnsRequest struct {
	AddOns []AddOnInput `json:"addOns"`
}

func (c *Catalog) handleSetAddOns(ctx *fiber.Ctx) error {
	store, req, err := ownStoreAnd[addOnsRequest](c, ctx)
	if err != nil {
		return err
	}
	addOns, err := c.SetAddOns(ctx.UserContext(), store, ctx.Params("sku"), req.AddOns)
	if err != nil {
		return err
	}
	return ctx.JSON(fiber.Map{"addOns": addOnViews(store.Slug, addOns)})
}
