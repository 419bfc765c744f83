package directory

import (
	"testing"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/database/dbtest"
)

// Compare two commits with: go test -run='^$' -bench=. -count=10 ./directory
// > old.txt (then new.txt) and benchstat old.txt new.txt.

func BenchmarkParseNumber(b *testing.B) {
	for _, in := range []string{"200000000001", "2000 0000 0001", " 2000-0000.0001 "} {
		b.Run(in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseNumber(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNumberString(b *testing.B) {
	n := Number("200000000001")
	b.ReportAllocs()
	for b.Loop() {
		_ = n.String()
	}
}

// BenchmarkAllocateSequential takes the next number of the sequence, one
// transaction each, on the test database (SQLite, or PostgreSQL in the
// PostgreSQL run).
func BenchmarkAllocateSequential(b *testing.B) {
	db := dbtest.Open(b)
	n, err := NewNumbers(db.DB, Lowest)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		err := db.DB.Transaction(func(tx *gorm.DB) error {
			_, err := n.allocateSequential(tx)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateOf folds an account's ring devices into its presence
// state, as every presence change does for each account it touches.
func BenchmarkStateOf(b *testing.B) {
	targets := []RingTarget{{DeviceID: "a", State: StateAway}, {DeviceID: "b", State: StateAvailable}, {DeviceID: "c", State: StateAway}}
	b.ReportAllocs()
	for b.Loop() {
		if stateOf(targets) != StateAvailable {
			b.Fatal("wrong state")
		}
	}
}
