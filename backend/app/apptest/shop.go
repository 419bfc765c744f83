package apptest

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

// RoutingStore is the demo store whose queues the routing tests use.
const RoutingStore = "north-peak-outfitters"

// AgentOf adds an agent to the store and signs them in on their own device.
func AgentOf(t *testing.T, a *app.App, store, name string) *Client {
	t.Helper()
	c := NewClient(t, a)
	added, err := a.Staff.AddStaffMember(t.Context(), agentdesk.NewStaffMember{StoreSlug: store, Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@" + store + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Enroll(added.EnrollmentToken); r.Status != 200 {
		t.Fatalf("enroll %s: %d %s", name, r.Status, r.Body)
	}
	return c
}

// SalesNumber is the store's sales number.
func SalesNumber(t *testing.T, a *app.App, store string) string {
	t.Helper()
	var n string
	a.DB.Table("numbers AS n").Joins("JOIN stores s ON s.id = n.store_id").Where("s.slug = ? AND n.party_type = ?", store, "queue").Pluck("n.number", &n)
	if n == "" {
		t.Fatalf("no sales number for %s", store)
	}
	return n
}

// StoreProduct returns the id and name of one of the store's products.
func StoreProduct(t *testing.T, a *app.App, store string) (int64, string) {
	t.Helper()
	var p struct {
		ID   int64
		Name string
	}
	a.DB.Table("products AS p").Select("p.id, p.name").Joins("JOIN stores s ON s.id = p.store_id").Where("s.slug = ?", store).Order("p.id").Limit(1).Scan(&p)
	return p.ID, p.Name
}

// Cart reads the client's cart.
func (c *Client) Cart() (items int, version int64, body string) {
	c.T.Helper()
	var v struct {
		Cart struct {
			Items   []struct{ Quantity int }
			Version int64
		}
	}
	r := c.Must(200, "GET", "/api/v1/cart", nil)
	r.JSON(c.T, &v)
	for _, i := range v.Cart.Items {
		items += i.Quantity
	}
	return items, v.Cart.Version, r.Body
}

// ProductOf finds a product SKU of a store, with or without an age limit.
func ProductOf(t *testing.T, a *app.App, store string, aged bool) string {
	t.Helper()
	var sku string
	q := a.DB.Table("products p").Joins("JOIN stores s ON s.id = p.store_id").Where("s.slug = ? AND p.retired_at IS NULL", store)
	if aged {
		q = q.Where("p.age_limit > 0")
	} else {
		q = q.Where("p.age_limit = 0")
	}
	q.Order("p.sku").Limit(1).Pluck("p.sku", &sku)
	if sku == "" {
		t.Fatalf("no product in %s", store)
	}
	return sku
}

// WineStore is the demo store that sells age-limited products.
const WineStore = "vinoteca-rossi"

// OrderAnswer is an order as the API answers it.
type OrderAnswer struct {
	Order struct {
		ID, State      string
		NeedsSignature bool
		TotalMinor     int64
		Events         []struct{ To, Actor, Reason string }
	}
}

// BornYearsAgo returns the birth date of someone who turned years old a
// month ago.
func BornYearsAgo(years int) string {
	return time.Now().UTC().AddDate(-years, -1, 0).Format(time.DateOnly)
}

// ShopperBorn signs up a member with the given birth date.
func ShopperBorn(t *testing.T, a *app.App, name, birth string) *Client {
	t.Helper()
	c := NewClient(t, a)
	c.SignUp(name, strings.ToLower(strings.ReplaceAll(name, " ", "."))+"@example.com", birth)
	return c
}

// AccountID returns the signed-in client's account id.
func (c *Client) AccountID() string {
	c.T.Helper()
	var me struct{ Account struct{ ID string } }
	c.Must(200, "GET", "/api/v1/me", nil).JSON(c.T, &me)
	return me.Account.ID
}

// Buy puts quantity of sku of store in the client's cart and checks out.
func (c *Client) Buy(store, sku string, quantity int) OrderAnswer {
	c.T.Helper()
	c.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": sku, "quantity": quantity})
	var o OrderAnswer
	c.Must(201, "POST", "/api/v1/checkout", "{}").JSON(c.T, &o)
	return o
}

// Order reads one of the client's orders.
func (c *Client) Order(id string) OrderAnswer {
	c.T.Helper()
	var o OrderAnswer
	c.Must(200, "GET", "/api/v1/orders/"+id, nil).JSON(c.T, &o)
	return o
}

// Judge gives the agent's age judgement (confirm, looks_underage or
// not_account_holder) in the engagement entry, with a still frame taken
// now, as the desk does during the call.
func (c *Client) Judge(entry, decision string) Response {
	c.T.Helper()
	return c.Do("POST", "/api/v1/desk/engagements/"+entry+"/age-check", Judgement(c.T, decision))
}

// Judgement is the body of an age judgement with a still frame taken now.
func Judgement(t *testing.T, decision string) map[string]string {
	t.Helper()
	return map[string]string{"decision": decision, "frame": base64.StdEncoding.EncodeToString(StillFrame(t)), "frameAt": time.Now().UTC().Format(time.RFC3339Nano)}
}

// StillFrame returns a small JPEG as the desk's canvas makes one.
func StillFrame(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// CheckAgeOutsideACall runs an order's age check on behalf of the client,
// a member of staff, through the service itself: the HTTP route asks for
// a call and its still frame, which tests of the order's own rules (a
// video witness hook, no call) have not got.
func (c *Client) CheckAgeOutsideACall(orderID string, video bool) (*mall.AgeCheckOutcome, error) {
	c.T.Helper()
	var acc auth.Account
	if err := c.App.DB.Where("id = ?", c.AccountID()).Take(&acc).Error; err != nil {
		c.T.Fatalf("load staff account: %v", err)
	}
	return c.App.Closing.AgeChecks.CheckAge(c.T.Context(), &acc, orderID, video)
}

// BeginSign begins signing an order and answers with the client's passkey,
// returning the finish body.
func (c *Client) BeginSign(id string) map[string]any {
	c.T.Helper()
	var b Begun
	c.Must(200, "POST", "/api/v1/orders/"+id+"/sign/begin", "{}").JSON(c.T, &b)
	return map[string]any{"ceremony": b.Ceremony, "credential": c.Assert(b)}
}

// Sign signs an order with the client's passkey.
func (c *Client) Sign(id string) Response {
	c.T.Helper()
	return c.Do("POST", "/api/v1/orders/"+id+"/sign/finish", c.BeginSign(id))
}

// CheckAgeInvariant fails the test if any order with an age-restricted line
// ever reached paid or confirmed without an age check confirmed on video.
// Any test may call it after its flows.
func CheckAgeInvariant(t *testing.T, a *app.App) {
	t.Helper()
	ids, err := mall.UnverifiedAgeRestrictedOrders(context.Background(), a.DB.DB)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) > 0 {
		t.Fatalf("age-restricted orders paid without a video-confirmed age check: %v", ids)
	}
}
