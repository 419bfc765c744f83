package mall

import (
	"strings"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
)

// maxNameLen bounds slugs and SKUs; longer input is refused before it
// reaches the database.
const maxNameLen = 64

// ParseSlug checks a store slug taken from outside input: 1 to 64 lower-case
// ASCII letters, digits and dashes. It returns a copy of s (safe to keep
// after a Fiber handler returns) or an apperr.Invalid error saying what is
// wrong.
func ParseSlug(s string) (string, error) {
	if err := checkName("store slug", s, "lower-case letters, digits and dashes", isSlugByte); err != nil {
		return "", err
	}
	return strings.Clone(s), nil
}

// ParseSKU checks a product SKU taken from outside input: 1 to 64 ASCII
// letters, digits and dashes. It returns a copy of s or an apperr.Invalid
// error saying what is wrong.
func ParseSKU(s string) (string, error) {
	if err := checkName("product SKU", s, "letters, digits and dashes", isSKUByte); err != nil {
		return "", err
	}
	return strings.Clone(s), nil
}

// checkName refuses an empty or overlong s, or one with a byte outside
// allowed, naming the first offending character.
func checkName(what, s, allowedWords string, allowed func(byte) bool) error {
	switch {
	case s == "":
		return apperr.New(apperr.Invalid, "%s is empty: use 1 to %d %s", what, maxNameLen, allowedWords)
	case len(s) > maxNameLen:
		return apperr.New(apperr.Invalid, "%s %q is too long: use at most %d %s", what, shorten(s), maxNameLen, allowedWords)
	}
	for i := 0; i < len(s); i++ {
		if !allowed(s[i]) {
			r, _ := utf8.DecodeRuneInString(s[i:])
			return apperr.New(apperr.Invalid, "%s %q has %q at position %d: use only %s", what, s, r, i+1, allowedWords)
		}
	}
	return nil
}

// shorten cuts overlong input so that error messages stay readable.
func shorten(s string) string {
	if len(s) <= maxNameLen {
		return s
	}
	cut := maxNameLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isSlugByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-'
}

func isSKUByte(b byte) bool {
	return isSlugByte(b) || b >= 'A' && b <= 'Z'
}
