package directory

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database/dbtest"
)

// numbersFixture is a database with the directory's auth hooks installed.
type numbersFixture struct {
	numbers *Numbers
	auth    *auth.Service
}

func newNumbersFixture(t *testing.T, start int64) *numbersFixture {
	t.Helper()
	db := dbtest.Open(t)
	n, err := NewNumbers(db.DB, start)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(db.DB, auth.Config{PublicURL: "http://localhost:8080", Hooks: n.AuthHooks(nil, nil, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return &numbersFixture{numbers: n, auth: a}
}

func (f *numbersFixture) member(t *testing.T, email, vanity string) (*auth.Account, []NumberRecord) {
	t.Helper()
	a, err := f.auth.CreateAccount(context.Background(), auth.NewAccount{Role: auth.RoleMember, Name: email, Email: email, BirthDate: "1990-01-01", Address: "x", Vanity: vanity})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	nums, err := f.numbers.NumbersOf(context.Background(), a.ID)
	if err != nil {
		t.Fatal(err)
	}
	return a, nums
}

func TestSequentialNumbersStartAtTheBlockAndSkipHeldOnes(t *testing.T) {
	f := newNumbersFixture(t, 300000000000)
	_, first := f.member(t, "a@example.com", "")
	if first[0].Number != "300000000000" || first[0].Kind != KindSequential || !first[0].IsPrimary {
		t.Fatalf("first number %+v", first[0])
	}
	// A vanity number inside the block is skipped by the sequence.
	_, v := f.member(t, "b@example.com", "3000 0000 0001")
	if v[0].Number != "300000000001" || v[0].Kind != KindVanity || len(v) != 1 {
		t.Fatalf("vanity at sign-up %+v (it replaces the sequential one)", v)
	}
	_, next := f.member(t, "c@example.com", "")
	if next[0].Number != "300000000002" {
		t.Fatalf("sequence did not skip the held number: %s", next[0].Number)
	}
	// Admins hold no numbers; agents do.
	adm, err := f.auth.CreateAccount(context.Background(), auth.NewAccount{Role: auth.RoleAdmin, Name: "Adm", Email: "adm@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if nums, _ := f.numbers.NumbersOf(context.Background(), adm.ID); len(nums) != 0 {
		t.Fatalf("admin got numbers %v", nums)
	}
}

func TestVanityNumbers(t *testing.T) {
	ctx := context.Background()
	f := newNumbersFixture(t, 0)
	a, _ := f.member(t, "holder@example.com", "4444 4444 4444")
	b, _ := f.member(t, "other@example.com", "")

	// Taken: refused, with free numbers close to it.
	_, err := f.numbers.GrantVanity(ctx, b, "444444444444")
	if apperr.Code(err) != apperr.Conflict || !strings.Contains(apperr.Message(err), "4444 4444 4444 is taken") || !strings.Contains(apperr.Message(err), "4444 4444 4443, 4444 4444 4445") {
		t.Fatalf("taken vanity: %v", err)
	}
	// At sign-up a taken vanity is refused before the passkey ceremony.
	_, err = f.auth.BeginSignUp(ctx, auth.NewAccount{Name: "X", Email: "x@example.com", BirthDate: "1990-01-01", Address: "x", Vanity: "4444-4444-4444"})
	if apperr.Code(err) != apperr.Conflict || !strings.Contains(apperr.Message(err), "free numbers close to it") {
		t.Fatalf("sign-up with a taken vanity: %v", err)
	}
	_, err = f.auth.BeginSignUp(ctx, auth.NewAccount{Name: "X", Email: "x@example.com", BirthDate: "1990-01-01", Address: "x", Vanity: "1444-4444-4444"})
	if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), "from 2 to 9") {
		t.Fatalf("sign-up with an invalid vanity: %v", err)
	}
	// Free: granted as an extra number.
	rec, err := f.numbers.GrantVanity(ctx, b, "555555555555")
	if err != nil || rec.Kind != KindVanity || rec.IsPrimary {
		t.Fatalf("free vanity: %+v %v", rec, err)
	}
	nums, _ := f.numbers.NumbersOf(ctx, b.ID)
	if len(nums) != 2 || !nums[0].IsPrimary || nums[1].Number != "555555555555" {
		t.Fatalf("b's numbers %+v", nums)
	}
	// Two concurrent requests for one free number: granted once.
	var wg sync.WaitGroup
	results := make(chan error, 2)
	for _, who := range []*auth.Account{a, b} {
		wg.Add(1)
		go func(who *auth.Account) {
			defer wg.Done()
			_, err := f.numbers.GrantVanity(ctx, who, "666666666666")
			results <- err
		}(who)
	}
	wg.Wait()
	close(results)
	granted, refused := 0, 0
	for err := range results {
		switch apperr.Code(err) {
		case "":
			granted++
		case apperr.Conflict:
			refused++
		default:
			t.Fatalf("concurrent vanity: %v", err)
		}
	}
	if granted != 1 || refused != 1 {
		t.Fatalf("granted %d, refused %d; want 1 and 1", granted, refused)
	}
}

func TestSuggestionsStayInsideTheNumberSpace(t *testing.T) {
	ctx := context.Background()
	f := newNumbersFixture(t, 0)
	f.member(t, "low@example.com", "2000 0000 0000")
	s, err := f.numbers.Suggestions(ctx, "200000000000", 3)
	if err != nil || len(s) != 3 || s[0] != "200000000001" || s[1] != "200000000002" {
		t.Fatalf("suggestions at the bottom: %v %v", s, err)
	}
	f.member(t, "high@example.com", "9999 9999 9999")
	s, _ = f.numbers.Suggestions(ctx, "999999999999", 2)
	if len(s) != 2 || s[0] != "999999999998" || s[1] != "999999999997" {
		t.Fatalf("suggestions at the top: %v", s)
	}
}

func TestStoreQueuesGetOneNumber(t *testing.T) {
	ctx := context.Background()
	db := dbtest.Open(t)
	n, _ := NewNumbers(db.DB, 0)
	if err := db.Exec("INSERT INTO stores (slug, name, brand_color, tagline, building_floors, building_width, building_roof, opening_hours, tax_rate_bp, skyline_position, created_at) VALUES ('s', 'S', '#112233', 't', 3, 2, 'flat', '9-5', 2000, 1, CURRENT_TIMESTAMP)").Error; err != nil {
		t.Fatal(err)
	}
	var id int64
	db.Raw("SELECT id FROM stores WHERE slug = 's'").Scan(&id)
	first, err := n.EnsureStoreNumber(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	again, err := n.EnsureStoreNumber(ctx, id)
	if err != nil || again != first {
		t.Fatalf("second call gave %s (%v), want %s", again, err, first)
	}
	rec, err := n.FindNumber(ctx, first)
	if err != nil || rec.PartyType != PartyQueue || *rec.StoreID != id {
		t.Fatalf("queue number record %+v %v", rec, err)
	}
	if _, err := n.FindNumber(ctx, "299999999999"); apperr.Code(err) != apperr.NotFound {
		t.Fatalf("unknown number: %v", err)
	}
}
