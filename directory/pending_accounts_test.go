package directory

import (
	"fmt"
	"sync"
	"testing"
)

// Producers far faster than the consumer: every account touched arrives,
// each once per take, and the consumer is woken while any are pending.
func TestPendingAccountsLoseNothingAndKeepEachOnce(t *testing.T) {
	p := newPendingAccounts()
	if got := p.take(); got != nil {
		t.Fatalf("empty set took %v", got)
	}
	const producers, each = 8, 5000
	var wg sync.WaitGroup
	for w := 0; w < producers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				// Every producer touches its own accounts and a shared one.
				p.add([]string{fmt.Sprintf("ac_%d_%d", w, i), "ac_shared"})
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	seen := map[string]int{}
	takes := 0
	collect := func() {
		batch := p.take()
		inBatch := map[string]bool{}
		for _, id := range batch {
			if inBatch[id] {
				t.Fatalf("%s twice in one take", id)
			}
			inBatch[id] = true
			seen[id]++
		}
		takes++
	}
	for finished := false; !finished; {
		select {
		case <-p.Ready():
			collect()
		case <-done:
			finished = true
		}
	}
	// Whatever was added after the last wake-up is signalled too.
	select {
	case <-p.Ready():
		collect()
	default:
	}
	for w := 0; w < producers; w++ {
		for i := 0; i < each; i++ {
			if id := fmt.Sprintf("ac_%d_%d", w, i); seen[id] != 1 {
				t.Fatalf("%s arrived %d times, want once", id, seen[id])
			}
		}
	}
	if seen["ac_shared"] < 1 || seen["ac_shared"] > takes {
		t.Fatalf("the shared account arrived %d times in %d takes", seen["ac_shared"], takes)
	}
	if left := p.take(); left != nil {
		t.Fatalf("left pending after the last take: %d", len(left))
	}
	t.Logf("%d touches arrived in %d takes", producers*each*2, takes)
}
