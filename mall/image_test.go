package mall

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// parseSVG checks that svg is well-formed XML with an <svg> root and
// returns its character data, unescaped.
func parseSVG(t testing.TB, svg []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
				if tok.Name.Space != "http://www.w3.org/2000/svg" {
					t.Fatalf("root namespace = %q, want SVG", tok.Name.Space)
				}
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	if root != "svg" {
		t.Fatalf("root element = %q, want svg", root)
	}
	return text.String()
}

func TestProductSVGEscapesNames(t *testing.T) {
	nasty := `Salt & "Pepper" <script>alert('x')</script>`
	p := Product{SKU: "X-1", Name: nasty, Department: "Tableware"}
	svg := ProductSVG("#e0782b", p)

	text := parseSVG(t, svg)
	if !strings.Contains(text, nasty) {
		t.Errorf("the title does not carry the name as text; text: %q", text)
	}
	if bytes.Contains(svg, []byte("<script")) {
		t.Errorf("the name's markup reached the SVG unescaped:\n%s", svg)
	}
	if !bytes.Contains(svg, []byte(`aria-label="Salt &amp; &#34;Pepper&#34; &lt;script&gt;`)) {
		t.Errorf("the aria-label is not escaped:\n%s", svg)
	}
}

func TestProductSVGIsDeterministicAndVaried(t *testing.T) {
	phone := Product{SKU: "LU-PHONE-X2", Name: "Lumen X2 Smartphone", Department: "Phones"}
	if a, b := ProductSVG("#1f4fd1", phone), ProductSVG("#1f4fd1", phone); !bytes.Equal(a, b) {
		t.Error("the same product gave two different images")
	}
	if !bytes.Contains(ProductSVG("#1f4fd1", phone), []byte(`fill="#1f4fd1"`)) {
		t.Error("the brand colour is not used")
	}
	if !bytes.Contains(ProductSVG("not a colour", phone), []byte(fallbackColor)) {
		t.Error("a malformed brand colour did not fall back")
	}
}

// TestProductPicturesDrawEachKind: every product of the demo mall gets a
// drawing of its own kind (not the shopping bag kept for unknown kinds),
// the kinds differ across a store's shelf, and all pictures are small.
func TestProductPicturesDrawEachKind(t *testing.T) {
	bag := fmt.Sprintf("%p", artist(drawBag))
	kinds := map[string]string{}
	for _, s := range demoStores() {
		for _, p := range s.products {
			if got := fmt.Sprintf("%p", artFor(p)); got == bag {
				t.Errorf("%s %q has no drawing of its kind", p.SKU, p.Name)
			} else {
				kinds[p.SKU] = got
			}
			svg := ProductSVG(s.store.BrandColor, p)
			parseSVG(t, svg)
			if len(svg) > 6000 {
				t.Errorf("%s: picture is %d bytes, want a small drawing", p.SKU, len(svg))
			}
		}
	}
	distinct := map[string]bool{}
	for _, k := range kinds {
		distinct[k] = true
	}
	if len(kinds) < 60 || len(distinct) < 35 {
		t.Errorf("%d products in %d kinds of drawing; want the demo's 60+ products in 35+ kinds", len(kinds), len(distinct))
	}
	if fmt.Sprintf("%p", artFor(Product{Name: "Mystery Object", SKU: "ZZ-1", Department: "Misc"})) != bag {
		t.Error("an unknown kind of product is not given the shopping bag")
	}
}

func TestProductImageEndpoint(t *testing.T) {
	app := newTestApp(seededDB(t))
	path := "/api/v1/stores/casa-cucina/products/CC-SALT-PEPPER/image.svg"

	resp, body := send(t, app, "GET", path, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d; body: %s", resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("Content-Type = %q, want image/svg+xml", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=") {
		t.Errorf("Cache-Control = %q, want a max-age", cc)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q, want scripts forbidden", csp)
	}
	if text := parseSVG(t, []byte(body)); !strings.Contains(text, "Salt & Pepper Mill Set") {
		t.Errorf("text %q lacks the product name", text)
	}

	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body = send(t, app, "GET", path, http.Header{"If-None-Match": {etag}})
	if resp.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("revalidation: status = %d, body %q; want 304 and no body", resp.StatusCode, body)
	}
}
