package directory

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database/dbtest"
	"github.com/livemall/livemall/backend/region"
)

// twoRegionPlan gives region a two small blocks (five numbers, then three)
// and region b one block between them.
const twoRegionPlan = "a=300000000000-300000000004, b=300000000005-300000000009, a=300000000010-300000000012"

// regionFixture is one region's database and number service under plan.
func regionFixture(t *testing.T, region, plan string) *numbersFixture {
	t.Helper()
	p, err := ParseNumberPlan(region, plan, 0)
	if err != nil {
		t.Fatal(err)
	}
	db := dbtest.Open(t)
	n := NewPlannedNumbers(db.DB, p)
	if err := n.RecordPlan(t.Context()); err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(db.DB, auth.Config{PublicURL: "http://localhost:8080", Hooks: n.AuthHooks(nil, nil, nil), Region: region})
	if err != nil {
		t.Fatal(err)
	}
	return &numbersFixture{numbers: n, auth: a}
}

func TestNumberPlanBadCases(t *testing.T) {
	tests := []struct {
		name, region, spec, want string
	}{
		{"region with capitals", "EU", "", `region "EU" must be`},
		{"no equals sign", "a", "a:300000000000-300000000009", "must look like REGION=FIRST-LAST"},
		{"no dash", "a", "a=300000000000", "must look like REGION=FIRST-LAST"},
		{"bad region in plan", "a", "a=300000000000-300000000009,B=400000000000-400000000009", `region "B"`},
		{"empty region in plan", "a", "=300000000000-300000000009", `region ""`},
		{"short first", "a", "a=30000000000-300000000009", "12-digit numbers"},
		{"first starts with 1", "a", "a=100000000000-300000000009", "12-digit numbers"},
		{"last with a letter", "a", "a=300000000000-30000000000x", "12-digit numbers"},
		{"last with a sign", "a", "a=300000000000-+30000000009", "12-digit numbers"},
		{"spaces inside a number", "a", "a=3000 0000 0000-300000000009", "12-digit numbers"},
		{"reversed", "a", "a=300000000009-300000000000", "first number is after the last"},
		{"overlap", "a", "a=300000000000-300000000009,b=300000000009-300000000019", "overlap"},
		{"overlap unsorted", "a", "b=300000000005-300000000019,a=300000000000-300000000005", "overlap"},
		{"no block for the region", "c", "a=300000000000-300000000009,b=400000000000-400000000009", `gives region "c" no block`},
		{"empty part", "a", "a=300000000000-300000000009,", "must look like"},
		{"too many blocks", "a", strings.Repeat("a=300000000000-300000000000,", 70) + "a=3", "at most 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNumberPlan(tt.region, tt.spec, 0)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseNumberPlan(%q, %q) = %v, want %q", tt.region, tt.spec, err, tt.want)
			}
		})
	}
	p, err := ParseNumberPlan("b", twoRegionPlan, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Blocks) != 3 || p.Blocks[1].Region != "b" || p.Blocks[2].First != 300000000010 {
		t.Fatalf("plan %+v: want three blocks in number order", p.Blocks)
	}
	for num, want := range map[Number]string{"300000000000": "a", "300000000007": "b", "300000000012": "a"} {
		if got, ok := p.OwnerOf(num); !ok || got != want {
			t.Errorf("OwnerOf(%s) = %q %v, want %q", num, got, ok, want)
		}
	}
	if got, ok := p.OwnerOf("300000000013"); ok {
		t.Errorf("a number outside every block is owned by %q", got)
	}
}

// FuzzParseNumberPlan: any plan is parsed or refused, never a panic; a
// parsed plan's blocks are in order, apart, and some are the region's.
func FuzzParseNumberPlan(f *testing.F) {
	for _, s := range []string{"", twoRegionPlan, "a=300000000000-300000000000", "a=3-4", "a==", ",,,", "a=999999999999-999999999999"} {
		f.Add("a", s)
	}
	f.Fuzz(func(t *testing.T, region, spec string) {
		p, err := ParseNumberPlan(region, spec, 0)
		if err != nil {
			return
		}
		if len(p.Own()) == 0 {
			t.Fatalf("plan %q for %q has no block of its region", spec, region)
		}
		for i, b := range p.Blocks {
			if b.First < Lowest || b.Last > Highest || b.First > b.Last || (i > 0 && b.First <= p.Blocks[i-1].Last) {
				t.Fatalf("plan %q: block %+v out of order or bounds", spec, b)
			}
		}
	})
}

// TestEachRegionHandsOutOnlyItsOwnBlocks: region a's sign-ups take a's
// first block, then its second, skipping b's block between them, and
// then are refused as exhausted; region b, on its own database, counts in
// its own block. No number is given twice across the two databases.
func TestEachRegionHandsOutOnlyItsOwnBlocks(t *testing.T) {
	a, b := regionFixture(t, "a", twoRegionPlan), regionFixture(t, "b", twoRegionPlan)
	seen := map[Number]string{}
	for i := range 8 {
		acc, nums := a.member(t, "a"+string(rune('0'+i))+"@example.com", "")
		if acc.HomeRegion != "a" {
			t.Fatalf("home region %q, want a", acc.HomeRegion)
		}
		if owner, _ := a.numbers.plan.OwnerOf(nums[0].Number); owner != "a" {
			t.Fatalf("region a handed out %s, of region %q", nums[0].Number, owner)
		}
		seen[nums[0].Number] = "a"
	}
	_, err := a.auth.CreateAccount(t.Context(), auth.NewAccount{Role: auth.RoleMember, Name: "late", Email: "late@example.com", BirthDate: "1990-01-01", Address: "x"})
	if apperr.Code(err) != apperr.Unavailable || !strings.Contains(err.Error(), "exhausted") {
		t.Fatalf("a ninth member of region a: %v, want the blocks exhausted", err)
	}
	for i := range 5 {
		_, nums := b.member(t, "b"+string(rune('0'+i))+"@example.com", "")
		if prior, dup := seen[nums[0].Number]; dup {
			t.Fatalf("%s handed out by region b and region %s", nums[0].Number, prior)
		}
		if owner, _ := b.numbers.plan.OwnerOf(nums[0].Number); owner != "b" {
			t.Fatalf("region b handed out %s, of region %q", nums[0].Number, owner)
		}
		seen[nums[0].Number] = "b"
	}
	if len(seen) != 13 {
		t.Fatalf("%d distinct numbers, want 13", len(seen))
	}
}

// TestOneRegionPlanKeepsTheOldSequence: a database made before regions
// (its one block row written by the old code) goes on counting where it
// was, under the default plan.
func TestOneRegionPlanKeepsTheOldSequence(t *testing.T) {
	f := newNumbersFixture(t, 300000000000)
	if err := f.numbers.db.Exec("INSERT INTO number_blocks (name, next_number) VALUES ('default', 300000000042)").Error; err != nil {
		t.Fatal(err)
	}
	if err := f.numbers.RecordPlan(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, nums := f.member(t, "old@example.com", "")
	if nums[0].Number != "300000000042" {
		t.Fatalf("first number after the plan was recorded: %s, want 300000000042", nums[0].Number)
	}
	var row numberBlockRow
	f.numbers.db.Where("name = ?", "default").Take(&row)
	if row.Region != "local" || row.First != Lowest || row.Last != Highest {
		t.Fatalf("default block %+v", row)
	}
}

// TestTheOwningRegionArbitratesVanityClaims: a member of region b claims a
// number of a's block; a's database records the claim; the same claim
// again is granted, another account's is refused, a's own members cannot
// take it, a's sequence skips it, and a claim on a number a does not own,
// or from a itself, is refused. Of ten concurrent claims on one number
// exactly one wins.
func TestTheOwningRegionArbitratesVanityClaims(t *testing.T) {
	a := regionFixture(t, "a", twoRegionPlan)
	ctx := context.Background()
	claim := NumberClaim{Number: "300000000001", Region: "b", AccountID: "ac_b1"}
	if err := a.numbers.ArbitrateClaim(ctx, claim); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	if err := a.numbers.ArbitrateClaim(ctx, claim); err != nil {
		t.Fatalf("the same claim again: %v", err)
	}
	other := NumberClaim{Number: "300000000001", Region: "b", AccountID: "ac_b2"}
	if err := a.numbers.ArbitrateClaim(ctx, other); apperr.Code(err) != apperr.Conflict || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("another account's claim: %v, want taken", err)
	}
	acc, _ := a.member(t, "a1@example.com", "")
	if acc.HomeRegion != "a" {
		t.Fatalf("home region %q", acc.HomeRegion)
	}
	if _, err := a.numbers.GrantVanity(ctx, acc, "300000000001"); apperr.Code(err) != apperr.Conflict {
		t.Fatalf("region a granting a number claimed by b: %v, want Conflict", err)
	}
	if free, _ := a.numbers.IsFree(ctx, "300000000001"); free {
		t.Fatal("a claimed number looks free")
	}
	_, second := a.member(t, "a2@example.com", "")
	if second[0].Number != "300000000002" {
		t.Fatalf("the sequence gave %s; want it to skip the claimed 300000000001", second[0].Number)
	}
	// Held by a's own member: a claim from b is refused.
	if err := a.numbers.ArbitrateClaim(ctx, NumberClaim{Number: "300000000000", Region: "b", AccountID: "ac_b1"}); apperr.Code(err) != apperr.Conflict {
		t.Fatalf("claim on a number a's member holds: %v", err)
	}
	for name, c := range map[string]NumberClaim{
		"b's own number":     {Number: "300000000006", Region: "c", AccountID: "ac_c"},
		"outside the blocks": {Number: "400000000000", Region: "b", AccountID: "ac_b1"},
		"from a itself":      {Number: "300000000003", Region: "a", AccountID: "ac_a"},
	} {
		if err := a.numbers.ArbitrateClaim(ctx, c); apperr.Code(err) != apperr.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	var wg sync.WaitGroup
	wins := make(chan string, 10)
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := "ac_r" + string(rune('0'+i))
			if a.numbers.ArbitrateClaim(ctx, NumberClaim{Number: "300000000011", Region: "b", AccountID: id}) == nil {
				wins <- id
			}
		}()
	}
	wg.Wait()
	close(wins)
	if len(wins) != 1 {
		t.Fatalf("%d of ten concurrent claims won, want exactly one", len(wins))
	}
}

func TestNumberClaimBadCases(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"not JSON", `claim`, "JSON object"},
		{"an array", `[]`, "JSON object"},
		{"two objects", `{"number":"300000000001","region":"b","accountId":"x"}{}`, "one JSON object"},
		{"unknown field", `{"number":"300000000001","region":"b","accountId":"x","admin":true}`, "JSON object"},
		{"no number", `{"region":"b","accountId":"x"}`, "needs number"},
		{"no region", `{"number":"300000000001","accountId":"x"}`, "needs number"},
		{"no account", `{"number":"300000000001","region":"b"}`, "needs number"},
		{"number grouped", `{"number":"3000 0000 0001","region":"b","accountId":"x"}`, "12 digits"},
		{"number short", `{"number":"30000000001","region":"b","accountId":"x"}`, "12 digits"},
		{"number starts with 1", `{"number":"100000000001","region":"b","accountId":"x"}`, "starts with a digit from 2 to 9"},
		{"region wildcard", `{"number":"300000000001","region":"b.>","accountId":"x"}`, "region must be"},
		{"region empty", `{"number":"300000000001","region":"","accountId":"x"}`, "region must be"},
		{"account empty", `{"number":"300000000001","region":"b","accountId":""}`, "accountId must be"},
		{"account with a quote", `{"number":"300000000001","region":"b","accountId":"a'b"}`, "accountId must be"},
		{"account too long", `{"number":"300000000001","region":"b","accountId":"` + strings.Repeat("a", 65) + `"}`, "accountId must be"},
		{"too big", `{"number":"300000000001","region":"b","accountId":"x","pad":"` + strings.Repeat(" ", 600) + `"}`, "at most 512 bytes"},
		{"number not a string", `{"number":300000000001,"region":"b","accountId":"x"}`, "JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseNumberClaim([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseNumberClaim(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	c, err := ParseNumberClaim([]byte(`{"number":"300000000001","region":"eu-2","accountId":"ac_X-1"}`))
	if err != nil || c.Number != "300000000001" || c.Region != "eu-2" || c.AccountID != "ac_X-1" {
		t.Fatalf("a good claim: %+v %v", c, err)
	}
}

// FuzzParseNumberClaim: any body is parsed or refused as Invalid; a parsed
// claim carries a valid number, region and account id.
func FuzzParseNumberClaim(f *testing.F) {
	f.Add([]byte(`{"number":"300000000001","region":"b","accountId":"ac_1"}`))
	f.Add([]byte(`{"number":"3000 0000 0001","region":"B","accountId":""}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseNumberClaim(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if _, err := ParseNumber(string(c.Number)); err != nil || !region.ValidName(c.Region) || !validAccountID(c.AccountID) {
			t.Fatalf("accepted a bad claim %+v", c)
		}
	})
}
