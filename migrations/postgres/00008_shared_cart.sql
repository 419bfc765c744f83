-- +goose Up
-- Items an agent suggests into a shopper's cart carry the reason shown to
-- the shopper and when the shopper accepted them; order lines remember who
-- suggested them, for the add-on attach rate.
ALTER TABLE cart_items ADD COLUMN suggest_reason TEXT;
ALTER TABLE cart_items ADD COLUMN accepted_at TIMESTAMPTZ;
ALTER TABLE order_lines ADD COLUMN suggested_by TEXT;

-- +goose Down
ALTER TABLE order_lines DROP COLUMN suggested_by;
ALTER TABLE cart_items DROP COLUMN accepted_at;
ALTER TABLE cart_items DROP COLUMN suggest_reason;
