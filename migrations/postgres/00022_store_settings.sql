-- +goose Up
-- One time zone per store: stores.time_zone (00020) is the zone of the
-- store's figures and of its appointment slots alike. A store that set a
-- zone only for appointments keeps it, now as the store's.
UPDATE stores SET time_zone = (SELECT a.time_zone FROM appointment_settings a WHERE a.store_id = stores.id)
    WHERE time_zone = 'UTC' AND EXISTS (SELECT 1 FROM appointment_settings a WHERE a.store_id = stores.id);
ALTER TABLE appointment_settings DROP COLUMN time_zone;
-- A store's settings (time zone, service-level threshold, credit rules)
-- are saved against the version they were read at: a save from a stale
-- form is refused instead of undoing another supervisor's.
ALTER TABLE stores ADD COLUMN settings_version BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE stores DROP COLUMN settings_version;
ALTER TABLE appointment_settings ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
UPDATE appointment_settings SET time_zone = (SELECT s.time_zone FROM stores s WHERE s.id = appointment_settings.store_id);
