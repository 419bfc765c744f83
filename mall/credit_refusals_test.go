package mall_test

import (
	"strings"
	"testing"

	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

// TestCreditRefusals is every refusal of credit in the call, one row each:
// who may send, fill, report progress, sign, submit and decide, at which
// step, with whose ids.
func TestCreditRefusals(t *testing.T) {
	a := apptest.New(t)
	agent := apptest.SignedInAs(t, a, auth.RoleAgent, apptest.WineStore)
	otherAgent := apptest.AgentOf(t, a, apptest.WineStore, "Otto Agent")
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.WineStore)
	otherSuper := apptest.SignedInAs(t, a, auth.RoleSupervisor, "casa-cucina")
	m := apptest.ShopperBorn(t, a, "Rafa Refused", apptest.BornYearsAgo(30))
	stranger := apptest.ShopperBorn(t, a, "Sam Stranger", apptest.BornYearsAgo(30))
	entry := liveEngagement(t, a, apptest.WineStore, agent, m)
	guestEntry := liveEngagement(t, a, apptest.WineStore, otherAgent, stranger)
	a.DB.Table("queue_entries").Where("id = ?", guestEntry).Updates(map[string]any{"account_id": nil, "guest_hash": "g_hash"})

	var sent struct {
		Application struct{ ApplicationID string }
	}
	agent.Must(201, "POST", "/api/v1/desk/credit-applications", map[string]string{"entryId": entry}).JSON(t, &sent)
	app := "/api/v1/credit-applications/" + sent.Application.ApplicationID
	desk := "/api/v1/desk/credit-applications/" + sent.Application.ApplicationID
	good := `{"fullName":"Rafa Refused","monthlyIncomeMinor":320000,"employer":"Acme Ltd","requestedLimitMinor":20000,"consent":true}`
	who := apptest.Actors{"agent": agent, "other agent": otherAgent, "supervisor": super, "other supervisor": otherSuper, "member": m, "stranger": stranger}

	apptest.RunScenarios(t, a, who, []apptest.Scenario{
		{Name: "send: no body", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Status: 400},
		{Name: "send: no entry", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{}`, Status: 400, Text: "entryId"},
		{Name: "send: account id (old body)", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"accountId":"ac_1"}`, Status: 400, Text: "unknown field"},
		{Name: "send: entry too long", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + strings.Repeat("x", 65) + `"}`, Status: 400, Text: "64"},
		{Name: "send: unknown engagement", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"qe_none"}`, Status: 404},
		{Name: "send: another agent's call", Who: "other agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + entry + `"}`, Status: 404},
		{Name: "send: another store", Who: "other supervisor", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + entry + `"}`, Status: 404},
		{Name: "send: a member", Who: "member", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + entry + `"}`, Status: 403},
		{Name: "send: a guest on the call", Who: "other agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + guestEntry + `"}`, Status: 409, Text: "guest"},
		{Name: "progress: someone else's", Who: "stranger", Method: "PUT", Path: app + "/progress", Body: `{"filled":[]}`, Status: 404},
		{Name: "progress: signed out", Method: "PUT", Path: app + "/progress", Body: `{"filled":[]}`, Status: 401},
		{Name: "progress: unknown field", Who: "member", Method: "PUT", Path: app + "/progress", Body: `{"filled":["income"]}`, Status: 400, Text: "not a field"},
		{Name: "progress: twice", Who: "member", Method: "PUT", Path: app + "/progress", Body: `{"filled":["employer","employer"]}`, Status: 400, Text: "twice"},
		{Name: "progress: values", Who: "member", Method: "PUT", Path: app + "/progress", Body: `{"filled":[],"fullName":"x"}`, Status: 400, Text: "unknown field"},
		{Name: "sign: before filling", Who: "member", Method: "POST", Path: app + "/sign/begin", Body: `{}`, Status: 409, Text: "fill in"},
		{Name: "sign: someone else's", Who: "stranger", Method: "POST", Path: app + "/sign/begin", Body: `{}`, Status: 404},
		{Name: "sign: bad ceremony", Who: "member", Method: "POST", Path: app + "/sign/finish", Body: `{"ceremony":"nope","credential":{"id":"x"}}`, Status: 400, Text: "unknown, expired"},
		{Name: "submit: not signed", Who: "agent", Method: "POST", Path: desk + "/submit", Status: 409, Text: "not signed"},
		{Name: "submit: another agent", Who: "other agent", Method: "POST", Path: desk + "/submit", Status: 404},
		{Name: "submit: a supervisor not on the call", Who: "supervisor", Method: "POST", Path: desk + "/submit", Status: 404},
		{Name: "submit: a member", Who: "member", Method: "POST", Path: desk + "/submit", Status: 403},
		{Name: "progress view: another agent", Who: "other agent", Method: "GET", Path: "/api/v1/desk/engagement-credit/" + entry, Status: 404},
		{Name: "decide: not submitted", Who: "supervisor", Method: "POST", Path: desk + "/decision", Body: `{"approve":true,"limitMinor":10000}`, Status: 409},
		{Name: "decide: an agent", Who: "agent", Method: "POST", Path: desk + "/decision", Body: `{"approve":true,"limitMinor":10000}`, Status: 403},
	})
	m.T = t
	agent.Must(200, "GET", "/api/v1/desk/engagement-credit/"+entry, nil)
	m.Must(200, "PUT", app, good)
	m.Must(200, "POST", app+"/sign/finish", signCredit(m, sent.Application.ApplicationID))
	apptest.RunScenarios(t, a, who, []apptest.Scenario{
		{Name: "fill: signed already", Who: "member", Method: "PUT", Path: app, Body: good, Status: 409, Text: "signed"},
		{Name: "progress: signed already", Who: "member", Method: "PUT", Path: app + "/progress", Body: `{"filled":[]}`, Status: 409},
		{Name: "sign: twice", Who: "member", Method: "POST", Path: app + "/sign/begin", Body: `{}`, Status: 409},
	})
	agent.T = t
	// Within the demo rules (adult, verified address, €200): approved at once.
	if err := a.Verifier.MarkVerified(t.Context(), a.DB.DB, m.AccountID()); err != nil {
		t.Fatal(err)
	}
	if r := agent.Must(200, "POST", "/api/v1/desk/credit-applications/"+sent.Application.ApplicationID+"/submit", nil); !strings.Contains(r.Body, `"state":"approved"`) || !strings.Contains(r.Body, `"automatic":true`) {
		t.Fatalf("within the rules: %s", r.Body)
	}
	apptest.RunScenarios(t, a, who, []apptest.Scenario{
		{Name: "submit: twice", Who: "agent", Method: "POST", Path: desk + "/submit", Status: 409, Text: "approved"},
		{Name: "decide: decided by the rules", Who: "supervisor", Method: "POST", Path: desk + "/decision", Body: `{"approve":false,"reason":"no"}`, Status: 409},
		{Name: "send: has a credit line", Who: "agent", Method: "POST", Path: "/api/v1/desk/credit-applications", Body: `{"entryId":"` + entry + `"}`, Status: 409, Text: "credit line"},
	})
}

// TestParseCreditProgressRefusesBadBodies lists the bodies a progress
// report must refuse.
func TestParseCreditProgressRefusesBadBodies(t *testing.T) {
	for _, body := range []string{``, `null`, `[]`, `{}`, `{"filled":null}`, `{"filled":"fullName"}`, `{"filled":[1]}`, `{"filled":["x"]}`,
		`{"filled":["consent","consent"]}`, `{"filled":["fullName","employer","monthlyIncome","requestedLimit","consent","fullName"]}`, `{"filled":[]}{}`} {
		if _, err := mall.ParseCreditProgress([]byte(body)); err == nil {
			t.Errorf("ParseCreditProgress(%q) accepted it", body)
		}
	}
	got, err := mall.ParseCreditProgress([]byte(`{"filled":["consent","fullName"]}`))
	if err != nil || strings.Join(got, ",") != "fullName,consent" {
		t.Fatalf("good body: %v %v", got, err)
	}
	for _, body := range []string{``, `{}`, `{"entryId":""}`, `{"entryId":1}`, `{"entryId":"` + strings.Repeat("e", 65) + `"}`} {
		if _, err := mall.ParseSendCredit([]byte(body)); err == nil {
			t.Errorf("ParseSendCredit(%q) accepted it", body)
		}
	}
}

// FuzzParseCreditProgress checks the progress parser never panics and
// returns only known fields, each once.
func FuzzParseCreditProgress(f *testing.F) {
	for _, s := range []string{`{"filled":["fullName"]}`, `{"filled":[]}`, `{"filled":["x","x"]}`, `{}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := mall.ParseCreditProgress(body)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g] || !strings.Contains(strings.Join(mall.CreditFields, ","), g) {
				t.Fatalf("accepted %q: %v", body, got)
			}
			seen[g] = true
		}
	})
}

// FuzzParseSendCredit checks the send parser never panics and never
// accepts an empty or overlong engagement id.
func FuzzParseSendCredit(f *testing.F) {
	f.Add([]byte(`{"entryId":"qe_1"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		id, err := mall.ParseSendCredit(body)
		if err == nil && (id == "" || len(id) > 64) {
			t.Fatalf("accepted %q", id)
		}
	})
}
