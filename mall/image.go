package mall

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// fallbackColor paints products of a store whose brand colour is unusable.
const fallbackColor = "#6b7280"

// imageSize is the width and height of a product image in SVG units.
const imageSize = 320

// ProductSVG draws a product's image: a tile in the store's brand colour
// with a shape chosen by the product's department, the initials of its
// name and the name itself. The same product always gives the same bytes,
// and every text is escaped, so the result is well-formed XML whatever the
// name holds.
func ProductSVG(brandColor string, p Product) []byte {
	r, g, b, ok := parseHexColor(brandColor)
	if !ok {
		r, g, b, _ = parseHexColor(fallbackColor)
	}
	// Ink is white or near-black, whichever contrasts more with the brand
	// colour (WCAG contrast ratios cross at a luminance of about 0.18); the
	// name band behind the product name is a veil of the opposite tone.
	ink, veil := "#ffffff", "#000000"
	if luminance(r, g, b) > 0.18 {
		ink, veil = "#1b1b1f", "#ffffff"
	}
	var w bytes.Buffer
	fmt.Fprintf(&w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="`,
		imageSize, imageSize, imageSize, imageSize)
	escape(&w, p.Name)
	w.WriteString(`"><title>`)
	escape(&w, p.Name)
	w.WriteString("</title>")
	fmt.Fprintf(&w, `<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1">`+
		`<stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient></defs>`,
		hexColor(mix(r, 255, 0.35), mix(g, 255, 0.35), mix(b, 255, 0.35)), hexColor(r, g, b))
	fmt.Fprintf(&w, `<rect width="%d" height="%d" rx="24" fill="url(#bg)"/>`, imageSize, imageSize)

	// The shape says the department; a tilt taken from the SKU tells apart
	// products of one department.
	tilt := int(hashOf(p.SKU)%31) - 15
	fmt.Fprintf(&w, `<g transform="rotate(%d 160 136)" fill="%s" opacity="0.22">%s</g>`,
		tilt, ink, departmentShape(p.Department, ink, 160, 136, 92))

	fmt.Fprintf(&w, `<text x="160" y="136" text-anchor="middle" dominant-baseline="central" `+
		`font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="88" font-weight="700" fill="%s">`, ink)
	escape(&w, initials(p.Name))
	w.WriteString("</text>")

	// The band follows the tile's rounded bottom corners.
	fmt.Fprintf(&w, `<path d="M0 252H320V296A24 24 0 0 1 296 320H24A24 24 0 0 1 0 296Z" fill="%s" fill-opacity="0.25"/>`, veil)
	fmt.Fprintf(&w, `<text x="160" y="292" text-anchor="middle" `+
		`font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="18" font-weight="600" fill="%s">`, ink)
	escape(&w, truncateRunes(p.Name, 25))
	w.WriteString("</text></svg>\n")
	return w.Bytes()
}

// departmentShape returns the SVG element for a department: one of a few
// simple shapes, centred on (cx, cy) within radius r, picked by a hash of
// the department's name so that it never changes. Outlines are drawn in ink.
func departmentShape(department, ink string, cx, cy, r float64) string {
	switch hashOf(strings.ToLower(department)) % 7 {
	case 0:
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="%.1f"/>`, cx, cy, r)
	case 1:
		return fmt.Sprintf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="%.1f"/>`, cx-r*0.8, cy-r*0.8, r*1.6, r*1.6, r*0.25)
	case 2:
		return polygon(cx, cy, r, r, 3)
	case 3:
		return polygon(cx, cy, r, r, 6)
	case 4:
		return polygon(cx, cy, r, r, 4)
	case 5:
		return polygon(cx, cy, r, r*0.45, 5)
	default:
		return fmt.Sprintf(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="none" stroke="%s" stroke-width="%.1f"/>`,
			cx, cy, r*0.8, ink, r*0.3)
	}
}

// polygon returns a regular polygon with n corners on radius outer, or a
// star with n points when inner differs from outer.
func polygon(cx, cy, outer, inner float64, n int) string {
	var pts strings.Builder
	steps := n
	if inner != outer {
		steps = 2 * n
	}
	for i := range steps {
		rad := outer
		if inner != outer && i%2 == 1 {
			rad = inner
		}
		a := -math.Pi/2 + 2*math.Pi*float64(i)/float64(steps)
		if i > 0 {
			pts.WriteByte(' ')
		}
		fmt.Fprintf(&pts, "%.1f,%.1f", cx+rad*math.Cos(a), cy+rad*math.Sin(a))
	}
	return `<polygon points="` + pts.String() + `"/>`
}

// initials returns the upper-cased first letter or digit of the first two
// words of name, or "?" when it has none.
func initials(name string) string {
	var out []rune
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		r, _ := utf8.DecodeRuneInString(word)
		out = append(out, unicode.ToUpper(r))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// truncateRunes cuts s to at most n runes, ending with an ellipsis when cut.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n-1])) + "…"
}

// escape writes s as XML character data, safe in text and in attribute
// values; characters XML cannot hold become U+FFFD.
func escape(w *bytes.Buffer, s string) {
	_ = xml.EscapeText(w, []byte(s)) // a bytes.Buffer never fails
}

// parseHexColor reads "#rrggbb".
func parseHexColor(s string) (r, g, b uint8, ok bool) {
	if len(s) != 7 || s[0] != '#' {
		return 0, 0, 0, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return uint8(v >> 16), uint8(v >> 8), uint8(v), true
}

func hexColor(r, g, b uint8) string { return fmt.Sprintf("#%02x%02x%02x", r, g, b) }

// mix moves channel c towards target by the fraction t.
func mix(c, target uint8, t float64) uint8 {
	return uint8(math.Round(float64(c) + (float64(target)-float64(c))*t))
}

// luminance is the relative luminance of an sRGB colour, 0 (black) to 1.
func luminance(r, g, b uint8) float64 {
	lin := func(c uint8) float64 {
		v := float64(c) / 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// hashOf is a stable 32-bit hash for picking shapes and tilts.
func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
