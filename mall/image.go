package mall

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
)

// fallbackColor paints products of a store whose brand colour is unusable.
const fallbackColor = "#6b7280"

// imageSize is the width and height of a product image in SVG units.
const imageSize = 320

// ProductSVG draws a product's picture: the product itself, drawn by code
// for its kind (see product_art.go), standing on a soft backdrop tinted
// with the store's brand colour, with its shadow. The same product always
// gives the same bytes, and the name (in the title and label, for screen
// readers) is escaped, so the result is well-formed XML whatever it holds.
func ProductSVG(brandColor string, p Product) []byte {
	r, g, b, ok := parseHexColor(brandColor)
	if !ok {
		r, g, b, _ = parseHexColor(fallbackColor)
	}
	brand := rgb{r, g, b}
	accent := productPalette[hashOf(p.SKU)%uint32(len(productPalette))]
	var w bytes.Buffer
	fmt.Fprintf(&w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="`,
		imageSize, imageSize, imageSize, imageSize)
	escape(&w, p.Name)
	w.WriteString(`"><title>`)
	escape(&w, p.Name)
	w.WriteString("</title>")
	// A studio backdrop: near white at the top, the brand's tint toward the
	// floor, and a soft floor shadow under the product.
	fmt.Fprintf(&w, `<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1">`+
		`<stop offset="0" stop-color="%s"/><stop offset="1" stop-color="%s"/></linearGradient>`+
		`<radialGradient id="shadow"><stop offset="0" stop-color="#000" stop-opacity=".28"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient></defs>`,
		brand.lighter(0.93).hex(), brand.lighter(0.72).hex())
	fmt.Fprintf(&w, `<rect width="%d" height="%d" rx="24" fill="url(#bg)"/>`, imageSize, imageSize)
	fmt.Fprintf(&w, `<rect x="48" y="282" width="224" height="3" rx="1.5" fill="%s" fill-opacity=".3"/>`, brand.hex())
	w.WriteString(`<ellipse cx="160" cy="266" rx="112" ry="14" fill="url(#shadow)"/>`)
	artFor(p)(&w, brand, accent)
	w.WriteString("</svg>\n")
	return w.Bytes()
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

// hashOf is a stable 32-bit hash for picking shapes and tilts.
func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
