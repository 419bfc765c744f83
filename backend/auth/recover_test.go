package auth

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
)

func TestParseIssuer(t *testing.T) {
	for _, tt := range []struct {
		in, want, err string
	}{
		{"Ops Lead", "Ops Lead", ""},
		{"  root@desk-1 ", "root@desk-1", ""},
		{"Zoë (os user zoe@host)", "Zoë (os user zoe@host)", ""},
		{strings.Repeat("x", 200), strings.Repeat("x", 200), ""},
		{"", "", "say who issues"},
		{" \t\n", "", "say who issues"},
		{strings.Repeat("x", 201), "", "longer than 200"},
		{"Ops\nLead", "", "control or invalid"},
		{"Ops\x1b[31mLead", "", "control or invalid"},
		{"Ops\u202eLead", "", "control or invalid"},
		{"Ops\xffLead", "", "control or invalid"},
	} {
		got, err := ParseIssuer(tt.in)
		if tt.err == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseIssuer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("ParseIssuer(%q) = %q, %v; want invalid with %q", tt.in, got, err, tt.err)
		}
	}
}

func FuzzParseIssuer(f *testing.F) {
	for _, s := range []string{"Ops Lead", "", " ", "a\x00b", "Ops\u202eLead", strings.Repeat("é", 150), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseIssuer(in)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("ParseIssuer(%q): %v is not invalid", in, err)
			}
			return
		}
		if got == "" || len(got) > 200 || !utf8.ValidString(got) || got != strings.TrimSpace(got) {
			t.Fatalf("ParseIssuer(%q) = %q", in, got)
		}
		for _, r := range got {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("ParseIssuer(%q) kept control character %U", in, r)
			}
		}
		if again, err := ParseIssuer(got); err != nil || again != got {
			t.Fatalf("ParseIssuer is not idempotent on %q: %q, %v", got, again, err)
		}
	})
}
