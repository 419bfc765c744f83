package mall_test

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

func TestSupervisorsEditTheirOwnCatalog(t *testing.T) {
	a := apptest.New(t)
	sup := apptest.SignedInAs(t, a, auth.RoleSupervisor, "casa-cucina")
	agent := apptest.SignedInAs(t, a, auth.RoleAgent, "casa-cucina")
	member := apptest.SignedInAs(t, a, auth.RoleMember, "x")
	other := apptest.SignedInAs(t, a, auth.RoleSupervisor, "lumen-electronics")
	newProduct := `{"sku":"CC-TEST-1","name":"Test Pan","description":"A pan","department":"Cookware","priceMinor":2599,"stock":5,"ageLimit":0}`

	for who, c := range map[string]*apptest.Client{"agent": agent, "member": member} {
		if r := c.Do("POST", "/api/v1/desk/catalog/products", newProduct); r.Status != 403 {
			t.Fatalf("%s creating a product: %d %s", who, r.Status, r.Body)
		}
	}
	apptest.NewClient(t, a).Must(401, "POST", "/api/v1/desk/catalog/products", newProduct)

	sup.Must(201, "POST", "/api/v1/desk/catalog/products", newProduct)
	if r := sup.Must(200, "GET", "/api/v1/stores/casa-cucina", nil); !strings.Contains(r.Body, "Test Pan") {
		t.Fatal("the new product is not in the store")
	}
	for _, tt := range []struct {
		method, path, body string
		want               int
		message            string
	}{
		{"POST", "/api/v1/desk/catalog/products", newProduct, 409, "already"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"X-1","name":"","department":"D","priceMinor":1,"stock":1}`, 400, "name must be"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"X-1","name":"N","department":"D","priceMinor":-1,"stock":1}`, 400, "priceMinor"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"X-1","name":"N","department":"D","priceMinor":1,"stock":1,"ageLimit":16}`, 400, "0, 18 or 21"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"bad sku","name":"N","department":"D","priceMinor":1,"stock":1}`, 400, "SKU"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"X-1","name":"N","priceMinor":1,"stock":1}`, 400, "department"},
		{"POST", "/api/v1/desk/catalog/products", `{"sku":"X-1","name":"N","department":"D","priceMinor":1,"stock":1,"storeId":9}`, 400, "unknown field"},
		{"PATCH", "/api/v1/desk/catalog/products/CC-TEST-1", `{"sku":"CC-OTHER"}`, 400, "cannot change"},
		{"PATCH", "/api/v1/desk/catalog/products/NOPE-1", `{"stock":1}`, 404, "no product"},
		{"PUT", "/api/v1/desk/catalog/products/CC-TEST-1/addons", `{"addOns":[{"sku":"CC-TEST-1","kind":"accessory","reason":"r"}]}`, 400, "its own add-on"},
		{"PUT", "/api/v1/desk/catalog/products/CC-TEST-1/addons", `{"addOns":[{"sku":"CC-TEST-1","kind":"gift","reason":"r"}]}`, 400, "accessory, warranty or bundle"},
	} {
		r := sup.Do(tt.method, tt.path, tt.body)
		if r.Status != tt.want || !strings.Contains(r.Body, tt.message) {
			t.Fatalf("%s %s %s: %d %s, want %d with %q", tt.method, tt.path, tt.body, r.Status, r.Body, tt.want, tt.message)
		}
	}
	r := sup.Must(200, "PATCH", "/api/v1/desk/catalog/products/CC-TEST-1", `{"priceMinor":1999,"stock":9}`)
	if !strings.Contains(r.Body, `"priceMinor":1999`) || !strings.Contains(r.Body, `"stock":9`) {
		t.Fatalf("edit: %s", r.Body)
	}
	addon := apptest.ProductOf(t, a, "casa-cucina", false)
	r = sup.Must(200, "PUT", "/api/v1/desk/catalog/products/CC-TEST-1/addons", `{"addOns":[{"sku":"`+addon+`","kind":"accessory","reason":"Cook with both"}]}`)
	if !strings.Contains(r.Body, "Cook with both") {
		t.Fatalf("add-ons: %s", r.Body)
	}
	// Another store's supervisor cannot touch this store's products.
	other.Must(404, "PATCH", "/api/v1/desk/catalog/products/CC-TEST-1", `{"stock":0}`)
	sup.Must(200, "POST", "/api/v1/desk/catalog/products/CC-TEST-1/retire", "{}")
	if r := sup.Must(200, "GET", "/api/v1/stores/casa-cucina", nil); strings.Contains(r.Body, "Test Pan") {
		t.Fatal("a retired product is still on the shelves")
	}
}
