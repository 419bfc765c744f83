-- +goose Up
-- Devices (browsers) are issued by the server. The browser keeps a secret
-- token in the HttpOnly cookie lm_device; only its hash is stored, so a
-- device id seen somewhere is not enough to become that device. The id is
-- 128 random bits in hex. kind and label describe the browser to people
-- (from its User-Agent when the device was issued).
CREATE TABLE devices (
    id TEXT PRIMARY KEY CHECK (length(id) = 32),
    token_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('phone', 'tablet', 'computer')),
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The device each session was started on: a signaling socket attaches to
-- this device only. Several sessions (members signed in one after another
-- on a shared browser) may share one device.
CREATE TABLE device_sessions (
    session_hash TEXT PRIMARY KEY REFERENCES sessions (id_hash) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE
);
CREATE INDEX device_sessions_device ON device_sessions (device_id);

-- The device of a mall guest (by the hash of the lm_guest cookie).
CREATE TABLE device_guests (
    guest_hash TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX device_guests_device ON device_guests (device_id);

-- Device ids were chosen by browsers until now: none of them can be
-- trusted, so members are signed in on no device until their browser
-- connects again (which binds its session to an issued device).
DELETE FROM device_accounts;

-- +goose Down
DROP TABLE device_guests;
DROP TABLE device_sessions;
DROP TABLE devices;
