package mall

import "time"

// Roof is the shape on top of a store's building on the skyline.
type Roof string

// The roofs a building can have; the database refuses any other.
const (
	RoofFlat    Roof = "flat"
	RoofSpire   Roof = "spire"
	RoofDome    Roof = "dome"
	RoofStepped Roof = "stepped"
)

// AddOnKind says how an add-on relates to the product it is suggested with.
type AddOnKind string

// The kinds of add-on; the database refuses any other.
const (
	AddOnAccessory AddOnKind = "accessory" // goes with the product (a case, a strap)
	AddOnWarranty  AddOnKind = "warranty"  // extends the cover of the product
	AddOnBundle    AddOnKind = "bundle"    // is commonly bought together with it
)

// Age limits a product can carry: 0 for everyone, else the age a shopper
// must be verified to have before the product can be ordered.
const (
	AgeLimitNone = 0
	AgeLimit18   = 18
	AgeLimit21   = 21
)

// Currency is the one currency the mall sells in.
const Currency = "EUR"

// Store is a tenant of the mall: its brand, its building on the skyline and
// the terms its catalog is sold under.
type Store struct {
	ID              int64     `gorm:"column:id;primaryKey"`
	Slug            string    `gorm:"column:slug"`
	Name            string    `gorm:"column:name"`
	BrandColor      string    `gorm:"column:brand_color"` // "#rrggbb", lower case
	Tagline         string    `gorm:"column:tagline"`
	BuildingFloors  int       `gorm:"column:building_floors"`
	BuildingWidth   int       `gorm:"column:building_width"` // in lots, 1 to 6
	BuildingRoof    Roof      `gorm:"column:building_roof"`
	OpeningHours    string    `gorm:"column:opening_hours"`
	TaxRateBP       int       `gorm:"column:tax_rate_bp"` // VAT in basis points: 2000 is 20 %
	SkylinePosition int       `gorm:"column:skyline_position"`
	TimeZone        string    `gorm:"column:time_zone;default:UTC"` // IANA name; the store's days and slots (Settings sets it)
	CreatedAt       time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where stores live.
func (Store) TableName() string { return "stores" }

// Product is one article of a store's catalog, identified within the store
// by its SKU. PriceMinor is in minor units (cents) of Currency.
type Product struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	StoreID     int64      `gorm:"column:store_id"`
	SKU         string     `gorm:"column:sku"`
	Name        string     `gorm:"column:name"`
	Description string     `gorm:"column:description"`
	Department  string     `gorm:"column:department"`
	PriceMinor  int64      `gorm:"column:price_minor"`
	Currency    string     `gorm:"column:currency"`
	Stock       int        `gorm:"column:stock"`
	AgeLimit    int        `gorm:"column:age_limit"`  // 0, 18 or 21
	RetiredAt   *time.Time `gorm:"column:retired_at"` // set when no longer sold
	CreatedAt   time.Time  `gorm:"column:created_at"`
}

// TableName tells GORM where products live.
func (Product) TableName() string { return "products" }

// OnSale reports whether the product is still sold (not retired).
func (p Product) OnSale() bool { return p.RetiredAt == nil }

// ProductAddOn relates a product to another product of the same store that
// an agent may suggest with it, and says why.
type ProductAddOn struct {
	ProductID      int64     `gorm:"column:product_id;primaryKey"`
	AddOnProductID int64     `gorm:"column:addon_product_id;primaryKey"`
	StoreID        int64     `gorm:"column:store_id"`
	Kind           AddOnKind `gorm:"column:kind"`
	Reason         string    `gorm:"column:reason"`
}

// TableName tells GORM where add-on relations live.
func (ProductAddOn) TableName() string { return "product_addons" }
