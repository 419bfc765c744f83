package mall

import (
	"bytes"
	"encoding/xml"
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
	if !strings.Contains(text, "SP") {
		t.Errorf("initials SP missing; text: %q", text)
	}
}

func TestProductSVGIsDeterministicAndVaried(t *testing.T) {
	phone := Product{SKU: "LU-PHONE-X2", Name: "Lumen X2 Smartphone", Department: "Phones"}
	if a, b := ProductSVG("#1f4fd1", phone), ProductSVG("#1f4fd1", phone); !bytes.Equal(a, b) {
		t.Error("the same product gave two different images")
	}
	other := phone
	other.Department = "Audio"
	if bytes.Equal(ProductSVG("#1f4fd1", phone), ProductSVG("#1f4fd1", other)) {
		t.Error("two departments gave the same image")
	}
	if !bytes.Contains(ProductSVG("#1f4fd1", phone), []byte(`stop-color="#1f4fd1"`)) {
		t.Error("the brand colour is not used")
	}
	if !bytes.Contains(ProductSVG("not a colour", phone), []byte(fallbackColor)) {
		t.Error("a malformed brand colour did not fall back")
	}
	if !bytes.Contains(ProductSVG("#f2b705", phone), []byte(`fill="#1b1b1f"`)) {
		t.Error("a light brand colour does not get dark ink")
	}
}

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"Barolo DOCG 2018":              "BD",
		"salt & pepper":                 "SP",
		"65 W GaN USB-C Charger":        "6W",
		"Éclair":                        "É",
		"Château d'Yquem":               "CD",
		"  ":                            "?",
		"<>&":                           "?",
		"Merino Hiking Socks (3 pairs)": "MH",
	} {
		if got := initials(name); got != want {
			t.Errorf("initials(%q) = %q, want %q", name, got, want)
		}
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
