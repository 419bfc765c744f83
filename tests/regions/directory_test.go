package regions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
)

// member is one member signed up on a region's node.
type member struct {
	c      *apptest.Client
	region string
	email  string
	id     string // account id in the home region
	number string // primary number, 12 digits
}

// joinRegion signs up a member on region's node and reads their number
// and account id from the region's database.
func (r *regions) joinRegion(region, name, email string) *member {
	r.t.Helper()
	c := apptest.NewClient(r.t, nil)
	c.Remote = r.Base(region)
	if err := signUp(c, name, email); err != nil {
		r.t.Fatal(err)
	}
	m := &member{c: c, region: region, email: email}
	if err := r.DB[region].QueryRow(`SELECT a.id, n.number FROM accounts a JOIN numbers n ON n.account_id = a.id AND n.is_primary WHERE a.email = $1`, email).Scan(&m.id, &m.number); err != nil {
		r.t.Fatalf("%s in region %s: %v", email, region, err)
	}
	return m
}

// verify marks the member's email verified in their home region, which
// lists members only with a verified email (the mail round trip is
// tested elsewhere).
func (r *regions) verify(m *member) {
	r.t.Helper()
	if _, err := r.DB[m.region].Exec(`UPDATE member_profiles SET email_verified_at = now() WHERE account_id = $1`, m.id); err != nil {
		r.t.Fatal(err)
	}
}

// resolution is what GET /numbers/{n} answers.
type resolution struct {
	Number string `json:"number"`
	Party  struct {
		Type      string `json:"type"`
		Name      string `json:"name"`
		AccountID string `json:"accountId"`
		Region    string `json:"region"`
	} `json:"party"`
	State string `json:"state"`
	Ring  []any  `json:"ring"`
}

// resolve asks c's node for number; ok is false when it says nobody has it.
func resolve(t *testing.T, c *apptest.Client, number string) (res resolution, body string, ok bool) {
	t.Helper()
	r := c.Do("GET", "/api/v1/numbers/"+number, nil)
	switch r.Status {
	case 200:
		if err := jsonInto(r.Body, &res); err != nil {
			t.Fatal(err)
		}
		return res, r.Body, true
	case 404:
		return res, r.Body, false
	}
	t.Fatalf("GET /numbers/%s on %s: %d %s", number, c.Remote, r.Status, r.Body)
	return res, r.Body, false
}

// TestRegionResolvesAMemberHomedElsewhere: a member homed in region c is
// resolved by number and listed in region a, from a's own database, with
// their name and home region and none of their private fields; a keeps no
// account or session of theirs; and a member of a cannot inject an entry
// or take c's member's number through any route.
func TestRegionResolvesAMemberHomedElsewhere(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	carol := rg.joinRegion("c", "Carol Homedinc", "carol@c.example.com")
	rg.verify(carol)
	alice := rg.joinRegion("a", "Alice Homedina", "alice@a.example.com")
	if carol.number[0] != '4' || alice.number[0] != '2' {
		t.Fatalf("numbers %s (c) and %s (a) outside their regions' blocks", carol.number, alice.number)
	}

	var res resolution
	var body string
	apptest.WaitFor(t, 60*time.Second, "region a to resolve c's member", func() bool {
		var ok bool
		res, body, ok = resolve(t, alice.c, carol.number)
		return ok
	})
	if res.Party.Type != "member" || res.Party.Name != "Carol Homedinc" || res.Party.Region != "c" || res.Party.AccountID != "" ||
		res.Number != carol.number || len(res.Ring) != 0 || res.State != "offline" {
		t.Fatalf("region a resolves c's member as %s", body)
	}
	if strings.Contains(body, "carol@") || strings.Contains(body, "1990-04-01") || strings.Contains(body, "Main St") {
		t.Fatalf("a private field of c's member crossed to region a: %s", body)
	}
	// a's own member still resolves as before, without a region.
	if own, body, ok := resolve(t, alice.c, alice.number); !ok || own.Party.Region != "" || own.Party.AccountID != alice.id {
		t.Fatalf("region a resolving its own member: %s", body)
	}

	var page struct {
		Members []struct {
			AccountID string `json:"accountId"`
			Name      string `json:"name"`
			Number    string `json:"number"`
			Region    string `json:"region"`
			State     string `json:"state"`
		} `json:"members"`
	}
	r := alice.c.Do("GET", "/api/v1/directory?q=homedinc", nil)
	if r.Status != 200 {
		t.Fatalf("a's listing: %d %s", r.Status, r.Body)
	}
	if err := jsonInto(r.Body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Members) != 1 || page.Members[0].Number != carol.number || page.Members[0].Region != "c" || page.Members[0].Name != "Carol Homedinc" || page.Members[0].State != "offline" {
		t.Fatalf("a's listing of c's member: %s", r.Body)
	}
	if strings.Contains(r.Body, "carol@") {
		t.Fatalf("c's member's email in a's listing: %s", r.Body)
	}
	// By number prefix too.
	if r := alice.c.Do("GET", "/api/v1/directory?q="+carol.number[:8], nil); r.Status != 200 || !strings.Contains(r.Body, carol.number) {
		t.Fatalf("a's listing by c's number prefix: %d %s", r.Status, r.Body)
	}

	// What region a holds of c's member: the public entry, and nothing
	// that could sign anyone in.
	var accounts, sessions, profiles, entries int
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM accounts WHERE id = $1`, carol.id).Scan(&accounts)
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM sessions WHERE account_id = $1`, carol.id).Scan(&sessions)
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM member_profiles WHERE account_id = $1`, carol.id).Scan(&profiles)
	rg.DB["a"].QueryRow(`SELECT COUNT(*) FROM region_entries WHERE account_id = $1 AND region = 'c'`, carol.id).Scan(&entries)
	if accounts != 0 || sessions != 0 || profiles != 0 || entries != 1 {
		t.Fatalf("region a holds of c's member: %d accounts, %d sessions, %d profiles, %d entries; want only the entry", accounts, sessions, profiles, entries)
	}
	var columns string
	rg.DB["a"].QueryRow(`SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns WHERE table_name = 'region_entries'`).Scan(&columns)
	for _, private := range []string{"email", "birth", "address"} {
		if strings.Contains(columns, private) {
			t.Fatalf("region_entries has a column %q: %s", private, columns)
		}
	}

	// A member cannot write an entry: the profile route takes no region
	// or numbers, and c's member's number is taken, not free, in a.
	for _, patch := range []map[string]any{{"region": "c"}, {"numbers": []string{carol.number}}, {"name": "Carol Homedinc", "accountId": carol.id}} {
		if r := alice.c.Do("PATCH", "/api/v1/directory/me", patch); r.Status != 400 {
			t.Fatalf("PATCH /directory/me %v: %d %s, want 400", patch, r.Status, r.Body)
		}
	}
	if r := alice.c.Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": carol.number}); r.Status != 409 {
		t.Fatalf("a's member taking c's member's number: %d %s, want 409", r.Status, r.Body)
	}
	if r := alice.c.Do("GET", "/api/v1/numbers/"+carol.number+"/availability", nil); r.Status != 200 || !strings.Contains(r.Body, `"available":false`) {
		t.Fatalf("availability in a of c's member's number: %d %s, want taken", r.Status, r.Body)
	}
	// Signed out, nobody resolves anything.
	anon := apptest.NewClient(t, nil)
	anon.Remote = rg.Base("a")
	if r := anon.Do("GET", "/api/v1/numbers/"+carol.number, nil); r.Status != 401 {
		t.Fatalf("resolve signed out: %d %s, want 401", r.Status, r.Body)
	}
}

// TestPartitionedRegionsKeepServingTheirOwnAndConvergeAfterHeal: region a
// is cut off from b and c. a signs up a new member and resolves them; b
// resolves its own member and a's member it knew before the cut, and not
// a's new one; after the heal b resolves a's new member, without anyone
// doing anything (the time it took is logged).
func TestPartitionedRegionsKeepServingTheirOwnAndConvergeAfterHeal(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	aOld := rg.joinRegion("a", "Anna Before", "anna@a.example.com")
	bob := rg.joinRegion("b", "Bob Ofb", "bob@b.example.com")
	apptest.WaitFor(t, 60*time.Second, "b to know a's member before the cut", func() bool {
		_, _, ok := resolve(t, bob.c, aOld.number)
		return ok
	})
	apptest.WaitFor(t, 60*time.Second, "a to know b's member before the cut", func() bool {
		_, _, ok := resolve(t, aOld.c, bob.number)
		return ok
	})

	rg.Partition("a", "b")
	rg.Partition("a", "c")
	cut := time.Now()
	aNew := rg.joinRegion("a", "Abel During", "abel@a.example.com")
	if res, body, ok := resolve(t, aNew.c, aNew.number); !ok || res.Party.Name != "Abel During" || res.Party.Region != "" {
		t.Fatalf("a resolving its new member during the cut: %s", body)
	}
	if res, body, ok := resolve(t, aNew.c, bob.number); !ok || res.Party.Region != "b" {
		t.Fatalf("a resolving b's member it knew, during the cut: %s", body)
	}
	if res, body, ok := resolve(t, bob.c, bob.number); !ok || res.Party.Name != "Bob Ofb" {
		t.Fatalf("b resolving its own member during the cut: %s", body)
	}
	if res, body, ok := resolve(t, bob.c, aOld.number); !ok || res.Party.Name != "Anna Before" || res.Party.Region != "a" {
		t.Fatalf("b resolving a's member it knew, during the cut: %s", body)
	}
	// Give a's node time to publish the new entry into its own stream
	// (a few sweeps); none of it can cross the cut.
	time.Sleep(3 * time.Second)
	if _, body, ok := resolve(t, bob.c, aNew.number); ok {
		t.Fatalf("b resolved a's new member through the cut: %s", body)
	}

	healed := time.Now() // the heal itself takes a moment: count it in
	rg.Heal()
	apptest.WaitFor(t, 90*time.Second, "b to resolve a's new member after the heal", func() bool {
		_, _, ok := resolve(t, bob.c, aNew.number)
		return ok
	})
	t.Logf("b resolved a's member signed up during the partition %v after the heal began (partition lasted %v)",
		time.Since(healed).Round(time.Millisecond), healed.Sub(cut).Round(100*time.Millisecond))
	res, body, _ := resolve(t, bob.c, aNew.number)
	if res.Party.Name != "Abel During" || res.Party.Region != "a" || strings.Contains(body, "abel@") {
		t.Fatalf("b resolves a's new member as %s", body)
	}
	// c converges too.
	carl := rg.joinRegion("c", "Carl Ofc", "carl@c.example.com")
	apptest.WaitFor(t, 90*time.Second, "c to resolve a's new member after the heal", func() bool {
		_, _, ok := resolve(t, carl.c, aNew.number)
		return ok
	})
}
