package mall

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/web"
)

// newTestApp serves the catalog API of db the way the server mounts it.
func newTestApp(db *gorm.DB) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler})
	api := app.Group("/api/v1")
	NewStorefront(NewCatalog(db), nil, nil, nil).Routes(api)
	return app
}

// send sends a request to app and returns the response and its body.
func send(t *testing.T, app *fiber.App, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp, string(body)
}

func TestCatalogAPI(t *testing.T) {
	db := seededDB(t)
	// A retired product must vanish from the storefront.
	if err := db.Model(&Product{}).Where("sku = ?", "LU-SPEAKER-S").Update("retired_at", time.Now()).Error; err != nil {
		t.Fatalf("retire product: %v", err)
	}
	app := newTestApp(db)
	long := strings.Repeat("a", 65)

	scenarios := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   []string
		notInBody  []string
	}{
		{"list stores", "GET", "/api/v1/stores", 200, []string{
			`{"stores":[{"slug":"north-peak-outfitters","name":"North Peak Outfitters","brandColor":"#2f6b3a","tagline":"Gear for the long way up","building":{"floors":6,"width":2,"roof":"spire"},"productCount":10,"agentsOnline":0,"shoppersInside":0,"visitors":[]}`,
			`"slug":"lumen-electronics"`, `"productCount":9`, // the retired speaker is not counted
		}, nil},
		{"show store", "GET", "/api/v1/stores/vinoteca-rossi", 200, []string{
			`{"store":{"slug":"vinoteca-rossi","name":"Vinoteca Rossi","brandColor":"#7b1e3a"`,
			`"departments":[{"name":"Accessories","products":[`,
			`"sku":"VR-BAROLO-18","name":"Barolo DOCG 2018","description":"Nebbiolo from La Morra: roses, tar and cherries, firm tannins. Drink to 2035.","priceMinor":4900,"currency":"EUR","imageUrl":"/api/v1/stores/vinoteca-rossi/products/VR-BAROLO-18/image.svg","department":"Red Wine","ageLimit":18,"stock":24}`,
			`"sku":"VR-GRAPPA-BAR"`, `"ageLimit":21`,
		}, []string{`"addOns"`}},
		{"show store leaves out retired products", "GET", "/api/v1/stores/lumen-electronics", 200,
			[]string{`"sku":"LU-PHONE-X2"`, `"productCount":9`}, []string{"LU-SPEAKER-S"}},
		{"show unknown store", "GET", "/api/v1/stores/nowhere", 404,
			[]string{`{"error":{"code":"not_found","message":"no store \"nowhere\""}}`}, nil},
		{"show store with upper-case slug", "GET", "/api/v1/stores/Vinoteca-Rossi", 400,
			[]string{`"code":"invalid"`, `store slug \"Vinoteca-Rossi\" has 'V' at position 1: use only lower-case letters, digits and dashes`}, nil},
		{"show store with escaped slug", "GET", "/api/v1/stores/vino%20teca", 400,
			[]string{`"code":"invalid"`, `has '%' at position 5`}, nil},
		{"show store with overlong slug", "GET", "/api/v1/stores/" + long, 400,
			[]string{`"code":"invalid"`, `is too long: use at most 64`}, nil},
		{"show product", "GET", "/api/v1/stores/lumen-electronics/products/LU-PHONE-X2", 200, []string{
			`"store":{"slug":"lumen-electronics"`, `"productCount":9`,
			`"sku":"LU-PHONE-X2","name":"Lumen X2 Smartphone 256 GB"`,
			`"addOns":[{"kind":"accessory","reason":"The phone ships without a charger; this one fast-charges it.","product":{"id":`,
			`{"kind":"warranty","reason":"Covers a cracked screen or a dropped phone for two years.","product":{"id":`,
			`{"kind":"bundle","reason":"Pairs instantly with the X2 and switches between devices.","product":{"id":`,
			`"sku":"LU-CHARGER-65"`, `"sku":"LU-CARE-2Y"`, `"sku":"LU-BUDS-PRO"`,
		}, nil},
		{"show product without add-ons", "GET", "/api/v1/stores/lumen-electronics/products/LU-CHARGER-65", 200,
			[]string{`"sku":"LU-CHARGER-65"`, `"addOns":[]`}, nil},
		{"show product hides retired add-ons", "GET", "/api/v1/stores/lumen-electronics/products/LU-BUDS-PRO", 200,
			[]string{`"addOns":[{"kind":"warranty"`}, []string{"LU-SPEAKER-S"}},
		{"show retired product", "GET", "/api/v1/stores/lumen-electronics/products/LU-SPEAKER-S", 404,
			[]string{`{"error":{"code":"not_found","message":"product \"LU-SPEAKER-S\" of store \"lumen-electronics\" is no longer sold"}}`}, nil},
		{"show unknown product", "GET", "/api/v1/stores/lumen-electronics/products/NOPE-1", 404,
			[]string{`{"error":{"code":"not_found","message":"no product \"NOPE-1\" in store \"lumen-electronics\""}}`}, nil},
		{"show product of another store", "GET", "/api/v1/stores/lumen-electronics/products/VR-BAROLO-18", 404,
			[]string{`"message":"no product \"VR-BAROLO-18\" in store \"lumen-electronics\""`}, nil},
		{"show product of unknown store", "GET", "/api/v1/stores/nowhere/products/LU-PHONE-X2", 404,
			[]string{`"message":"no store \"nowhere\""`}, nil},
		{"show product with malformed SKU", "GET", "/api/v1/stores/lumen-electronics/products/LU_PHONE", 400,
			[]string{`"code":"invalid"`, `product SKU \"LU_PHONE\" has '_' at position 3: use only letters, digits and dashes`}, nil},
		{"show product with overlong SKU", "GET", "/api/v1/stores/lumen-electronics/products/" + long, 400,
			[]string{`product SKU`, `is too long`}, nil},
		{"show product with malformed slug", "GET", "/api/v1/stores/Lumen/products/LU-PHONE-X2", 400,
			[]string{`store slug \"Lumen\" has 'L'`}, nil},
		{"product image", "GET", "/api/v1/stores/casa-cucina/products/CC-SALT-PEPPER/image.svg", 200,
			[]string{`<svg xmlns="http://www.w3.org/2000/svg"`, `Salt &amp; Pepper Mill Set`}, nil},
		{"image of retired product", "GET", "/api/v1/stores/lumen-electronics/products/LU-SPEAKER-S/image.svg", 404,
			[]string{`"code":"not_found"`, `is no longer sold`}, nil},
		{"image of unknown product", "GET", "/api/v1/stores/casa-cucina/products/NOPE/image.svg", 404,
			[]string{`"message":"no product \"NOPE\" in store \"casa-cucina\""`}, nil},
		{"image of unknown store", "GET", "/api/v1/stores/nowhere/products/CC-SALT-PEPPER/image.svg", 404,
			[]string{`"message":"no store \"nowhere\""`}, nil},
		{"image with malformed SKU", "GET", "/api/v1/stores/casa-cucina/products/CC.SALT/image.svg", 400,
			[]string{`product SKU \"CC.SALT\" has '.' at position 3`}, nil},
		{"image with malformed slug", "GET", "/api/v1/stores/casa_cucina/products/CC-SALT-PEPPER/image.svg", 400,
			[]string{`store slug \"casa_cucina\" has '_' at position 5`}, nil},
		{"writes are not routed", "POST", "/api/v1/stores", 405, []string{`"code":"invalid"`}, nil},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			resp, body := send(t, app, sc.method, sc.path, nil)
			if resp.StatusCode != sc.wantStatus {
				t.Errorf("status = %d, want %d; body: %s", resp.StatusCode, sc.wantStatus, body)
			}
			for _, want := range sc.wantBody {
				if !strings.Contains(body, want) {
					t.Errorf("body lacks %s\nbody: %s", want, body)
				}
			}
			for _, unwanted := range sc.notInBody {
				if strings.Contains(body, unwanted) {
					t.Errorf("body holds %s\nbody: %s", unwanted, body)
				}
			}
		})
	}
}

func TestCatalogAPIShapes(t *testing.T) {
	app := newTestApp(seededDB(t))

	_, body := send(t, app, "GET", "/api/v1/stores", nil)
	var list struct{ Stores []StoreView }
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatalf("decode store list: %v", err)
	}
	if len(list.Stores) != len(demoStores()) {
		t.Fatalf("listed %d stores, want %d", len(list.Stores), len(demoStores()))
	}
	for i, s := range list.Stores {
		if want := demoStores()[i].store.Slug; s.Slug != want {
			t.Errorf("store %d is %s, want %s (skyline order)", i, s.Slug, want)
		}
		_, body := send(t, app, "GET", "/api/v1/stores/"+s.Slug, nil)
		var detail struct {
			Store       StoreView
			Departments []DepartmentView
		}
		if err := json.Unmarshal([]byte(body), &detail); err != nil {
			t.Fatalf("decode store %s: %v", s.Slug, err)
		}
		if !reflect.DeepEqual(detail.Store, s) {
			t.Errorf("store %s: detail shows %+v, list shows %+v", s.Slug, detail.Store, s)
		}
		n := 0
		for i, d := range detail.Departments {
			if i > 0 && detail.Departments[i-1].Name >= d.Name {
				t.Errorf("store %s: departments out of order: %q before %q", s.Slug, detail.Departments[i-1].Name, d.Name)
			}
			for _, p := range d.Products {
				n++
				if p.Department != d.Name || p.Currency != "EUR" || p.ImageURL != ProductImageURL(s.Slug, p.SKU) {
					t.Errorf("store %s: product %+v is inconsistent", s.Slug, p)
				}
				if p.AgeLimit != 0 && p.AgeLimit != 18 && p.AgeLimit != 21 {
					t.Errorf("store %s: product %s has age limit %d", s.Slug, p.SKU, p.AgeLimit)
				}
			}
		}
		if n != s.ProductCount {
			t.Errorf("store %s lists %d products, counts %d", s.Slug, n, s.ProductCount)
		}
	}
}
