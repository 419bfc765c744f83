package directory

import (
	"strings"
	"testing"
	"unicode"

	"github.com/livemall/livemall/backend/apperr"
)

func TestParseNumberRefusesBadInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "a number is required"},
		{"   ", "a number is required"},
		{"-- ..", "a number is required"},
		{"2000 0000 00a1", `'a' at position 13 is not a digit`},
		{"call me", `'c' at position 1 is not a digit`},
		{"+2000 0000 0001", `'+' at position 1`},
		{"2000_0000_0001", `'_' at position 5`},
		{"2000 0000 001", "has 12 digits; this has 11"},
		{"2000 0000 00011", "has 12 digits; this has 13"},
		{"0123 4567 8901", "starts with a digit from 2 to 9, not 0"},
		{"1999 9999 9999", "starts with a digit from 2 to 9, not 1"},
		{"２０００ ００００ ０００１", "is not a digit"},
		{"2000\t0000\t0001", "is not a digit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseNumber(tt.in)
			if apperr.Code(err) != apperr.Invalid || !strings.Contains(apperr.Message(err), tt.want) {
				t.Fatalf("ParseNumber(%q) = %v, want invalid with %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseNumberIsForgivingAndFormats(t *testing.T) {
	for _, in := range []string{"200000000001", "2000 0000 0001", "2000-0000-0001", "2000.0000.0001", " 20 00-00.00 0001 "} {
		n, err := ParseNumber(in)
		if err != nil || n != "200000000001" || n.String() != "2000 0000 0001" {
			t.Fatalf("ParseNumber(%q) = %q (%s), %v", in, n, n, err)
		}
	}
	if n, _ := ParseNumber("9999 9999 9999"); n.Value() != Highest {
		t.Fatalf("value of the highest number = %d", n.Value())
	}
	if _, err := NumberFromValue(Lowest - 1); err == nil {
		t.Fatal("a value below the number space was accepted")
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"2000 0000 0001", "", "1", "9999-9999-9999", "0000 0000 0000", "2000.0000.000x", "２"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if apperr.Code(err) != apperr.Invalid || apperr.Message(err) == "" {
				t.Fatalf("error %v is not an invalid-input error with a message", err)
			}
			return
		}
		if len(n) != 12 || n[0] < '2' || strings.IndexFunc(string(n), func(r rune) bool { return !unicode.IsDigit(r) || r > '9' }) >= 0 {
			t.Fatalf("ParseNumber(%q) accepted %q", s, n)
		}
		again, err := ParseNumber(n.String())
		if err != nil || again != n {
			t.Fatalf("formatted %q does not parse back: %q %v", n.String(), again, err)
		}
	})
}
