package directory

// The questions asked of the calls table on every dial and look-up — is
// this member in an answered call, how many calls has this caller open —
// are answered from partial indexes that hold only the calls not ended
// (migration 00031), so they cost the same whatever a member's history.
// SQLite uses a partial index only when the query repeats the index's
// condition as written, so each query says `state <> 'ended'` literally,
// beside the state it asks for; an OR across caller and callee is asked
// as two EXISTS, one per index.

// inAnsweredCallSQL is true when the account (bound twice) is the caller
// or the callee of an answered call.
const inAnsweredCallSQL = `EXISTS (SELECT 1 FROM calls WHERE caller_account_id = ? AND state <> 'ended' AND state = 'active')
	OR EXISTS (SELECT 1 FROM calls WHERE callee_account_id = ? AND state <> 'ended' AND state = 'active')`

// openCallsSQL is the condition of the calls not ended, as the partial
// indexes state it.
const openCallsSQL = "state <> 'ended'"
