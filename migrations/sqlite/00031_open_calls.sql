-- +goose Up
-- The calls not ended, by caller, callee and guest caller: every dial
-- counts the caller's open calls and asks whether the callee is in an
-- answered call (directory/calls_open.go). The indexes by caller and
-- callee hold a member's whole history, which these questions then read
-- in full; these hold only the calls in progress.
CREATE INDEX calls_open_caller ON calls (caller_account_id) WHERE state <> 'ended';
CREATE INDEX calls_open_callee ON calls (callee_account_id) WHERE state <> 'ended';
CREATE INDEX calls_open_guest ON calls (caller_guest) WHERE state <> 'ended';

-- +goose Down
DROP INDEX calls_open_guest;
DROP INDEX calls_open_callee;
DROP INDEX calls_open_caller;
