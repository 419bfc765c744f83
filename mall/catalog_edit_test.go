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

	actors := apptest.Actors{"supervisor": sup, "agent": agent, "member": member}
	const products = "/api/v1/desk/catalog/products"
	// Only a supervisor creates products.
	apptest.RunScenarios(t, a, actors, []apptest.Scenario{
		{Name: "agent creating a product", Who: "agent", Method: "POST", Path: products, Body: newProduct, Status: 403},
		{Name: "member creating a product", Who: "member", Method: "POST", Path: products, Body: newProduct, Status: 403},
		{Name: "signed out creating a product", Method: "POST", Path: products, Body: newProduct, Status: 401},
	})

	sup.Must(201, "POST", "/api/v1/desk/catalog/products", newProduct)
	if r := sup.Must(200, "GET", "/api/v1/stores/casa-cucina", nil); !strings.Contains(r.Body, "Test Pan") {
		t.Fatal("the new product is not in the store")
	}
	apptest.RunScenarios(t, a, actors, []apptest.Scenario{
		{Name: "a SKU already in the catalog", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: newProduct, Status: 409, Text: "already"},
		{Name: "blank name", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"X-1","name":"","department":"D","priceMinor":1,"stock":1}`, Status: 400, Text: "name must be"},
		{Name: "negative price", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"X-1","name":"N","department":"D","priceMinor":-1,"stock":1}`, Status: 400, Text: "priceMinor"},
		{Name: "age limit 16", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"X-1","name":"N","department":"D","priceMinor":1,"stock":1,"ageLimit":16}`, Status: 400, Text: "0, 18 or 21"},
		{Name: "SKU with a space", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"bad sku","name":"N","department":"D","priceMinor":1,"stock":1}`, Status: 400, Text: "SKU"},
		{Name: "no department", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"X-1","name":"N","priceMinor":1,"stock":1}`, Status: 400, Text: "department"},
		{Name: "the client names the store", Who: "supervisor", Method: "POST", Path: "/api/v1/desk/catalog/products", Body: `{"sku":"X-1","name":"N","department":"D","priceMinor":1,"stock":1,"storeId":9}`, Status: 400, Text: "unknown field"},
		{Name: "the SKU cannot change", Who: "supervisor", Method: "PATCH", Path: "/api/v1/desk/catalog/products/CC-TEST-1", Body: `{"sku":"CC-OTHER"}`, Status: 400, Text: "cannot change"},
		{Name: "unknown product", Who: "supervisor", Method: "PATCH", Path: "/api/v1/desk/catalog/products/NOPE-1", Body: `{"stock":1}`, Status: 404, Text: "no product"},
		{Name: "a product as its own add-on", Who: "supervisor", Method: "PUT", Path: "/api/v1/desk/catalog/products/CC-TEST-1/addons", Body: `{"addOns":[{"sku":"CC-TEST-1","kind":"accessory","reason":"r"}]}`, Status: 400, Text: "its own add-on"},
		{Name: "unknown add-on kind", Who: "supervisor", Method: "PUT", Path: "/api/v1/desk/catalog/products/CC-TEST-1/addons", Body: `{"addOns":[{"sku":"CC-TEST-1","kind":"gift","reason":"r"}]}`, Status: 400, Text: "accessory, warranty or bundle"},
	})
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
