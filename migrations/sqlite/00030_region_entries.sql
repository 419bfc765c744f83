-- +goose Up
-- Directory entries of members homed in other regions (ARCHITECTURE.md,
-- "Regions"): one row per number they hold, copied from the region's
-- JetStream stream of every other region's entries, so that this region
-- resolves their numbers and lists them from its own database, also while
-- their region cannot be reached. Only public listing fields: never an
-- email, a birth date or an address. account_id names the account in its
-- home region's database: no foreign key, and no account, session or
-- device here ever refers to it. version is the home region's time of the
-- entry (nanoseconds): an older entry never replaces a newer one.
CREATE TABLE region_entries (
    number TEXT PRIMARY KEY CHECK (length(number) = 12 AND substr(number, 1, 1) BETWEEN '2' AND '9'),
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    is_primary BOOLEAN NOT NULL,
    interests TEXT NOT NULL,
    version BIGINT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX region_entries_account ON region_entries (account_id);

-- +goose Down
DROP TABLE region_entries;
