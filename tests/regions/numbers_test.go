package regions_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
)

// nodeFlags are every region node's: sign-ups from this one address are
// not rate limited (a thousand of them come from it).
const nodeFlags = "--auth-rate-limit 100000"

// firstDigit is the first digit of the numbers each region owns
// (scripts/regions.sh's plan: a 2…, b 3…, c 4…).
var firstDigit = map[string]byte{"a": '2', "b": '3', "c": '4'}

func jsonInto(body string, v any) error {
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return fmt.Errorf("decode %q: %w", body, err)
	}
	return nil
}

// TestNumbersNeverCollideAcrossRegions signs up 1,000 members at once,
// spread over the three regions (each region's database and nodes know
// nothing of the others' sign-ups), then reads every region's database:
// each region holds exactly the members signed up on it, homed there, each
// with one number from its own region's block, and no number is held
// twice anywhere.
func TestNumbersNeverCollideAcrossRegions(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	const total, workersPerRegion = 1000, 12
	want := map[string]int{}
	type job struct{ region, email string }
	jobs := map[string]chan job{}
	for _, name := range regionNames {
		jobs[name] = make(chan job, total)
	}
	for i := range total {
		name := regionNames[i%len(regionNames)]
		want[name]++
		jobs[name] <- job{name, fmt.Sprintf("rg-%04d@%s.example.com", i, name)}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for _, name := range regionNames {
		close(jobs[name])
		for range workersPerRegion {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs[name] {
					c := apptest.NewClient(t, nil)
					c.Remote = rg.Base(j.region)
					if err := signUp(c, "Member "+j.email, j.email); err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
					}
				}
			}()
		}
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d sign-ups failed; first: %s", len(failures), total, failures[0])
	}

	holder := map[string]string{} // number → region that holds it
	for _, name := range regionNames {
		rows, err := rg.DB[name].Query(`SELECT n.number, a.home_region, a.email FROM numbers n JOIN accounts a ON a.id = n.account_id WHERE a.email LIKE 'rg-%'`)
		if err != nil {
			t.Fatalf("region %s: %v", name, err)
		}
		count := 0
		for rows.Next() {
			var number, home, email string
			if err := rows.Scan(&number, &home, &email); err != nil {
				t.Fatal(err)
			}
			count++
			if home != name || !strings.HasSuffix(email, "@"+name+".example.com") {
				t.Errorf("region %s holds %s homed in %q", name, email, home)
			}
			if number[0] != firstDigit[name] {
				t.Errorf("region %s gave %s the number %s, outside its block (%c…)", name, email, number, firstDigit[name])
			}
			if prior, dup := holder[number]; dup {
				t.Errorf("number %s held in region %s and region %s", number, prior, name)
			}
			holder[number] = name
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if count != want[name] {
			t.Errorf("region %s holds %d of the members signed up on it, want %d", name, count, want[name])
		}
	}
	if len(holder) != total {
		t.Fatalf("%d distinct numbers for %d sign-ups", len(holder), total)
	}
}

// TestVanityNumbersAreClaimedThroughTheOwningRegion: a member of region b
// takes a number of region a's block (a's database records the claim, b's
// the number); members of c and of a asking for it are told it is taken;
// a number in no block is refused; and while c cannot reach a, c's member
// asking for another of a's numbers is told a cannot be reached, and gets
// it after the path is restored.
func TestVanityNumbersAreClaimedThroughTheOwningRegion(t *testing.T) {
	rg := startRegions(t, nodeFlags)
	member := map[string]*apptest.Client{}
	for _, name := range regionNames {
		c := apptest.NewClient(t, nil)
		c.Remote = rg.Base(name)
		if err := signUp(c, "Vanity "+name, "vanity@"+name+".example.com"); err != nil {
			t.Fatal(err)
		}
		member[name] = c
	}
	const wanted = "2999 0000 0001" // region a's
	if r := member["b"].Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": wanted}); r.Status != 201 {
		t.Fatalf("b's member claiming a's number: %d %s", r.Status, r.Body)
	}
	var claimedBy, accountID string
	if err := rg.DB["a"].QueryRow(`SELECT region, account_id FROM number_claims WHERE number = '299900000001'`).Scan(&claimedBy, &accountID); err != nil || claimedBy != "b" {
		t.Fatalf("region a's claim on the number: %q %v, want region b's", claimedBy, err)
	}
	var holderEmail string
	if err := rg.DB["b"].QueryRow(`SELECT a.email FROM numbers n JOIN accounts a ON a.id = n.account_id WHERE n.number = '299900000001' AND n.kind = 'vanity'`).Scan(&holderEmail); err != nil || holderEmail != "vanity@b.example.com" || !strings.HasPrefix(accountID, "ac") {
		t.Fatalf("region b's record of the number: %q (claim for %q) %v", holderEmail, accountID, err)
	}
	for _, name := range []string{"c", "a"} {
		r := member[name].Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": wanted})
		if r.Status != 409 || !strings.Contains(r.Body, "is taken") {
			t.Fatalf("%s's member asking for the number b's member holds: %d %s, want 409 taken", name, r.Status, r.Body)
		}
	}
	r := member["a"].Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": "5000 0000 0001"})
	if r.Status != 400 || !strings.Contains(r.Body, "in no region's number block") {
		t.Fatalf("a number in no block: %d %s, want 400", r.Status, r.Body)
	}

	rg.Partition("a", "c")
	r = member["c"].Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": "2999 0000 0002"})
	if r.Status != 503 || !strings.Contains(r.Body, "belongs to region a, which cannot be reached right now") {
		t.Fatalf("claiming a's number from c while a is cut off: %d %s, want 503", r.Status, r.Body)
	}
	var held int
	rg.DB["c"].QueryRow(`SELECT COUNT(*) FROM numbers WHERE number = '299900000002'`).Scan(&held)
	if held != 0 {
		t.Fatal("region c recorded a number its owner never granted")
	}
	rg.Heal()
	apptest.WaitFor(t, 60*time.Second, "c's claim to reach a after the heal", func() bool {
		return member["c"].Do("POST", "/api/v1/directory/me/numbers", map[string]string{"number": "2999 0000 0002"}).Status == 201
	})
}
