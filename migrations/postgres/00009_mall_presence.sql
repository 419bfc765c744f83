-- +goose Up
-- A member may choose to be seen in the mall: others see their avatar on
-- the building of the store they are in. Off unless they switch it on.
ALTER TABLE member_profiles ADD COLUMN show_in_mall BOOLEAN NOT NULL DEFAULT FALSE;

-- Where a member who chose to be seen was last seen in the mall: one row
-- per member, refreshed while they look at a store's pages. Rows older than
-- the visitor window are simply ignored.
CREATE TABLE mall_presence (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX mall_presence_store_seen ON mall_presence (store_id, seen_at);

-- +goose Down
DROP TABLE mall_presence;
ALTER TABLE member_profiles DROP COLUMN show_in_mall;
