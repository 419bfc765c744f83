-- +goose Up
-- A store's figures are counted by its own days (midnight in its time
-- zone) and against its own service-level threshold.
ALTER TABLE stores ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE stores ADD COLUMN service_level_seconds INTEGER NOT NULL DEFAULT 20 CHECK (service_level_seconds BETWEEN 1 AND 3600);
-- The analytics read a store's calls by when they entered the line, and
-- its sales by when they were paid.
CREATE INDEX queue_entries_store_entered ON queue_entries (store_id, entered_at);
CREATE INDEX order_events_state_at ON order_events (to_state, at);

-- +goose Down
DROP INDEX order_events_state_at;
DROP INDEX queue_entries_store_entered;
ALTER TABLE stores DROP COLUMN service_level_seconds;
ALTER TABLE stores DROP COLUMN time_zone;
