package agentdesk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
)

// TestCreditInTheCallDecidedBySupervisor runs a credit application through
// a real call: the agent sends it, both sides see each step as the shopper
// fills it in (field names only reach the agent, never the answers) and
// signs it with their passkey; the agent submits it; asking for more than
// the store's rules allow, it reaches the supervisor's desk at once, and
// the supervisor's decision reaches the call.
func TestCreditInTheCallDecidedBySupervisor(t *testing.T) {
	a := apptest.New(t)
	base := apptest.ServeOnLoopback(t, a)
	const store = "vinoteca-rossi"
	shopper := apptest.ShopperBorn(t, a, "Carla Credit", apptest.BornYearsAgo(40))
	if err := a.Verifier.MarkVerified(context.Background(), a.DB.DB, shopper.AccountID()); err != nil {
		t.Fatal(err)
	}
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, store)
	desk := apptest.NewPhone(t, super, base)
	e := engage(t, a, base, store, "VR-DECANT", shopper, "Cora Agent")

	var sent struct{ Application map[string]any }
	e.agent.Must(201, "POST", "/api/v1/desk/credit-applications", map[string]string{"entryId": e.entry}).JSON(t, &sent)
	id := sent.Application["applicationId"].(string)
	e.sp.Expect("credit.update", `"step":"opened"`, 5*time.Second)
	e.ap.Expect("credit.update", `"step":"opened"`, 5*time.Second)

	app := "/api/v1/credit-applications/" + id
	shopper.Must(200, "PUT", app+"/progress", `{"filled":["employer","fullName"]}`)
	m := e.ap.Expect("credit.update", `"filled":["fullName","employer"]`, 5*time.Second)
	if !strings.Contains(string(m.Data), `"step":"filling"`) {
		t.Fatalf("progress on the desk: %s", m.Data)
	}
	shopper.Must(200, "PUT", app, `{"fullName":"Carla Credit","employer":"Secret Employer BV","monthlyIncomeMinor":420000,"requestedLimitMinor":250000,"consent":true}`)
	m = e.ap.Expect("credit.update", `"step":"filled"`, 5*time.Second)
	if strings.Contains(string(m.Data), "Secret Employer") || strings.Contains(string(m.Data), "420000") {
		t.Fatalf("the desk got the shopper's answers: %s", m.Data)
	}
	var b apptest.Begun
	shopper.Must(200, "POST", app+"/sign/begin", "{}").JSON(t, &b)
	shopper.Must(200, "POST", app+"/sign/finish", map[string]any{"ceremony": b.Ceremony, "credential": shopper.Assert(b)})
	e.ap.Expect("credit.update", `"step":"signed"`, 5*time.Second)

	var submitted struct{ Application map[string]any }
	e.agent.Must(200, "POST", "/api/v1/desk/credit-applications/"+id+"/submit", nil).JSON(t, &submitted)
	if submitted.Application["state"] != "submitted" {
		t.Fatalf("€2,500 is over the demo rules' €1,000, so a supervisor decides: %+v", submitted.Application)
	}
	desk.Expect("credit.update", `"state":"submitted"`, 5*time.Second)
	e.sp.Expect("credit.update", `"state":"submitted"`, 5*time.Second)

	super.Must(200, "POST", "/api/v1/desk/credit-applications/"+id+"/decision", `{"approve":true,"limitMinor":150000,"reason":"steady income"}`)
	m = e.sp.Expect("credit.update", `"state":"approved"`, 5*time.Second)
	if !strings.Contains(string(m.Data), `"limitMinor":150000`) || !strings.Contains(string(m.Data), `"automatic":false`) {
		t.Fatalf("decision in the call: %s", m.Data)
	}
	e.ap.Expect("credit.update", `"state":"approved"`, 5*time.Second)

	// The approved line pays the order placed in the call, once signed.
	shopper.Must(200, "POST", "/api/v1/cart/items", map[string]any{"store": store, "sku": "VR-DECANT", "quantity": 1})
	var placed apptest.OrderAnswer
	shopper.Must(201, "POST", "/api/v1/checkout", map[string]any{}).JSON(t, &placed)
	shopper.Must(200, "POST", "/api/v1/orders/"+placed.Order.ID+"/sign/finish", shopper.BeginSign(placed.Order.ID))
	var paid apptest.OrderAnswer
	shopper.Must(200, "POST", "/api/v1/orders/"+placed.Order.ID+"/pay", `{"method":"credit"}`).JSON(t, &paid)
	if paid.Order.State != "confirmed" {
		t.Fatalf("paid with credit: %+v", paid.Order)
	}
}
