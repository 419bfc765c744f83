package agentdesk_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/blob"
)

// judgement is the body of an age judgement with frame taken now.
func judgement(decision string, frame []byte) map[string]string {
	return map[string]string{"decision": decision, "frame": base64.StdEncoding.EncodeToString(frame), "frameAt": time.Now().UTC().Format(time.RFC3339Nano)}
}

// judged is the answer to an age judgement.
type judged struct {
	ID, Decision, Reason, FrameURL string
	Verified                       bool
	Removed                        []string
	KeepUntil                      time.Time
	Order                          *struct {
		ID, State  string
		TotalMinor int64
		Lines      []struct{ SKU string }
	}
}

// cartSKUs returns the SKUs in the shopper's cart.
func cartSKUs(t *testing.T, c *apptest.Client) []string {
	t.Helper()
	var cart struct {
		Cart struct{ Items []struct{ SKU string } }
	}
	c.Must(200, "GET", "/api/v1/cart", nil).JSON(t, &cart)
	var out []string
	for _, it := range cart.Cart.Items {
		out = append(out, it.SKU)
	}
	return out
}

// TestAgentRefusalTakesRestrictedItemsOutAndTheCallGoesOn: the agent judges
// on video that the shopper does not look 18+: the age-restricted item
// leaves the shared cart, the rest stays, the shopper is told why, the call
// goes on. Later, with an order awaiting the check, "not the account
// holder" takes the restricted line out of the order, which goes on as a
// draft with a new total; a second refusal finds nothing left.
func TestAgentRefusalTakesRestrictedItemsOutAndTheCallGoesOn(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Rosa Young", apptest.BornYearsAgo(25))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-OPENER", "quantity": 1})
	var days struct{ RetentionDays int }
	apptest.NewClient(t, a).Must(200, "GET", "/api/v1/stores/"+store+"/age-evidence", nil).JSON(t, &days)
	if days.RetentionDays != 90 {
		t.Fatalf("default retention %d days, want 90", days.RetentionDays)
	}
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Pia Agent")
	path := "/api/v1/desk/engagements/" + e.entry + "/age-check"

	var out judged
	e.agent.Must(201, "POST", path, judgement("looks_underage", apptest.StillFrame(t))).JSON(t, &out)
	if out.Decision != "looks_underage" || out.Verified || len(out.Removed) != 1 || out.Removed[0] != "Barolo DOCG 2018" || out.Order != nil ||
		!strings.Contains(out.Reason, "18 or over") || !strings.Contains(out.Reason, "go on with the rest") {
		t.Fatalf("refusal: %+v", out)
	}
	if got := cartSKUs(t, shopper); len(got) != 1 || got[0] != "VR-OPENER" {
		t.Fatalf("the cart after the refusal holds %v, want only the opener", got)
	}
	var notices struct {
		Notices []struct {
			Decision, Reason string
			Removed          []string
			Store            struct{ Slug string }
		}
	}
	shopper.Must(200, "GET", "/api/v1/age-checks", nil).JSON(t, &notices)
	if len(notices.Notices) != 1 || notices.Notices[0].Reason != out.Reason || notices.Notices[0].Store.Slug != store || notices.Notices[0].Removed[0] != "Barolo DOCG 2018" {
		t.Fatalf("the shopper's notices: %+v", notices)
	}
	if r := apptest.NewClient(t, a).Must(200, "GET", "/api/v1/age-checks", nil); !strings.Contains(r.Body, `"notices":[]`) {
		t.Fatalf("a stranger sees notices: %s", r.Body)
	}
	if s := entryState(a, e.entry); s != "connected" {
		t.Fatalf("the engagement is %s after the refusal, want connected: the call goes on", s)
	}

	// What was refused cannot come back: neither the shopper nor the agent
	// puts an age-restricted item of the store in the cart again.
	for _, sku := range []string{"VR-BAROLO-18", "VR-GRAPPA-BAR"} {
		if r := shopper.Do("POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": sku, "quantity": 1}); r.Status != 409 || !strings.Contains(r.Body, "could not confirm your age") {
			t.Fatalf("re-adding %s after the refusal: %d %s", sku, r.Status, r.Body)
		}
	}
	if r := e.agent.Do("POST", "/api/v1/desk/engagements/"+e.entry+"/cart/items", map[string]any{"sku": "VR-GRAPPA-BAR"}); r.Status != 409 {
		t.Fatalf("the agent suggesting a restricted item after the refusal: %d %s", r.Status, r.Body)
	}
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	if got := cartSKUs(t, shopper); len(got) != 2 {
		t.Fatalf("the cart after the refused re-adds holds %v, want the opener and the decanter", got)
	}

	// With an order awaiting its check (another shopper, another call):
	// the restricted line leaves it.
	shopper = apptest.ShopperBorn(t, a, "Rosa Other", apptest.BornYearsAgo(26))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-OPENER", "quantity": 1})
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-GRAPPA-BAR", "quantity": 1})
	e = engage(t, a, base, store, "VR-GRAPPA-BAR", shopper, "Pio Agent")
	path = "/api/v1/desk/engagements/" + e.entry + "/age-check"
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	if o.Order.State != "awaiting_verification" {
		t.Fatalf("order %+v", o.Order)
	}
	e.agent.Must(201, "POST", path, judgement("not_account_holder", apptest.StillFrame(t))).JSON(t, &out)
	if out.Order == nil || out.Order.ID != o.Order.ID || out.Order.State != "draft" || len(out.Removed) != 1 || !strings.Contains(out.Reason, "account holder") {
		t.Fatalf("refusal of the order's line: %+v", out)
	}
	got := shopper.Order(o.Order.ID).Order
	var opener int64
	a.DB.Table("products").Where("sku = ?", "VR-OPENER").Pluck("price_minor", &opener)
	if got.State != "draft" || got.TotalMinor != opener || got.TotalMinor >= o.Order.TotalMinor {
		t.Fatalf("the order after the refusal: %+v (opener %d)", got, opener)
	}
	if ev := got.Events[len(got.Events)-1]; ev.To != "draft" || !strings.Contains(ev.Reason, "not the account holder") || !strings.Contains(ev.Actor, e.agent.AccountID()) {
		t.Fatalf("the order's last event: %+v", ev)
	}
	// Decided once: nothing age-restricted is left to refuse or confirm.
	if r := e.agent.Do("POST", path, judgement("looks_underage", apptest.StillFrame(t))); r.Status != 409 || !strings.Contains(r.Body, "nothing to refuse") {
		t.Fatalf("second refusal: %d %s", r.Status, r.Body)
	}
	if r := e.agent.Do("POST", path, judgement("confirm", apptest.StillFrame(t))); r.Status != 409 || !strings.Contains(r.Body, "no order") {
		t.Fatalf("confirm after the refusal: %d %s", r.Status, r.Body)
	}
	var n int64
	a.DB.Table("age_judgements").Where("entry_id = ?", e.entry).Count(&n)
	if n != 1 {
		t.Fatalf("%d judgements stored for the second call, want 1", n)
	}
	// The rest is paid as usual: signed with the passkey (placed with an agent).
	shopper.Must(200, "POST", "/api/v1/orders/"+o.Order.ID+"/sign/finish", shopper.BeginSign(o.Order.ID))
	shopper.Must(200, "POST", "/api/v1/orders/"+o.Order.ID+"/pay", "{}")
	apptest.CheckAgeInvariant(t, a)
}

// TestAgeCheckFrameIsKeptForTheStoreOnlyAndSweptAfterRetention: a confirmed
// check keeps its still frame, readable by the store's staff only, until
// the store's retention period has passed; the sweep deletes it then and
// the judgement stays as the record.
func TestAgeCheckFrameIsKeptForTheStoreOnlyAndSweptAfterRetention(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, store)
	// The store keeps frames 30 days; only supervisors set it.
	super.Must(200, "PUT", "/api/v1/desk/age-evidence", `{"retentionDays":30}`)
	shopper := apptest.ShopperBorn(t, a, "Olga Adult", apptest.BornYearsAgo(44))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ugo Agent")
	e.agent.Must(403, "PUT", "/api/v1/desk/age-evidence", `{"retentionDays":1}`)
	var days struct{ RetentionDays int }
	e.agent.Must(200, "GET", "/api/v1/desk/age-evidence", nil).JSON(t, &days)
	if days.RetentionDays != 30 {
		t.Fatalf("retention %d, want 30", days.RetentionDays)
	}
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	frame := apptest.StillFrame(t)
	var out judged
	e.agent.Must(201, "POST", "/api/v1/desk/engagements/"+e.entry+"/age-check", judgement("confirm", frame)).JSON(t, &out)
	if !out.Verified || out.Decision != "confirmed" || out.Order == nil || out.Order.State != "draft" {
		t.Fatalf("confirm: %+v", out)
	}
	if d := time.Until(out.KeepUntil); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Fatalf("kept until %s, want 30 days from now", out.KeepUntil)
	}
	var row struct {
		OrderID, Decision, AgentAccountID string
		FrameBytes                        int
	}
	a.DB.Table("age_judgements").Where("id = ?", out.ID).Take(&row)
	if row.OrderID != o.Order.ID || row.Decision != "confirmed" || row.AgentAccountID != e.agent.AccountID() || row.FrameBytes != len(frame) {
		t.Fatalf("judgement row: %+v", row)
	}

	// Only the store's staff see the frame.
	if r := e.agent.Must(200, "GET", out.FrameURL, nil); r.Body != string(frame) {
		t.Fatalf("the agent's frame is %d bytes, want the %d sent", len(r.Body), len(frame))
	}
	super.Must(200, "GET", out.FrameURL, nil)
	apptest.SignedInAs(t, a, auth.RoleAgent, "casa-cucina").Must(404, "GET", out.FrameURL, nil)
	apptest.SignedInAs(t, a, auth.RoleSupervisor, "casa-cucina").Must(404, "GET", out.FrameURL, nil)
	shopper.Must(403, "GET", out.FrameURL, nil)
	apptest.NewClient(t, a).Must(401, "GET", out.FrameURL, nil)

	// Within the period the sweep keeps it; after, it goes, the row stays.
	ctx := context.Background()
	j := a.AgeJudgements
	j.Now = func() time.Time { return time.Now().Add(29 * 24 * time.Hour) }
	if n, err := j.SweepEvidence(ctx); err != nil || n != 0 {
		t.Fatalf("sweep within the period: %d %v", n, err)
	}
	e.agent.Must(200, "GET", out.FrameURL, nil)
	// A frame no judgement names (its node died before the row) goes too.
	orphan := "age-evidence/" + storeIDOf(t, a, store) + "/agj_orphan.jpg"
	if _, err := a.Blobs.Put(ctx, orphan, bytes.NewReader(frame), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	j.Now = func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }
	if n, err := j.SweepEvidence(ctx); err != nil || n != 2 {
		t.Fatalf("sweep after the period: %d %v, want the frame and the orphan", n, err)
	}
	if _, _, err := a.Blobs.Open(ctx, orphan); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the orphan frame: %v", err)
	}
	if r := e.agent.Do("GET", out.FrameURL, nil); r.Status != 404 || !strings.Contains(r.Body, "retention") {
		t.Fatalf("swept frame: %d %s", r.Status, r.Body)
	}
	if _, _, err := a.Blobs.Open(ctx, "age-evidence/"+storeIDOf(t, a, store)+"/"+out.ID+".jpg"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the swept frame's file: %v", err)
	}
	var left int64
	a.DB.Table("age_judgements").Where("id = ? AND frame_key IS NULL", out.ID).Count(&left)
	if left != 1 {
		t.Fatal("the judgement's row did not stay (without its frame) after the sweep")
	}
	if n, err := j.SweepEvidence(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep: %d %v", n, err)
	}
	apptest.CheckAgeInvariant(t, a)
}

// storeIDOf returns the id of the store slug as text.
func storeIDOf(t *testing.T, a *app.App, slug string) string {
	t.Helper()
	var id []string
	a.DB.Table("stores").Where("slug = ?", slug).Pluck("CAST(id AS TEXT)", &id)
	if len(id) != 1 {
		t.Fatalf("no store %s", slug)
	}
	return id[0]
}

// TestAgeJudgementRefusesBadRequests: one row per refusal. Nothing refused
// leaves a judgement or a file behind.
func TestAgeJudgementRefusesBadRequests(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Ezio Case", apptest.BornYearsAgo(33))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Gea Agent")
	// Another engagement of the same store, with another agent.
	other := apptest.ShopperBorn(t, a, "Other Caller", apptest.BornYearsAgo(33))
	other.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e2 := engage(t, a, base, store, "VR-BAROLO-18", other, "Leo Agent")
	actors := apptest.Actors{
		"agent":     e.agent,
		"colleague": e2.agent,
		"stranger":  apptest.SignedInAs(t, a, auth.RoleAgent, "casa-cucina"),
		"super":     apptest.SignedInAs(t, a, auth.RoleSupervisor, store),
		"member":    shopper,
	}
	path := "/api/v1/desk/engagements/" + e.entry + "/age-check"
	frame := apptest.StillFrame(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00")
	big := append(append([]byte{}, frame...), make([]byte, 300<<10)...)
	fakeJPEG := append([]byte{0xff, 0xd8, 0xff, 0xe0}, []byte("not really")...)
	stale := judgement("looks_underage", frame)
	stale["frameAt"] = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []apptest.Scenario{
		{Name: "signed out", Method: "POST", Path: path, Body: judgement("looks_underage", frame), Status: 401},
		{Name: "a shopper", Who: "member", Method: "POST", Path: path, Body: judgement("looks_underage", frame), Status: 403},
		{Name: "another store's agent", Who: "stranger", Method: "POST", Path: path, Body: judgement("looks_underage", frame), Status: 404, Code: "not_found"},
		{Name: "another agent of the store", Who: "colleague", Method: "POST", Path: path, Body: judgement("looks_underage", frame), Status: 404, Code: "not_found"},
		{Name: "the store's supervisor, not on the call", Who: "super", Method: "POST", Path: path, Body: judgement("looks_underage", frame), Status: 404},
		{Name: "another engagement", Who: "agent", Method: "POST", Path: "/api/v1/desk/engagements/" + e2.entry + "/age-check", Body: judgement("looks_underage", frame), Status: 404},
		{Name: "no such engagement", Who: "agent", Method: "POST", Path: "/api/v1/desk/engagements/qe_nope/age-check", Body: judgement("looks_underage", frame), Status: 404},
		{Name: "no body", Who: "agent", Method: "POST", Path: path, Status: 400, Text: "request body is empty"},
		{Name: "unknown decision", Who: "agent", Method: "POST", Path: path, Body: judgement("too_young", frame), Status: 400, Text: `"decision" must be`},
		{Name: "no frame", Who: "agent", Method: "POST", Path: path, Body: `{"decision":"looks_underage","frameAt":"2026-01-01T00:00:00Z"}`, Status: 400, Text: `"frame" is required`},
		{Name: "frame not base64", Who: "agent", Method: "POST", Path: path, Body: map[string]string{"decision": "looks_underage", "frame": "%%%", "frameAt": time.Now().UTC().Format(time.RFC3339)}, Status: 400, Text: "base64"},
		{Name: "a PNG frame", Who: "agent", Method: "POST", Path: path, Body: judgement("looks_underage", png), Status: 400, Text: "not a JPEG"},
		{Name: "a JPEG header only", Who: "agent", Method: "POST", Path: path, Body: judgement("looks_underage", fakeJPEG), Status: 400, Text: "not a readable JPEG"},
		{Name: "an oversized frame", Who: "agent", Method: "POST", Path: path, Body: judgement("looks_underage", big), Status: 400, Text: "larger than 256 KiB"},
		{Name: "an empty frame", Who: "agent", Method: "POST", Path: path, Body: judgement("looks_underage", nil), Status: 400, Text: `"frame" is required`},
		{Name: "a stale frame", Who: "agent", Method: "POST", Path: path, Body: stale, Status: 400, Text: "not just now"},
		{Name: "a bad frame time", Who: "agent", Method: "POST", Path: path, Body: map[string]string{"decision": "confirm", "frame": base64.StdEncoding.EncodeToString(frame), "frameAt": "yesterday"}, Status: 400, Text: `"frameAt"`},
		{Name: "unknown field", Who: "agent", Method: "POST", Path: path, Body: map[string]string{"decision": "confirm", "frame": "", "frameAt": "", "age": "30"}, Status: 400, Text: "unknown field"},
		{Name: "confirm with no order", Who: "agent", Method: "POST", Path: path, Body: judgement("confirm", frame), Status: 409, Text: "no order"},
		{Name: "frame of no judgement", Who: "agent", Method: "GET", Path: "/api/v1/desk/age-checks/agj_nope/frame", Status: 404},
		{Name: "retention below a day", Who: "super", Method: "PUT", Path: "/api/v1/desk/age-evidence", Body: `{"retentionDays":0}`, Status: 400, Text: "1 to 3650"},
		{Name: "retention missing", Who: "super", Method: "PUT", Path: "/api/v1/desk/age-evidence", Body: `{}`, Status: 400, Text: "required"},
		{Name: "retention of an unknown store", Method: "GET", Path: "/api/v1/stores/no-such-store/age-evidence", Status: 404},
	}
	apptest.RunScenarios(t, a, actors, cases)
	var n int64
	a.DB.Table("age_judgements").Count(&n)
	files, err := a.Blobs.List(context.Background(), "age-evidence")
	if err != nil || n != 0 || len(files) != 0 {
		t.Fatalf("refused requests left %d judgements and %d files (%v)", n, len(files), err)
	}
	if got := cartSKUs(t, shopper); len(got) != 1 {
		t.Fatalf("refused requests changed the cart: %v", got)
	}
	// The double decision: the first refusal takes the item, the second finds nothing.
	e.agent.T = t
	e.agent.Must(201, "POST", path, judgement("looks_underage", frame))
	if r := e.agent.Do("POST", path, judgement("not_account_holder", frame)); r.Status != 409 {
		t.Fatalf("double decision: %d %s", r.Status, r.Body)
	}
	a.DB.Table("age_judgements").Count(&n)
	files, _ = a.Blobs.List(context.Background(), "age-evidence")
	if n != 1 || len(files) != 1 {
		t.Fatalf("after one refusal and a double decision: %d judgements, %d files, want 1 and 1", n, len(files))
	}
}

// TestAgeConfirmOfAnUnderageShopperIsRefusedByTheRecord: confirming on the
// desk an order of a shopper whose birth date shows them under age refuses
// the order (and ends the call, as before); the frame is kept with it.
func TestAgeConfirmOfAnUnderageShopperIsRefusedByTheRecord(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Teo Minor", apptest.BornYearsAgo(17))
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-BAROLO-18", "quantity": 1})
	e := engage(t, a, base, store, "VR-BAROLO-18", shopper, "Ivo Agent")
	var o apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", "{}").JSON(t, &o)
	var out judged
	e.agent.Must(201, "POST", "/api/v1/desk/engagements/"+e.entry+"/age-check", judgement("confirm", apptest.StillFrame(t))).JSON(t, &out)
	if out.Verified || out.Decision != "refused_by_record" || out.Order == nil || out.Order.State != "refused" || !strings.Contains(out.Reason, "under 18") {
		t.Fatalf("confirm of an underage shopper: %+v", out)
	}
	e.sp.Expect("call.state", `"state":"ended"`, 10*time.Second)
	e.agent.Must(200, "GET", out.FrameURL, nil)
	apptest.CheckAgeInvariant(t, a)
}
