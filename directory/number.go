package directory

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/livemall/livemall/backend/apperr"
)

// Number is a permanent communication number: exactly 12 digits, the first
// one 2–9. Its zero value is no number.
type Number string

// ParseNumber reads a number typed by a person: spaces, dashes and dots
// between digits are ignored. Anything else is refused with an Invalid error
// that names the rule that was broken.
func ParseNumber(s string) (Number, error) {
	var b strings.Builder
	pos := 0
	for _, r := range strings.TrimSpace(s) {
		pos++
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.':
		default:
			return "", apperr.New(apperr.Invalid, "a number has only digits (spaces, dashes and dots are allowed between them); %q at position %d is not a digit", r, pos)
		}
	}
	d := b.String()
	switch {
	case d == "":
		return "", apperr.New(apperr.Invalid, "a number is required: 12 digits like 2000 0000 0001")
	case len(d) != 12:
		return "", apperr.New(apperr.Invalid, "a number has 12 digits; this has %d", len(d))
	case d[0] < '2':
		return "", apperr.New(apperr.Invalid, "a number starts with a digit from 2 to 9, not %c", d[0])
	}
	return Number(d), nil
}

// String returns the number grouped 4-4-4, as it is always shown.
func (n Number) String() string {
	if len(n) != 12 {
		return string(n)
	}
	return string(n[:4]) + " " + string(n[4:8]) + " " + string(n[8:])
}

// Value returns the number as an integer, for arithmetic on the sequence.
func (n Number) Value() int64 {
	v, _ := strconv.ParseInt(string(n), 10, 64)
	return v
}

// Lowest and Highest bound the number space.
const (
	Lowest  int64 = 200000000000
	Highest int64 = 999999999999
)

// NumberFromValue returns the number with the given value, or an error when
// it lies outside the number space.
func NumberFromValue(v int64) (Number, error) {
	if v < Lowest || v > Highest {
		return "", fmt.Errorf("number %d is outside %d–%d", v, Lowest, Highest)
	}
	return Number(strconv.FormatInt(v, 10)), nil
}
