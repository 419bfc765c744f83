package mall

import (
	"regexp"
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/apperr"
)

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	skuPattern  = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

func TestParseSlugAndSKU(t *testing.T) {
	cases := []struct {
		input           string
		slugOK, skuOK   bool
		wantMessagePart string // in the slug error, when the slug is refused
	}{
		{"vinoteca-rossi", true, true, ""},
		{"a", true, true, ""},
		{strings.Repeat("9", 64), true, true, ""},
		{"LU-PHONE-X2", false, true, `has 'L' at position 1`},
		{"", false, false, "store slug is empty"},
		{strings.Repeat("a", 65), false, false, "is too long"},
		{"vino teca", false, false, `has ' ' at position 5`},
		{"caf\u00e9", false, false, `has 'é' at position 4`},
		{"a/b", false, false, `has '/'`},
		{"a%2Fb", false, false, `has '%'`},
		{"..", false, false, `has '.'`},
		{"x\x00", false, false, `has '\x00'`},
	}
	for _, tc := range cases {
		slug, err := ParseSlug(tc.input)
		if (err == nil) != tc.slugOK {
			t.Errorf("ParseSlug(%q) error = %v, want ok=%v", tc.input, err, tc.slugOK)
		}
		if err == nil && slug != tc.input {
			t.Errorf("ParseSlug(%q) = %q", tc.input, slug)
		}
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Errorf("ParseSlug(%q) error code = %s, want invalid", tc.input, apperr.Code(err))
			}
			if !strings.Contains(apperr.Message(err), tc.wantMessagePart) {
				t.Errorf("ParseSlug(%q) message %q lacks %q", tc.input, apperr.Message(err), tc.wantMessagePart)
			}
		}
		if _, err := ParseSKU(tc.input); (err == nil) != tc.skuOK {
			t.Errorf("ParseSKU(%q) error = %v, want ok=%v", tc.input, err, tc.skuOK)
		}
	}
}

// FuzzParseSlugAndSKU checks the path parsers against the patterns they
// promise, and that a refusal is always an invalid-input error with a short,
// valid-UTF-8-safe message.
func FuzzParseSlugAndSKU(f *testing.F) {
	for _, s := range []string{
		"vinoteca-rossi", "LU-PHONE-X2", "", "-", "a_b", "caf\u00e9", "%2e%2e", "../etc",
		strings.Repeat("z", 64), strings.Repeat("z", 65), strings.Repeat("é", 40), "\xff\xfe", "a\nb",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slug, err := ParseSlug(s)
		if ok := slugPattern.MatchString(s); ok != (err == nil) {
			t.Fatalf("ParseSlug(%q): err = %v, pattern match = %v", s, err, ok)
		}
		checkParse(t, "ParseSlug", s, slug, err)

		sku, err := ParseSKU(s)
		if ok := skuPattern.MatchString(s); ok != (err == nil) {
			t.Fatalf("ParseSKU(%q): err = %v, pattern match = %v", s, err, ok)
		}
		checkParse(t, "ParseSKU", s, sku, err)
	})
}

func checkParse(t *testing.T, fn, input, got string, err error) {
	t.Helper()
	if err == nil {
		if got != input {
			t.Fatalf("%s(%q) = %q", fn, input, got)
		}
		return
	}
	if !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("%s(%q): code %s, want invalid", fn, input, apperr.Code(err))
	}
	if n := len(apperr.Message(err)); n > 400 {
		t.Fatalf("%s(%q): message is %d bytes long", fn, input, n)
	}
}

// FuzzProductSVG checks that any product name, department, SKU and colour
// gives well-formed XML that carries the name as text.
func FuzzProductSVG(f *testing.F) {
	f.Add("Salt & Pepper Mill Set", "Tableware", "CC-SALT-PEPPER", "#e0782b")
	f.Add(`<script>alert("x")</script>`, "]]>", "X", "#000000")
	f.Add("\x00\x01\ufffe", "\xff", "", "#zzzzzz")
	f.Add("Château 🍷 2015", "Red Wine", "VR-1", "")
	f.Fuzz(func(t *testing.T, name, department, sku, color string) {
		svg := ProductSVG(color, Product{Name: name, Department: department, SKU: sku})
		parseSVG(t, svg)
	})
}
