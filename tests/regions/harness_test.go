// Package regions_test runs livemall as three regions would run it:
// scripts/regions.sh puts regions a, b and c in network namespaces, each
// with its own PostgreSQL, its own NATS server (joined to the others by
// gateways) and one node. The tests need root (network namespaces) and
// fail, never skip, without it.
package regions_test

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the tests read the regions' databases

	"github.com/livemall/livemall/backend/app/apptest"
)

// regionNames are the regions scripts/regions.sh starts, in order.
var regionNames = []string{"a", "b", "c"}

// regions is one scripts/regions.sh set of regions started by a test.
type regions struct {
	t    *testing.T
	repo string
	env  []string
	net  string // the regions' 10.94.X
	bin  string // the livemall binary the nodes run
	// DB is each region's database, by region name.
	DB map[string]*sql.DB
}

// startRegions builds the binary and brings the three regions up with
// nodeFlags on every node; they are taken down when the test ends (their
// logs printed first if the test failed).
func startRegions(t *testing.T, nodeFlags string) *regions {
	t.Helper()
	if os.Getuid() != 0 {
		t.Fatal("the regions run in network namespaces: run this test as root (CI and make test do)")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "livemall")
	build := exec.Command("go", "build", "-o", bin, "./backend/cmd/livemall")
	build.Dir = repo
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build livemall: %v\n%s", err, out)
	}
	b := make([]byte, 2)
	rand.Read(b)
	r := &regions{t: t, repo: repo, bin: bin, net: fmt.Sprintf("10.94.%d", 100+int(b[0])%150), DB: map[string]*sql.DB{}}
	state := filepath.Join(t.TempDir(), "regions")
	nats := filepath.Join(repo, ".bin", "nats-server")
	if _, err := os.Stat(nats); err != nil {
		t.Fatalf("%s is missing (%v): run scripts/deps.sh", nats, err)
	}
	r.env = append(os.Environ(), "REGIONS_ID=t"+hex.EncodeToString(b)[:3], "REGIONS_NET="+r.net, "REGIONS_DIR="+state,
		// The apptest browsers speak for http://localhost:8080 (their
		// passkeys are bound to it).
		"PUBLIC_URL="+apptest.Origin, "LIVEMALL_BIN="+bin, "NATS_SERVER="+nats, "NODE_FLAGS="+nodeFlags)
	t.Cleanup(func() {
		if t.Failed() {
			for _, name := range regionNames {
				for _, f := range []string{"node.log", "nats.log"} {
					raw, _ := os.ReadFile(filepath.Join(state, name, f))
					lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
					t.Logf("--- region %s %s (last lines)\n%s", name, f, strings.Join(lines[max(0, len(lines)-15):], "\n"))
				}
			}
		}
		for _, db := range r.DB {
			db.Close()
		}
		r.script("down")
	})
	if out, err := r.script("up"); err != nil {
		t.Fatalf("scripts/regions.sh up: %v\n%s", err, out)
	}
	for i, name := range regionNames {
		db, err := sql.Open("pgx", fmt.Sprintf("postgres://postgres@%s.1%d:5432/postgres?sslmode=disable", r.net, i+1))
		if err != nil {
			t.Fatal(err)
		}
		r.DB[name] = db
	}
	return r
}

// script runs scripts/regions.sh with the regions' settings.
func (r *regions) script(args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(r.repo, "scripts/regions.sh")}, args...)...)
	cmd.Env, cmd.Dir = r.env, r.repo
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Base is region name's node, from this namespace.
func (r *regions) Base(name string) string {
	for i, n := range regionNames {
		if n == name {
			return fmt.Sprintf("http://%s.1%d:8080", r.net, i+1)
		}
	}
	r.t.Fatalf("no region %q", name)
	return ""
}

// Partition cuts the path between regions x and y; Heal restores it.
func (r *regions) Partition(x, y string) {
	r.t.Helper()
	if out, err := r.script("partition", x, y); err != nil {
		r.t.Fatalf("partition %s %s: %v\n%s", x, y, err, out)
	}
}

// Heal restores every path between regions.
func (r *regions) Heal() {
	r.t.Helper()
	if out, err := r.script("heal"); err != nil {
		r.t.Fatalf("heal: %v\n%s", err, out)
	}
}

// signUp creates a member with c's passkey on c's region and returns why
// not, if it failed (it runs beside others: it never stops the test).
func signUp(c *apptest.Client, name, email string) error {
	var begun apptest.Begun
	r := c.Do("POST", "/api/v1/auth/signup/begin", map[string]string{"name": name, "email": email, "birthDate": "1990-04-01", "address": "1 Main St, Springfield"})
	if r.Status != 200 {
		return fmt.Errorf("sign-up begin for %s: %d %s", email, r.Status, r.Body)
	}
	if err := jsonInto(r.Body, &begun); err != nil {
		return err
	}
	r = c.Do("POST", "/api/v1/auth/signup/finish", map[string]any{"ceremony": begun.Ceremony, "credential": c.Register(begun)})
	if r.Status != 201 {
		return fmt.Errorf("sign-up finish for %s: %d %s", email, r.Status, r.Body)
	}
	return nil
}
