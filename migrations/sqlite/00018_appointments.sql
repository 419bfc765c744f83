-- +goose Up
-- Appointments (M18): a shopper books a video call with a store at a time.
-- A store's booking rules: its time zone (slots are laid out on its local
-- working hours), the slot length, how far ahead a slot must start when it
-- is booked, how many days ahead slots are offered, and after how many
-- minutes without the shopper a booking is a no-show. A store without a
-- row uses the defaults.
CREATE TABLE appointment_settings (
    store_id BIGINT PRIMARY KEY REFERENCES stores (id),
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    slot_minutes INTEGER NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 1 AND 240),
    lead_minutes INTEGER NOT NULL DEFAULT 60 CHECK (lead_minutes BETWEEN 0 AND 10080),
    horizon_days INTEGER NOT NULL DEFAULT 14 CHECK (horizon_days BETWEEN 1 AND 60),
    no_show_minutes INTEGER NOT NULL DEFAULT 10 CHECK (no_show_minutes BETWEEN 1 AND 240),
    updated_at TIMESTAMP NOT NULL
);

-- An agent's weekly working hours for appointments, in the store's local
-- time: minutes from midnight, start before end, one day each (weekday 0
-- is Sunday). An agent may have several ranges on one day.
CREATE TABLE agent_hours (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    agent_id TEXT NOT NULL REFERENCES accounts (id),
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (start_minute < end_minute)
);
CREATE INDEX agent_hours_store ON agent_hours (store_id, agent_id);

-- A booked video call. The shopper reaches it by a capability link whose
-- token only the shopper's email holds (its SHA-256 is kept). One agent
-- has at most one live booking per start time (the partial unique index);
-- overlaps of other lengths are refused in the booking's transaction.
-- reminder_claimed_at is set by the one node that sends the reminder.
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id),
    agent_id TEXT NOT NULL REFERENCES accounts (id),
    shopper_id TEXT REFERENCES accounts (id),
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    product_sku TEXT NOT NULL DEFAULT '',
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('booked', 'joined', 'cancelled', 'no_show')),
    cancelled_by TEXT NOT NULL DEFAULT '' CHECK (cancelled_by IN ('', 'shopper', 'store')),
    token_hash TEXT NOT NULL UNIQUE,
    reminder_claimed_at TIMESTAMP,
    joined_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE UNIQUE INDEX appointments_agent_slot ON appointments (agent_id, starts_at) WHERE status IN ('booked', 'joined');
CREATE INDEX appointments_store_start ON appointments (store_id, starts_at);
CREATE INDEX appointments_due ON appointments (status, starts_at);

-- +goose Down
DROP TABLE appointments;
DROP TABLE agent_hours;
DROP TABLE appointment_settings;
