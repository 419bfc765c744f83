-- +goose Up
-- Regions (ARCHITECTURE.md, "Regions"): every account has a home region,
-- the region whose database holds it; accounts made before regions are
-- homed in the default region, "local".
ALTER TABLE accounts ADD COLUMN home_region TEXT NOT NULL DEFAULT 'local';

-- Every number block belongs to one region and spans first_number to
-- last_number; a node hands out sequential numbers only from its own
-- region's blocks, so two regions never give out the same number. The one
-- block of a database made before regions spans the whole number space.
ALTER TABLE number_blocks ADD COLUMN region TEXT NOT NULL DEFAULT 'local';
ALTER TABLE number_blocks ADD COLUMN first_number BIGINT NOT NULL DEFAULT 200000000000;
ALTER TABLE number_blocks ADD COLUMN last_number BIGINT NOT NULL DEFAULT 999999999999;

-- Numbers of this region's blocks held by members homed in other regions:
-- the owning region's database is the arbiter of its numbers, so a vanity
-- number claimed from elsewhere is written here (and the holder's own
-- region records it in its numbers table). account_id names the account
-- in its home region's database: no foreign key.
CREATE TABLE number_claims (
    number TEXT PRIMARY KEY CHECK (length(number) = 12 AND substr(number, 1, 1) BETWEEN '2' AND '9'),
    region TEXT NOT NULL,
    account_id TEXT NOT NULL,
    claimed_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE number_claims;
ALTER TABLE number_blocks DROP COLUMN last_number;
ALTER TABLE number_blocks DROP COLUMN first_number;
ALTER TABLE number_blocks DROP COLUMN region;
ALTER TABLE accounts DROP COLUMN home_region;
