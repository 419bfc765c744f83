package region

import (
	"strings"
	"testing"
)

// TestRegionNames takes the names a region may have and refuses the rest:
// anything that could break a NATS subject or a stream name.
func TestRegionNames(t *testing.T) {
	for _, ok := range []string{"a", "0", "eu-west", "eu-west-1", "-", strings.Repeat("z", 32)} {
		if !ValidName(ok) {
			t.Errorf("ValidName(%q) = false, want true", ok)
		}
	}
	for _, bad := range []string{
		"", strings.Repeat("z", 33), "EU", "eu west", "eu.west", "eu*", "eu>", "eu_west",
		"eu/west", "é", "eu\x00", "eu\n", "ｅｕ", "eu\u200b",
	} {
		if ValidName(bad) {
			t.Errorf("ValidName(%q) = true, want false", bad)
		}
	}
}

// FuzzRegionName checks that an accepted name is safe in a subject token.
func FuzzRegionName(f *testing.F) {
	for _, s := range []string{"eu-west", "", "a.b", "Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !ValidName(name) {
			return
		}
		if len(name) == 0 || len(name) > 32 || strings.ContainsAny(name, ". *>\t\r\n") || strings.ToLower(name) != name {
			t.Fatalf("ValidName(%q) accepted a name unsafe in a subject", name)
		}
	})
}
