-- +goose Up
-- The agent's own judgement in an age check on live video: a confirmation,
-- or a refusal because the shopper does not look old enough or is not the
-- account holder. Each keeps a still frame of the shopper's video as
-- evidence (frame_key, in the blob store) with the time it was taken, until
-- keep_until: the store's retention period from the decision. The sweep
-- then deletes the frame and clears frame_key; the row stays as the record.
-- A refusal names the age-restricted items it took out of the cart and the
-- order (removed).
CREATE TABLE age_judgements (
    id TEXT PRIMARY KEY,
    store_id BIGINT NOT NULL REFERENCES stores (id) ON DELETE CASCADE,
    entry_id TEXT NOT NULL,
    account_id TEXT REFERENCES accounts (id),
    guest_hash TEXT,
    agent_account_id TEXT NOT NULL REFERENCES accounts (id),
    order_id TEXT REFERENCES orders (id) ON DELETE SET NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'looks_underage', 'not_account_holder', 'refused_by_record')),
    required_age INTEGER NOT NULL CHECK (required_age IN (18, 21)),
    removed TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    frame_key TEXT,
    frame_bytes INTEGER NOT NULL CHECK (frame_bytes > 0),
    frame_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    keep_until TIMESTAMPTZ NOT NULL,
    CHECK ((account_id IS NULL) <> (guest_hash IS NULL))
);
CREATE INDEX age_judgements_entry ON age_judgements (entry_id);
CREATE INDEX age_judgements_account ON age_judgements (account_id, decided_at);
CREATE INDEX age_judgements_guest ON age_judgements (guest_hash, decided_at);
CREATE INDEX age_judgements_keep ON age_judgements (keep_until) WHERE frame_key IS NOT NULL;

-- How many days a store keeps the still frames of its age checks.
ALTER TABLE stores ADD COLUMN age_evidence_days INTEGER NOT NULL DEFAULT 90 CHECK (age_evidence_days BETWEEN 1 AND 3650);

-- +goose Down
ALTER TABLE stores DROP COLUMN age_evidence_days;
DROP TABLE age_judgements;
