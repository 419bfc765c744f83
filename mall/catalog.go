// Package mall is the shoppers' side of livemall: the stores and their
// buildings on the skyline, the catalog (products, add-on relations, age
// limits), the demo seed, and the public catalog API with its generated
// product images.
package mall

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/apperr"
)

// Catalog reads the mall's stores and products. It is safe for concurrent
// use; every method runs its queries on the database it was made with.
type Catalog struct {
	db *gorm.DB
}

// NewCatalog returns a Catalog over db, which must be migrated.
func NewCatalog(db *gorm.DB) *Catalog { return &Catalog{db: db} }

// StoreListing is a store with the number of products it has on sale.
type StoreListing struct {
	Store
	ProductCount int
}

// AddOn is a product suggested with another, with the kind of relation and
// the reason an agent gives for it.
type AddOn struct {
	Kind    AddOnKind
	Reason  string
	Product Product
}

// ListStores returns every store with its count of products on sale, in
// skyline order (left to right).
func (c *Catalog) ListStores(ctx context.Context) ([]StoreListing, error) {
	var stores []Store
	if err := c.db.WithContext(ctx).Order("skyline_position, slug").Find(&stores).Error; err != nil {
		return nil, fmt.Errorf("list stores: %w", err)
	}
	var counts []struct {
		StoreID int64
		N       int
	}
	err := c.db.WithContext(ctx).Model(&Product{}).
		Select("store_id, COUNT(*) AS n").
		Where("retired_at IS NULL").
		Group("store_id").
		Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count products per store: %w", err)
	}
	byStore := make(map[int64]int, len(counts))
	for _, row := range counts {
		byStore[row.StoreID] = row.N
	}
	out := make([]StoreListing, len(stores))
	for i, s := range stores {
		out[i] = StoreListing{Store: s, ProductCount: byStore[s.ID]}
	}
	return out, nil
}

// StoreBySlug returns the store with the given slug, or an apperr.NotFound
// error when there is none.
func (c *Catalog) StoreBySlug(ctx context.Context, slug string) (*Store, error) {
	var s Store
	err := c.db.WithContext(ctx).Where("slug = ?", slug).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no store %q", slug)
	}
	if err != nil {
		return nil, fmt.Errorf("find store %q: %w", slug, err)
	}
	return &s, nil
}

// CountProductsOnSale returns how many products of the store are not
// retired.
func (c *Catalog) CountProductsOnSale(ctx context.Context, storeID int64) (int, error) {
	var n int64
	err := c.db.WithContext(ctx).Model(&Product{}).
		Where("store_id = ? AND retired_at IS NULL", storeID).
		Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count products of store %d: %w", storeID, err)
	}
	return int(n), nil
}

// ListProductsOnSale returns the store's products that are not retired,
// ordered by department, then name, then SKU.
func (c *Catalog) ListProductsOnSale(ctx context.Context, storeID int64) ([]Product, error) {
	var ps []Product
	err := c.db.WithContext(ctx).
		Where("store_id = ? AND retired_at IS NULL", storeID).
		Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("list products of store %d: %w", storeID, err)
	}
	sortProducts(ps)
	return ps, nil
}

// sortProducts orders products by department, name and SKU in byte order.
// Sorting here rather than in SQL gives the same order on every dialect,
// whatever collation the database uses.
func sortProducts(ps []Product) {
	slices.SortFunc(ps, func(a, b Product) int {
		return cmp.Or(
			strings.Compare(a.Department, b.Department),
			strings.Compare(a.Name, b.Name),
			strings.Compare(a.SKU, b.SKU),
		)
	})
}

// ProductBySKU returns the store's product with the given SKU, retired or
// not (orders refer to retired products too); check Product.OnSale before
// selling it. It returns an apperr.NotFound error when there is none.
func (c *Catalog) ProductBySKU(ctx context.Context, store *Store, sku string) (*Product, error) {
	var p Product
	err := c.db.WithContext(ctx).Where("store_id = ? AND sku = ?", store.ID, sku).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, apperr.New(apperr.NotFound, "no product %q in store %q", sku, store.Slug)
	}
	if err != nil {
		return nil, fmt.Errorf("find product %q of store %q: %w", sku, store.Slug, err)
	}
	return &p, nil
}

// ListAddOnsOnSale returns the add-ons suggested with the product, leaving
// out retired ones: accessories first, then warranties, then bundles, each
// in the order of sortProducts.
func (c *Catalog) ListAddOnsOnSale(ctx context.Context, product *Product) ([]AddOn, error) {
	var rels []ProductAddOn
	if err := c.db.WithContext(ctx).Where("product_id = ?", product.ID).Find(&rels).Error; err != nil {
		return nil, fmt.Errorf("list add-ons of product %d: %w", product.ID, err)
	}
	if len(rels) == 0 {
		return []AddOn{}, nil
	}
	ids := make([]int64, len(rels))
	for i, r := range rels {
		ids[i] = r.AddOnProductID
	}
	var ps []Product
	err := c.db.WithContext(ctx).
		Where("id IN ? AND retired_at IS NULL", ids).
		Find(&ps).Error
	if err != nil {
		return nil, fmt.Errorf("load add-ons of product %d: %w", product.ID, err)
	}
	sortProducts(ps)
	relByID := make(map[int64]ProductAddOn, len(rels))
	for _, r := range rels {
		relByID[r.AddOnProductID] = r
	}
	out := make([]AddOn, 0, len(ps))
	for _, kind := range []AddOnKind{AddOnAccessory, AddOnWarranty, AddOnBundle} {
		for _, p := range ps {
			if r := relByID[p.ID]; r.Kind == kind {
				out = append(out, AddOn{Kind: r.Kind, Reason: r.Reason, Product: p})
			}
		}
	}
	return out, nil
}
