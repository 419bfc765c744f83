package directory

import "sync"

// pendingAccounts collects the accounts whose state must be worked out
// again. An account touched many times before the consumer comes round is
// kept once, and nothing is ever dropped: when changes arrive faster than
// states can be read (thousands of devices coming online at once), the
// consumer takes them all in one go instead of falling behind a queue.
type pendingAccounts struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	ready chan struct{} // holds a token while something is pending
}

// newPendingAccounts returns an empty set.
func newPendingAccounts() *pendingAccounts {
	return &pendingAccounts{ids: map[string]struct{}{}, ready: make(chan struct{}, 1)}
}

// add marks the accounts pending and wakes the consumer.
func (p *pendingAccounts) add(ids []string) {
	if len(ids) == 0 {
		return
	}
	p.mu.Lock()
	for _, id := range ids {
		p.ids[id] = struct{}{}
	}
	p.mu.Unlock()
	select {
	case p.ready <- struct{}{}:
	default: // already woken: the consumer will see these too
	}
}

// Ready is signalled when accounts are pending.
func (p *pendingAccounts) Ready() <-chan struct{} { return p.ready }

// take returns every pending account, in no order, and empties the set.
func (p *pendingAccounts) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return nil
	}
	out := make([]string, 0, len(p.ids))
	for id := range p.ids {
		out = append(out, id)
	}
	clear(p.ids)
	return out
}
