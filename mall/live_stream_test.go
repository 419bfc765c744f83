package mall_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/mall"
)

// liveReader follows one GET /api/v1/mall/live stream and keeps the last
// state it heard of each store.
type liveReader struct {
	res    *http.Response
	mu     sync.Mutex
	events int
	stores map[string]mall.StoreLive
}

// openLive opens a live stream at base (query q, e.g. "?in=slug") and
// reads it until the test ends.
func openLive(t *testing.T, base, q string) *liveReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/mall/live"+q, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("open live stream: %v", err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		t.Fatalf("live stream: status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	r := &liveReader{res: res, stores: map[string]mall.StoreLive{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e mall.LiveEvent
			if json.Unmarshal([]byte(data), &e) != nil {
				continue
			}
			r.mu.Lock()
			r.events++
			for _, s := range e.Stores {
				r.stores[s.Slug] = s
			}
			r.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cancel(); res.Body.Close(); <-done })
	return r
}

// store is the last state the stream heard of the store.
func (r *liveReader) store(slug string) (mall.StoreLive, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.stores[slug]
	return s, ok
}

// close ends the stream from the client's side.
func (r *liveReader) close() { r.res.Body.Close() }

// TestLiveSkylineFansOutFromOneSubscription opens several live streams on
// one node: each gets every store at once; the node holds no subscription
// more for them; a page opened on a store reaches every stream (the
// entrance glows) and its closing too; another node's open pages, heard on
// the bus, are counted in.
func TestLiveSkylineFansOutFromOneSubscription(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	ctx := context.Background()
	listings, err := a.Catalog.ListStores(ctx)
	if err != nil || len(listings) < 2 {
		t.Fatalf("stores: %v (%d)", err, len(listings))
	}
	one, two := listings[0].Store, listings[1].Store

	subs := a.Bus.Conn.NumSubscriptions()
	var readers []*liveReader
	for range 5 {
		readers = append(readers, openLive(t, base, ""))
	}
	for i, r := range readers {
		apptest.WaitFor(t, 5*time.Second, "the first event with every store", func() bool {
			r.mu.Lock()
			defer r.mu.Unlock()
			return len(r.stores) == len(listings)
		})
		if s, _ := r.store(one.Slug); s.ShoppingNow || s.PagesOpen != 0 {
			t.Fatalf("stream %d: %s is busy before anyone came: %+v", i, one.Slug, s)
		}
	}
	if n := a.Bus.Conn.NumSubscriptions(); n != subs {
		t.Fatalf("five streams took %d subscriptions more; want none (one per node, fanned out in-process)", n-subs)
	}

	// A shopper opens the store's page: every stream hears it.
	page := openLive(t, base, "?in="+one.Slug)
	for i, r := range readers {
		apptest.WaitFor(t, 5*time.Second, "the open page on every stream", func() bool {
			s, _ := r.store(one.Slug)
			return s.PagesOpen == 1 && s.ShoppingNow
		})
		if s, _ := r.store(two.Slug); s.ShoppingNow {
			t.Fatalf("stream %d: %s glows too: %+v", i, two.Slug, s)
		}
	}
	if s, _ := page.store(one.Slug); !s.ShoppingNow {
		t.Fatalf("the page's own first event does not count it: %+v", s)
	}

	// Another node announces two open pages of the second store.
	raw, _ := json.Marshal(map[string]any{"node": "other-node", "pages": map[int64]int{two.ID: 2}})
	if err := a.Bus.Conn.Publish("lm.mall.live.here", raw); err != nil {
		t.Fatal(err)
	}
	for _, r := range readers {
		apptest.WaitFor(t, 5*time.Second, "the other node's pages", func() bool {
			s, _ := r.store(two.Slug)
			return s.PagesOpen == 2 && s.ShoppingNow
		})
	}

	// The shopper leaves: the glow goes out everywhere.
	page.close()
	for _, r := range readers {
		apptest.WaitFor(t, 25*time.Second, "the page gone from every stream", func() bool {
			s, _ := r.store(one.Slug)
			return s.PagesOpen == 0 && !s.ShoppingNow
		})
	}
}

// TestLiveSkylineRefusals: a malformed store slug, an unknown store, and
// more streams from one address than allowed are refused with the error
// vocabulary, and a refused stream leaves no page counted.
func TestLiveSkylineRefusals(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	c := apptest.NewClient(t, a)
	for _, tc := range []struct {
		name, query string
		status      int
		code, msg   string
	}{
		{"malformed slug", "?in=Not%20A%20Slug!", 400, "invalid", "slug"},
		{"unknown store", "?in=no-such-store", 404, "not_found", "store"},
	} {
		apptest.Refused(t, tc.name, c.Do("GET", "/api/v1/mall/live"+tc.query, nil), tc.status, tc.code, tc.msg)
	}

	for range mall.MaxLiveStreamsPerAddress {
		openLive(t, base, "")
	}
	res, err := http.Get(base + "/api/v1/mall/live")
	if err != nil {
		t.Fatal(err)
	}
	var e apptest.APIError
	json.NewDecoder(res.Body).Decode(&e)
	res.Body.Close()
	if res.StatusCode != 429 || e.Error.Code != "rate_limited" || !strings.Contains(e.Error.Message, "too many live streams") {
		t.Fatalf("stream %d from one address: %d %+v, want 429 rate_limited", mall.MaxLiveStreamsPerAddress+1, res.StatusCode, e.Error)
	}
}
