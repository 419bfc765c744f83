package mall

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// shopFixture is a seeded mall with carts and orders paid offline.
type shopFixture struct {
	t       testing.TB
	carts   *Carts
	orders  *Orders
	catalog *Catalog
}

func newShopFixture(t testing.TB, provider PaymentProvider) *shopFixture {
	t.Helper()
	db := dbtest.Open(t)
	if _, err := SeedDemo(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(db.DB)
	carts := NewCarts(db.DB, cat, nil)
	return &shopFixture{t: t, carts: carts, orders: NewOrders(db.DB, carts, provider, 0, nil), catalog: cat}
}

func guest(n int) Shopper { return Shopper{GuestHash: fmt.Sprintf("guest-%04d", n)} }

// product returns a product of a store with or without an age limit.
func (f *shopFixture) product(store string, aged bool) *Product {
	f.t.Helper()
	st, err := f.catalog.StoreBySlug(context.Background(), store)
	if err != nil {
		f.t.Fatal(err)
	}
	ps, err := f.catalog.ListProductsOnSale(context.Background(), st.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := range ps {
		if (ps[i].AgeLimit > 0) == aged {
			return &ps[i]
		}
	}
	f.t.Fatalf("no product with aged=%v in %s", aged, store)
	return nil
}

func (f *shopFixture) stock(id int64) int {
	var n int
	f.carts.db.Raw("SELECT stock FROM products WHERE id = ?", id).Scan(&n)
	return n
}

func TestEveryRefusedTransitionIsRefused(t *testing.T) {
	all := []OrderState{OrderDraft, OrderAwaitingVerification, OrderSigned, OrderPaid, OrderConfirmed, OrderRefused, OrderAbandoned}
	allowed := map[[2]OrderState]bool{}
	for from, tos := range transitions {
		for _, to := range tos {
			allowed[[2]OrderState{from, to}] = true
		}
	}
	f := newShopFixture(t, Offline{})
	ctx := context.Background()
	p := f.product("north-peak-outfitters", false)
	for i, from := range all {
		for j, to := range all {
			if CanMove(from, to) != allowed[[2]OrderState{from, to}] {
				t.Fatalf("CanMove(%s, %s) disagrees with the table", from, to)
			}
			// A real order in state "from", moved to "to" in the database.
			s := guest(1000 + i*10 + j)
			if _, err := f.carts.AddItem(ctx, s, "north-peak-outfitters", p.SKU, 1, nil); err != nil {
				t.Fatal(err)
			}
			o, err := f.orders.Checkout(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			f.carts.db.Model(&Order{}).Where("id = ?", o.ID).Update("state", from)
			_, err = f.orders.Move(ctx, o.ID, to, "test", "table")
			if allowed[[2]OrderState{from, to}] {
				if err != nil {
					t.Fatalf("%s → %s refused: %v", from, to, err)
				}
				continue
			}
			if apperr.Code(err) != apperr.Conflict {
				t.Fatalf("%s → %s: %v, want a conflict", from, to, err)
			}
			var st OrderState
			f.carts.db.Raw("SELECT state FROM orders WHERE id = ?", o.ID).Scan(&st)
			if st != from {
				t.Fatalf("a refused move changed %s to %s", from, st)
			}
		}
	}
}

func TestCheckoutAndOfflinePayment(t *testing.T) {
	f := newShopFixture(t, Offline{})
	ctx := context.Background()
	p := f.product("lumen-electronics", false)
	before := f.stock(p.ID)
	s := guest(1)
	if _, err := f.carts.AddItem(ctx, s, "lumen-electronics", p.SKU, 2, nil); err != nil {
		t.Fatal(err)
	}
	o, err := f.orders.Checkout(ctx, s)
	if err != nil || o.State != OrderDraft || o.TotalMinor != 2*p.PriceMinor || o.TaxMinor <= 0 {
		t.Fatalf("checkout: %+v %v", o, err)
	}
	if v, _ := f.carts.View(ctx, s); len(v.Items) != 0 {
		t.Fatalf("cart not emptied: %+v", v)
	}
	paid, start, err := f.orders.Pay(ctx, s, o.ID)
	if err != nil || paid.State != OrderConfirmed || !paid.TestPayment || start.Status != PaymentSucceeded {
		t.Fatalf("pay: %+v %+v %v", paid, start, err)
	}
	if got := f.stock(p.ID); got != before-2 {
		t.Fatalf("stock %d, want %d", got, before-2)
	}
	if _, _, err := f.orders.Pay(ctx, s, o.ID); apperr.Code(err) != apperr.Conflict {
		t.Fatalf("paying twice: %v", err)
	}
	evs, _ := f.orders.eventsOf(ctx, o.ID)
	if len(evs) != 3 || evs[1].ToState != OrderPaid || evs[2].ToState != OrderConfirmed || evs[1].Actor == "" || evs[1].Reason == "" {
		t.Fatalf("events %+v", evs)
	}
	// Another shopper cannot see or pay it.
	if _, err := f.orders.OrderOf(ctx, guest(2), o.ID); apperr.Code(err) != apperr.NotFound {
		t.Fatalf("another guest read the order: %v", err)
	}
}

func TestAgeRestrictedOrderCannotBePaidUnverified(t *testing.T) {
	f := newShopFixture(t, Offline{})
	ctx := context.Background()
	p := f.product("vinoteca-rossi", true)
	s := guest(3)
	if _, err := f.carts.AddItem(ctx, s, "vinoteca-rossi", p.SKU, 1, nil); err != nil {
		t.Fatal(err)
	}
	o, err := f.orders.Checkout(ctx, s)
	if err != nil || o.State != OrderAwaitingVerification || !o.NeedsVerification {
		t.Fatalf("checkout of an 18+ product: %+v %v", o, err)
	}
	if _, _, err := f.orders.Pay(ctx, s, o.ID); apperr.Code(err) != apperr.Conflict {
		t.Fatalf("paid an unverified 18+ order: %v", err)
	}
}

func TestFiftyConcurrentCheckoutsOfTenInStock(t *testing.T) {
	f := newShopFixture(t, Offline{})
	ctx := context.Background()
	p := f.product("casa-cucina", false)
	f.carts.db.Model(&Product{}).Where("id = ?", p.ID).Update("stock", 10)
	const n = 50
	orders := make([]string, n)
	for i := 0; i < n; i++ {
		s := guest(100 + i)
		if _, err := f.carts.AddItem(ctx, s, "casa-cucina", p.SKU, 1, nil); err != nil {
			t.Fatal(err)
		}
		o, err := f.orders.Checkout(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		orders[i] = o.ID
	}
	var wg sync.WaitGroup
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, _, err := f.orders.Pay(ctx, guest(100+i), orders[i])
			results <- err
		}(i)
	}
	wg.Wait()
	close(results)
	ok, soldOut := 0, 0
	for err := range results {
		switch apperr.Code(err) {
		case "":
			ok++
		case apperr.Conflict:
			soldOut++
		default:
			t.Fatalf("pay: %v", err)
		}
	}
	if ok != 10 || soldOut != 40 {
		t.Fatalf("%d paid, %d refused; want 10 and 40", ok, soldOut)
	}
	if got := f.stock(p.ID); got != 0 {
		t.Fatalf("stock ends at %d, want 0", got)
	}
	var charged []struct {
		OrderID string
		N       int
	}
	f.carts.db.Raw("SELECT order_id, COUNT(*) AS n FROM payment_attempts WHERE status = 'succeeded' GROUP BY order_id").Scan(&charged)
	if len(charged) != 10 {
		t.Fatalf("%d orders charged, want 10", len(charged))
	}
	for _, c := range charged {
		if c.N != 1 {
			t.Fatalf("order %s charged %d times", c.OrderID, c.N)
		}
	}
	var confirmed, refused int64
	f.carts.db.Model(&Order{}).Where("state = ?", OrderConfirmed).Count(&confirmed)
	f.carts.db.Model(&Order{}).Where("state = ?", OrderRefused).Count(&refused)
	if confirmed != 10 || refused != 40 {
		t.Fatalf("%d confirmed, %d refused", confirmed, refused)
	}
}

func TestCoPurchasesAreRankedFromPaidOrders(t *testing.T) {
	f := newShopFixture(t, Offline{})
	ctx := context.Background()
	st, _ := f.catalog.StoreBySlug(ctx, "lumen-electronics")
	ps, _ := f.catalog.ListProductsOnSale(ctx, st.ID)
	main := &ps[0]
	addOns, _ := f.catalog.ListAddOnsOnSale(ctx, main)
	related := map[int64]bool{main.ID: true}
	for _, a := range addOns {
		related[a.Product.ID] = true
	}
	var others []*Product
	for i := range ps {
		if !related[ps[i].ID] && ps[i].AgeLimit == 0 {
			others = append(others, &ps[i])
		}
	}
	if len(others) < 3 {
		t.Fatalf("the demo store has too few unrelated products: %d", len(others))
	}
	buy := func(n int, paid bool, with ...*Product) {
		s := guest(5000 + n)
		f.carts.AddItem(ctx, s, "lumen-electronics", main.SKU, 1, nil)
		for _, p := range with {
			f.carts.AddItem(ctx, s, "lumen-electronics", p.SKU, 1, nil)
		}
		o, err := f.orders.Checkout(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if paid {
			if _, _, err := f.orders.Pay(ctx, s, o.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	buy(1, true, others[0], others[1])
	buy(2, true, others[1])
	buy(3, true, others[1], others[0])
	buy(4, true, others[1])
	buy(5, false, others[2], others[2]) // never paid: does not count
	got, err := f.catalog.ListCoPurchases(ctx, main, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Product.ID != others[1].ID || got[0].Orders != 4 || got[1].Product.ID != others[0].ID || got[1].Orders != 2 {
		t.Fatalf("co-purchases %+v", got)
	}
}
