-- +goose Up
-- Messages left here for members homed in a region that could not be
-- reached (directory/region_outbox.go): the recording is kept in this
-- region's blob store until the member's region takes it. The member's
-- account is in their region's database, so account_id names it without a
-- reference. Status is pending (file not stored yet), ready (to deliver)
-- or delivered (the member's region acknowledged it; the file is gone).
CREATE TABLE region_outbox (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    home_region TEXT NOT NULL,
    number TEXT NOT NULL,
    call_id TEXT REFERENCES calls (id),
    from_account_id TEXT REFERENCES accounts (id) ON DELETE SET NULL,
    from_name TEXT NOT NULL,
    from_number TEXT,
    blob_key TEXT NOT NULL,
    content_type TEXT NOT NULL,
    has_video BOOLEAN NOT NULL,
    duration_ms BIGINT NOT NULL,
    bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    node TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX region_outbox_due ON region_outbox (next_try_at) WHERE status = 'ready';

-- +goose Down
DROP TABLE region_outbox;
