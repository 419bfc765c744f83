-- +goose Up
-- A payment attempt mirrors its PaymentIntent. Besides pending, succeeded
-- and failed it may be declined (a card was refused; the intent stays open
-- for another card) or unknown (the provider did not answer: the intent may
-- exist, and is looked up before anything else happens to the order).
-- expires_at ends the stock hold of an unconfirmed attempt.
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
    CHECK (status IN ('pending', 'declined', 'unknown', 'succeeded', 'failed'));
ALTER TABLE payment_attempts ADD COLUMN expires_at TIMESTAMPTZ;
-- One open attempt per order: a second Pay gets the open PaymentIntent back.
CREATE UNIQUE INDEX payment_attempts_open ON payment_attempts (order_id) WHERE status IN ('pending', 'declined', 'unknown');
CREATE INDEX payment_attempts_expiry ON payment_attempts (expires_at) WHERE status IN ('pending', 'declined', 'unknown');

-- +goose Down
DROP INDEX payment_attempts_expiry;
DROP INDEX payment_attempts_open;
UPDATE payment_attempts SET status = 'pending' WHERE status IN ('declined', 'unknown');
ALTER TABLE payment_attempts DROP COLUMN expires_at;
ALTER TABLE payment_attempts DROP CONSTRAINT payment_attempts_status_check;
ALTER TABLE payment_attempts ADD CONSTRAINT payment_attempts_status_check
    CHECK (status IN ('pending', 'succeeded', 'failed'));
