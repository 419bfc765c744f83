package directory

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/region"
)

// threeRegionPlan gives regions a, b and c ten numbers each.
const threeRegionPlan = "a=300000000000-300000000009,b=300000000010-300000000019,c=300000000020-300000000029"

// sharedBus is one embedded NATS for regions in one test: the regions'
// streams are told apart by name, as they are in a supercluster.
func sharedBus(t *testing.T) *bus.Bus {
	t.Helper()
	b, err := bus.Open(t.Context(), bus.Config{DataDir: t.TempDir(), Name: "regions-test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// regionDirectoryOf opens region's directory of entries on b.
func regionDirectoryOf(t *testing.T, f *numbersFixture, b *bus.Bus) *regionDirectory {
	t.Helper()
	r, err := openRegionDirectory(t.Context(), f.numbers.db, b, f.numbers.plan, 50*time.Millisecond)
	if err != nil || r == nil {
		t.Fatalf("open the region directory of %s: %v %v", f.numbers.plan.Region, r, err)
	}
	t.Cleanup(r.close)
	return r
}

// entryRows returns the entries region keeps of accountID's numbers.
func entryRows(t *testing.T, r *regionDirectory, accountID string) []regionEntryRow {
	t.Helper()
	var rows []regionEntryRow
	if err := r.db.Where("account_id = ?", accountID).Order("number").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEveryRegionKeepsTheOthersEntries: a member of region c, verified and
// listed, reaches the entries of a and b through JetStream with their
// name, numbers and listing, never their email; c itself keeps no entry of
// its own members; a change (unlisted, a vanity number) follows; and the
// entry on the stream carries none of the private fields.
func TestEveryRegionKeepsTheOthersEntries(t *testing.T) {
	b := sharedBus(t)
	fa, fb, fc := regionFixture(t, "a", threeRegionPlan), regionFixture(t, "b", threeRegionPlan), regionFixture(t, "c", threeRegionPlan)
	ra, rb, rc := regionDirectoryOf(t, fa, b), regionDirectoryOf(t, fb, b), regionDirectoryOf(t, fc, b)
	acc, nums := fc.member(t, "carol@c.example.com", "")
	if nums[0].Number != "300000000020" {
		t.Fatalf("c's member got %s", nums[0].Number)
	}
	now := time.Now().UTC()
	if err := fc.numbers.db.Model(&Profile{}).Where("account_id = ?", acc.ID).Updates(map[string]any{"email_verified_at": now, "interests": ",hiking,", "name": "Carol of C"}).Error; err != nil {
		t.Fatal(err)
	}
	rc.changed()
	for _, r := range []*regionDirectory{ra, rb} {
		waitUntil(t, "c's member in region "+r.plan.Region, func() bool {
			rows := entryRows(t, r, acc.ID)
			return len(rows) == 1 && rows[0].Listed
		})
		row := entryRows(t, r, acc.ID)[0]
		if row.Number != "300000000020" || row.Region != "c" || row.Name != "Carol of C" || !row.IsPrimary || row.Interests != ",hiking," {
			t.Fatalf("region %s keeps %+v", r.plan.Region, row)
		}
	}
	if rows := entryRows(t, rc, acc.ID); len(rows) != 0 {
		t.Fatalf("region c keeps entries of its own member: %+v", rows)
	}
	// What travels: the public fields only.
	msg, err := b.JS.Stream(t.Context(), entriesStream("c"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := msg.GetLastMsgForSubject(t.Context(), entrySubject("c", acc.ID))
	if err != nil {
		t.Fatal(err)
	}
	for _, private := range []string{"carol@", "1990-01-01", "birth", "address", "email"} {
		if strings.Contains(string(raw.Data), private) {
			t.Fatalf("the entry on the stream carries %q: %s", private, raw.Data)
		}
	}
	if _, err := ParseRegionEntry(raw.Data); err != nil {
		t.Fatalf("the published entry does not parse: %v", err)
	}

	// Unlisted, and a vanity number of a's block claimed: both follow.
	if err := fc.numbers.db.Model(&Profile{}).Where("account_id = ?", acc.ID).Update("listed", false).Error; err != nil {
		t.Fatal(err)
	}
	if err := fc.numbers.db.Create(&NumberRecord{Number: "300000000005", PartyType: PartyMember, AccountID: &acc.ID, Kind: KindVanity, CreatedAt: now}).Error; err != nil {
		t.Fatal(err)
	}
	rc.changed()
	waitUntil(t, "the change in region a", func() bool {
		rows := entryRows(t, ra, acc.ID)
		return len(rows) == 2 && !rows[0].Listed && !rows[1].Listed
	})
	// Its numbers gone (the account removed at home): withdrawn everywhere.
	if err := fc.numbers.db.Where("account_id = ?", acc.ID).Delete(&NumberRecord{}).Error; err != nil {
		t.Fatal(err)
	}
	rc.changed()
	waitUntil(t, "the withdrawal in region b", func() bool { return len(entryRows(t, rb, acc.ID)) == 0 })
}

// TestAnEntryIsKeptOnlyFromItsRegionAndNeverOlder: entries published on
// another region's subject, of this region, of a region outside the plan
// or with a number outside the plan are refused; an older entry does not
// replace a newer one.
func TestAnEntryIsKeptOnlyFromItsRegionAndNeverOlder(t *testing.T) {
	b := sharedBus(t)
	fa := regionFixture(t, "a", threeRegionPlan)
	ra := regionDirectoryOf(t, fa, b)
	ctx := context.Background()
	entry := func(region, number string, version int64, name string) []byte {
		return []byte(`{"accountId":"ac_x","region":"` + region + `","name":"` + name + `","listed":true,"interests":[],"numbers":[{"number":"` + number + `","primary":true}],"version":` + strconv.FormatInt(version, 10) + `}`)
	}
	for name, tc := range map[string]struct {
		subject string
		body    []byte
	}{
		"another region's subject":  {entrySubject("b", "ac_x"), entry("c", "300000000020", 5, "X")},
		"another account's subject": {entrySubject("c", "ac_y"), entry("c", "300000000020", 5, "X")},
		"this region's own":         {entrySubject("a", "ac_x"), entry("a", "300000000001", 5, "X")},
		"a region outside the plan": {entrySubject("z", "ac_x"), entry("z", "300000000020", 5, "X")},
		"a number outside the plan": {entrySubject("c", "ac_x"), entry("c", "500000000000", 5, "X")},
		"not an entry":              {entrySubject("c", "ac_x"), []byte(`{"accountId":"ac_x"}`)},
	} {
		if err := ra.keep(ctx, tc.subject, tc.body); apperr.Code(err) != apperr.Invalid {
			t.Errorf("%s: %v, want Invalid", name, err)
		}
	}
	if n := len(entryRows(t, ra, "ac_x")); n != 0 {
		t.Fatalf("refused entries left %d rows", n)
	}
	if err := ra.keep(ctx, entrySubject("c", "ac_x"), entry("c", "300000000020", 10, "New")); err != nil {
		t.Fatal(err)
	}
	if err := ra.keep(ctx, entrySubject("c", "ac_x"), entry("c", "300000000021", 9, "Old")); err != nil {
		t.Fatal(err)
	}
	rows := entryRows(t, ra, "ac_x")
	if len(rows) != 1 || rows[0].Name != "New" || rows[0].Number != "300000000020" {
		t.Fatalf("after an older entry: %+v", rows)
	}
	// The entry resolves by number here, offline and with nothing to ring;
	// it is no account here.
	s := &Service{db: fa.numbers.db, Numbers: fa.numbers}
	res, err := s.resolveElsewhere(ctx, "300000000020")
	if err != nil || res.Party.Name != "New" || res.Party.Region != "c" || res.Party.AccountID != "" || len(res.Ring) != 0 || res.State != StateOffline {
		t.Fatalf("resolve elsewhere: %+v %v", res, err)
	}
	if free, err := s.notHeldElsewhere(ctx, "300000000020"); err != nil || free {
		t.Fatalf("a number held in region c looks free in a: %v %v", free, err)
	}
	if free, err := s.notHeldElsewhere(ctx, "300000000029"); err != nil || !free {
		t.Fatalf("a number nobody holds looks held: %v %v", free, err)
	}
	if _, err := s.resolveElsewhere(ctx, "300000000029"); apperr.Code(err) != apperr.NotFound {
		t.Fatalf("a number nobody holds: %v", err)
	}
	var accounts int64
	fa.numbers.db.Table("accounts").Where("id = ?", "ac_x").Count(&accounts)
	if accounts != 0 {
		t.Fatal("an entry from another region made an account")
	}
}

// TestOneRegionHasNoRegionDirectory: a plan with one region creates no
// stream and keeps nothing.
func TestOneRegionHasNoRegionDirectory(t *testing.T) {
	b := sharedBus(t)
	f := regionFixture(t, "local", "")
	r, err := openRegionDirectory(t.Context(), f.numbers.db, b, f.numbers.plan, 0)
	if err != nil || r != nil {
		t.Fatalf("one region: %v %v", r, err)
	}
	names := b.JS.StreamNames(t.Context())
	for n := range names.Name() {
		if strings.HasPrefix(n, "LM_DIR") {
			t.Fatalf("one region created the stream %s", n)
		}
	}
}

func TestRegionEntryBadCases(t *testing.T) {
	good := `"accountId":"ac_1","region":"c","name":"Carol","listed":true,"interests":["hiking"],"version":7`
	tests := []struct{ name, body, want string }{
		{"not JSON", `entry`, "JSON object"},
		{"an array", `[]`, "JSON object"},
		{"two objects", `{` + good + `,"numbers":[]}{}`, "one JSON object"},
		{"unknown field", `{` + good + `,"numbers":[],"email":"c@x.example"}`, "JSON object"},
		{"no numbers", `{` + good + `}`, "needs accountId"},
		{"no version", `{"accountId":"ac_1","region":"c","name":"C","listed":true,"interests":[],"numbers":[]}`, "needs accountId"},
		{"account with a dot", `{"accountId":"a.b","region":"c","name":"C","listed":true,"interests":[],"numbers":[],"version":1}`, "accountId must be"},
		{"region wildcard", `{"accountId":"a","region":"c.>","name":"C","listed":true,"interests":[],"numbers":[],"version":1}`, "region must be"},
		{"empty name", `{"accountId":"a","region":"c","name":" ","listed":true,"interests":[],"numbers":[],"version":1}`, "name must be"},
		{"name with a control", `{"accountId":"a","region":"c","name":"C\u0007","listed":true,"interests":[],"numbers":[],"version":1}`, "name must be"},
		{"name too long", `{"accountId":"a","region":"c","name":"` + strings.Repeat("n", 201) + `","listed":true,"interests":[],"numbers":[],"version":1}`, "name must be"},
		{"version zero", `{"accountId":"a","region":"c","name":"C","listed":true,"interests":[],"numbers":[],"version":0}`, "version must be positive"},
		{"bad interest", `{"accountId":"a","region":"c","name":"C","listed":true,"interests":["<b>"],"numbers":[],"version":1}`, "interest"},
		{"number grouped", `{` + good + `,"numbers":[{"number":"3000 0000 0001","primary":true}]}`, "12 digits"},
		{"number starts with 1", `{` + good + `,"numbers":[{"number":"100000000001","primary":true}]}`, "starts with a digit from 2 to 9"},
		{"number twice", `{` + good + `,"numbers":[{"number":"300000000001","primary":true},{"number":"300000000001","primary":false}]}`, "twice"},
		{"no primary", `{` + good + `,"numbers":[{"number":"300000000001","primary":false}]}`, "exactly one primary"},
		{"two primaries", `{` + good + `,"numbers":[{"number":"300000000001","primary":true},{"number":"300000000002","primary":true}]}`, "exactly one primary"},
		{"number without primary", `{` + good + `,"numbers":[{"number":"300000000001"}]}`, "needs number and primary"},
		{"six numbers", `{` + good + `,"numbers":[{"number":"300000000001","primary":true},{"number":"300000000002","primary":false},{"number":"300000000003","primary":false},{"number":"300000000004","primary":false},{"number":"300000000005","primary":false},{"number":"300000000006","primary":false}]}`, "at most 5 numbers"},
		{"too big", `{` + good + `,"numbers":[],"pad":"` + strings.Repeat(" ", 4100) + `"}`, "at most 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegionEntry([]byte(tt.body))
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseRegionEntry(%s) = %v, want Invalid %q", tt.body, err, tt.want)
			}
		})
	}
	e, err := ParseRegionEntry([]byte(`{` + good + `,"numbers":[{"number":"300000000001","primary":true},{"number":"400000000001","primary":false}]}`))
	if err != nil || e.AccountID != "ac_1" || e.Region != "c" || e.Name != "Carol" || !e.Listed || len(e.Interests) != 1 || len(e.Numbers) != 2 || e.Version != 7 {
		t.Fatalf("a good entry: %+v %v", e, err)
	}
}

// FuzzParseRegionEntry: any body is parsed or refused as Invalid; a parsed
// entry has a valid account, region, name, numbers and version.
func FuzzParseRegionEntry(f *testing.F) {
	f.Add([]byte(`{"accountId":"ac_1","region":"c","name":"Carol","listed":true,"interests":["hiking"],"numbers":[{"number":"300000000001","primary":true}],"version":7}`))
	f.Add([]byte(`{"accountId":"","region":"C","name":"","listed":1,"interests":null,"numbers":[{}],"version":-1}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseRegionEntry(body)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid {
				t.Fatalf("refused with %v, want Invalid", err)
			}
			return
		}
		if !validAccountID(e.AccountID) || !region.ValidName(e.Region) || !validEntryName(e.Name) || e.Version <= 0 || len(e.Numbers) > MaxNumbersPerAccount {
			t.Fatalf("accepted a bad entry %+v", e)
		}
		for _, n := range e.Numbers {
			if _, err := ParseNumber(string(n.Number)); err != nil {
				t.Fatalf("accepted a bad number in %+v", e)
			}
		}
	})
}
