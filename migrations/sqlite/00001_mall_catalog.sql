-- +goose Up
-- The mall's catalog: stores (tenants with a building on the skyline),
-- their products, and the add-ons an agent may suggest for a product.

-- A store's building is drawn on the skyline from floors, width (in lots)
-- and roof; skyline_position orders the buildings left to right.
CREATE TABLE stores (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- SQLite has no regular expressions: GLOB spells out '^#[0-9a-f]{6}$'.
    brand_color TEXT NOT NULL CHECK (brand_color GLOB '#[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'),
    tagline TEXT NOT NULL DEFAULT '',
    building_floors INTEGER NOT NULL CHECK (building_floors BETWEEN 1 AND 40),
    building_width INTEGER NOT NULL CHECK (building_width BETWEEN 1 AND 6),
    building_roof TEXT NOT NULL CHECK (building_roof IN ('flat', 'spire', 'dome', 'stepped')),
    opening_hours TEXT NOT NULL DEFAULT '',
    tax_rate_bp INTEGER NOT NULL CHECK (tax_rate_bp BETWEEN 0 AND 10000),
    skyline_position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX stores_skyline ON stores (skyline_position, slug);

-- Prices are integer minor units (cents) of currency. A retired product is
-- kept for the orders that reference it but is no longer sold or listed.
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    department TEXT NOT NULL,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency TEXT NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
    stock INTEGER NOT NULL DEFAULT 0 CHECK (stock >= 0),
    age_limit INTEGER NOT NULL DEFAULT 0 CHECK (age_limit IN (0, 18, 21)),
    retired_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (store_id, sku),
    -- Lets product_addons require both ends to belong to the same store.
    UNIQUE (id, store_id)
);
-- The storefront lists a store's products on sale by department and name,
-- and the skyline counts them per store.
CREATE INDEX products_on_sale ON products (store_id, department, name) WHERE retired_at IS NULL;

-- Add-ons an agent suggests with a product: an accessory, a warranty, or a
-- bundle partner, always from the same store, with the reason shown.
CREATE TABLE product_addons (
    product_id BIGINT NOT NULL,
    addon_product_id BIGINT NOT NULL,
    store_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('accessory', 'warranty', 'bundle')),
    reason TEXT NOT NULL,
    PRIMARY KEY (product_id, addon_product_id),
    FOREIGN KEY (product_id, store_id) REFERENCES products (id, store_id) ON DELETE CASCADE,
    FOREIGN KEY (addon_product_id, store_id) REFERENCES products (id, store_id) ON DELETE CASCADE,
    CHECK (product_id <> addon_product_id)
);
CREATE INDEX product_addons_addon ON product_addons (addon_product_id, store_id);

-- +goose Down
DROP TABLE product_addons;
DROP TABLE products;
DROP TABLE stores;
