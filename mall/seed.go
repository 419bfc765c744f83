package mall

import (
	"context"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SeedReport says what SeedDemo left in the database.
type SeedReport struct {
	// Stores are the demo stores in skyline order, for seeding each one's
	// staff.
	Stores   []SeededStore
	Products int // demo products, all on sale
	AddOns   int // demo add-on relations
}

// SeededStore names one demo store.
type SeededStore struct {
	ID   int64
	Slug string
	Name string
}

// demoStore is a store of the demo with its catalog. Add-ons refer to
// products of the same store by SKU.
type demoStore struct {
	store    Store
	products []Product
	addOns   []demoAddOn
}

// demoAddOn relates two products of one demo store.
type demoAddOn struct {
	sku, addOnSKU string
	kind          AddOnKind
	reason        string
}

// SeedDemo writes the demo mall (stores, products and add-on relations) in
// one transaction. It is idempotent: stores are upserted by slug, products
// by store and SKU, add-ons by their pair, so running it again leaves the
// same rows with the same ids and creation times, and puts back any demo
// value changed since (stock, price, a retired demo product). Rows it does
// not know are left alone. Accounts are not its business.
func SeedDemo(ctx context.Context, db *gorm.DB) (SeedReport, error) {
	var report SeedReport
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, demo := range demoStores() {
			seeded, err := seedStore(tx, demo)
			if err != nil {
				return fmt.Errorf("seed store %q: %w", demo.store.Slug, err)
			}
			report.Stores = append(report.Stores, seeded)
			report.Products += len(demo.products)
			report.AddOns += len(demo.addOns)
		}
		return nil
	})
	if err != nil {
		return SeedReport{}, fmt.Errorf("seed demo: %w", err)
	}
	return report, nil
}

// DemoTimeZone is the time zone the demo stores open in.
const DemoTimeZone = "Europe/Berlin"

// seedStore upserts one demo store with its products and add-ons.
func seedStore(tx *gorm.DB, demo demoStore) (SeededStore, error) {
	s := demo.store
	if s.TimeZone == "" {
		s.TimeZone = DemoTimeZone // a new store only: a reseed keeps the supervisor's zone
	}
	err := tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "slug"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"name", "brand_color", "tagline", "building_floors", "building_width",
			"building_roof", "opening_hours", "tax_rate_bp", "skyline_position",
		}),
	}).Create(&s).Error
	if err != nil {
		return SeededStore{}, err
	}
	// Ids filled in by an upsert are not reliable on every driver: read
	// them back by the natural keys.
	if err := tx.Where("slug = ?", s.Slug).Take(&s).Error; err != nil {
		return SeededStore{}, err
	}
	if err := seedCreditRules(tx, s.ID); err != nil {
		return SeededStore{}, err
	}

	products := make([]Product, len(demo.products))
	for i, p := range demo.products {
		p.StoreID = s.ID
		p.Currency = Currency
		p.RetiredAt = nil
		products[i] = p
	}
	err = tx.Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "store_id"}, {Name: "sku"}},
		DoUpdates: clause.AssignmentColumns([]string{
			"name", "description", "department", "price_minor", "currency", "stock", "age_limit", "retired_at",
		}),
	}).Create(&products).Error
	if err != nil {
		return SeededStore{}, fmt.Errorf("products: %w", err)
	}
	var stored []Product
	if err := tx.Where("store_id = ?", s.ID).Find(&stored).Error; err != nil {
		return SeededStore{}, fmt.Errorf("products: %w", err)
	}
	idBySKU := make(map[string]int64, len(stored))
	for _, p := range stored {
		idBySKU[p.SKU] = p.ID
	}

	if len(demo.addOns) > 0 {
		rels := make([]ProductAddOn, len(demo.addOns))
		for i, a := range demo.addOns {
			from, to := idBySKU[a.sku], idBySKU[a.addOnSKU]
			if from == 0 || to == 0 {
				return SeededStore{}, fmt.Errorf("add-on %s -> %s names a product the store does not have", a.sku, a.addOnSKU)
			}
			rels[i] = ProductAddOn{ProductID: from, AddOnProductID: to, StoreID: s.ID, Kind: a.kind, Reason: a.reason}
		}
		err = tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "product_id"}, {Name: "addon_product_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"store_id", "kind", "reason"}),
		}).Create(&rels).Error
		if err != nil {
			return SeededStore{}, fmt.Errorf("add-ons: %w", err)
		}
	}
	return SeededStore{ID: s.ID, Slug: s.Slug, Name: s.Name}, nil
}

// product builds a demo product; prices are in cents.
func product(sku, department, name string, priceMinor int64, stock, ageLimit int, description string) Product {
	return Product{SKU: sku, Department: department, Name: name, PriceMinor: priceMinor,
		Stock: stock, AgeLimit: ageLimit, Description: description}
}
