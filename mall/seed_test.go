package mall

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/database/dbtest"
)

// seededDB returns a fresh migrated database holding the demo mall.
func seededDB(t *testing.T) *gorm.DB {
	t.Helper()
	db := dbtest.Open(t).DB
	if _, err := SeedDemo(context.Background(), db); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return db
}

// catalogRows renders every catalog row, ids and creation times included,
// so that two states of the database can be compared line by line.
func catalogRows(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var (
		stores   []Store
		products []Product
		addOns   []ProductAddOn
	)
	if err := db.Order("id").Find(&stores).Error; err != nil {
		t.Fatalf("read stores: %v", err)
	}
	if err := db.Order("id").Find(&products).Error; err != nil {
		t.Fatalf("read products: %v", err)
	}
	if err := db.Order("product_id, addon_product_id").Find(&addOns).Error; err != nil {
		t.Fatalf("read add-ons: %v", err)
	}
	var rows []string
	at := func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	for _, s := range stores {
		s.CreatedAt = time.Time{}
		rows = append(rows, fmt.Sprintf("store %+v", s))
	}
	for _, s := range stores {
		rows = append(rows, fmt.Sprintf("store %d created %s", s.ID, at(s.CreatedAt)))
	}
	for _, p := range products {
		retired := "on sale"
		if p.RetiredAt != nil {
			retired = "retired " + at(*p.RetiredAt)
		}
		rows = append(rows, fmt.Sprintf("product %d store=%d sku=%s name=%q dept=%q price=%d %s stock=%d age=%d desc=%q %s created %s",
			p.ID, p.StoreID, p.SKU, p.Name, p.Department, p.PriceMinor, p.Currency, p.Stock, p.AgeLimit, p.Description, retired, at(p.CreatedAt)))
	}
	for _, a := range addOns {
		rows = append(rows, fmt.Sprintf("add-on %+v", a))
	}
	return rows
}

func TestSeedDemoIsIdempotent(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t).DB

	first, err := SeedDemo(ctx, db)
	if err != nil {
		t.Fatalf("first seed: %v", err)
	}
	before := catalogRows(t, db)
	second, err := SeedDemo(ctx, db)
	if err != nil {
		t.Fatalf("second seed: %v", err)
	}
	after := catalogRows(t, db)

	if !slices.Equal(before, after) {
		t.Errorf("second seed changed rows:\nbefore:\n%s\nafter:\n%s", strings.Join(before, "\n"), strings.Join(after, "\n"))
	}
	if fmt.Sprint(first) != fmt.Sprint(second) {
		t.Errorf("reports differ:\nfirst:  %+v\nsecond: %+v", first, second)
	}

	var stores, products, addOns, adults, over21 int64
	db.Model(&Store{}).Count(&stores)
	db.Model(&Product{}).Count(&products)
	db.Model(&ProductAddOn{}).Count(&addOns)
	db.Model(&Product{}).Where("age_limit = 18").Count(&adults)
	db.Model(&Product{}).Where("age_limit = 21").Count(&over21)
	if stores < 6 || int(stores) != len(first.Stores) {
		t.Errorf("stores = %d, report lists %d; want at least 6 and equal", stores, len(first.Stores))
	}
	if products < 60 || int(products) != first.Products {
		t.Errorf("products = %d, report says %d; want at least 60 and equal", products, first.Products)
	}
	if addOns == 0 || int(addOns) != first.AddOns {
		t.Errorf("add-ons = %d, report says %d; want some and equal", addOns, first.AddOns)
	}
	if adults == 0 || over21 == 0 {
		t.Errorf("18+ products = %d, 21+ products = %d; want some of each", adults, over21)
	}
	for _, kind := range []AddOnKind{AddOnAccessory, AddOnWarranty, AddOnBundle} {
		var n int64
		db.Model(&ProductAddOn{}).Where("kind = ?", kind).Count(&n)
		if n == 0 {
			t.Errorf("no %s add-ons seeded", kind)
		}
	}
	for _, s := range first.Stores {
		if s.ID == 0 || s.Slug == "" || s.Name == "" {
			t.Errorf("report store %+v is incomplete", s)
		}
	}
}

func TestSeedDemoRestoresDemoValues(t *testing.T) {
	ctx := context.Background()
	db := seededDB(t)
	want := catalogRows(t, db)

	db.Model(&Product{}).Where("sku = ?", "LU-PHONE-X2").Updates(map[string]any{"stock": 0, "retired_at": time.Now()})
	db.Model(&Store{}).Where("slug = ?", "casa-cucina").Update("tagline", "changed")
	db.Model(&ProductAddOn{}).Where("kind = ?", AddOnWarranty).Update("reason", "changed")
	if slices.Equal(want, catalogRows(t, db)) {
		t.Fatal("the updates changed nothing; the test is broken")
	}
	if _, err := SeedDemo(ctx, db); err != nil {
		t.Fatalf("seed again: %v", err)
	}
	if got := catalogRows(t, db); !slices.Equal(want, got) {
		t.Errorf("seeding again did not restore the demo:\nwant:\n%s\ngot:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
}

func TestDemoStoresLookDistinct(t *testing.T) {
	seen := map[string]string{}
	roofs := map[Roof]bool{}
	floors := map[int]bool{}
	for _, d := range demoStores() {
		s := d.store
		for _, key := range []string{"slug " + s.Slug, "name " + s.Name, "colour " + s.BrandColor} {
			if other, dup := seen[key]; dup {
				t.Errorf("%s shares its %s with %s", s.Slug, key, other)
			}
			seen[key] = s.Slug
		}
		if _, err := ParseSlug(s.Slug); err != nil {
			t.Errorf("store slug: %v", err)
		}
		roofs[s.BuildingRoof] = true
		floors[s.BuildingFloors] = true
		skus := map[string]bool{}
		for _, p := range d.products {
			if _, err := ParseSKU(p.SKU); err != nil {
				t.Errorf("store %s: %v", s.Slug, err)
			}
			if skus[p.SKU] {
				t.Errorf("store %s has SKU %s twice", s.Slug, p.SKU)
			}
			skus[p.SKU] = true
			if p.Name == "" || p.Description == "" || p.Department == "" || p.PriceMinor <= 0 {
				t.Errorf("store %s product %s is incomplete: %+v", s.Slug, p.SKU, p)
			}
		}
	}
	if len(roofs) != 4 {
		t.Errorf("the skyline uses %d roof shapes, want all 4", len(roofs))
	}
	if len(floors) < 5 {
		t.Errorf("the skyline has %d distinct heights, want at least 5", len(floors))
	}
}

func TestCatalogSchemaRefusesBadRows(t *testing.T) {
	db := seededDB(t)
	var phone, wine Product
	db.Where("sku = ?", "LU-PHONE-X2").Take(&phone)
	db.Where("sku = ?", "VR-BAROLO-18").Take(&wine)

	cases := []struct {
		name string
		run  func(tx *gorm.DB) error
	}{
		{"add-on from another store", func(tx *gorm.DB) error {
			return tx.Create(&ProductAddOn{ProductID: phone.ID, AddOnProductID: wine.ID, StoreID: phone.StoreID, Kind: AddOnBundle, Reason: "x"}).Error
		}},
		{"add-on of itself", func(tx *gorm.DB) error {
			return tx.Create(&ProductAddOn{ProductID: phone.ID, AddOnProductID: phone.ID, StoreID: phone.StoreID, Kind: AddOnBundle, Reason: "x"}).Error
		}},
		{"unknown add-on kind", func(tx *gorm.DB) error {
			return tx.Model(&ProductAddOn{}).Where("product_id = ?", phone.ID).Update("kind", "gift").Error
		}},
		{"age limit 16", func(tx *gorm.DB) error {
			return tx.Model(&Product{}).Where("id = ?", phone.ID).Update("age_limit", 16).Error
		}},
		{"negative stock", func(tx *gorm.DB) error {
			return tx.Model(&Product{}).Where("id = ?", phone.ID).Update("stock", -1).Error
		}},
		{"duplicate SKU in a store", func(tx *gorm.DB) error {
			dup := phone
			dup.ID = 0
			return tx.Create(&dup).Error
		}},
		{"brand colour not #rrggbb", func(tx *gorm.DB) error {
			return tx.Model(&Store{}).Where("id = ?", phone.StoreID).Update("brand_color", "blue").Error
		}},
		{"unknown roof", func(tx *gorm.DB) error {
			return tx.Model(&Store{}).Where("id = ?", phone.StoreID).Update("building_roof", "gable").Error
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(db); err == nil {
				t.Errorf("the database accepted it")
			}
		})
	}
}
