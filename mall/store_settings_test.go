package mall_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/mall"
)

const settingsPath = "/api/v1/desk/store-settings"

// settingsBody is a save of the settings s with the given changes.
func settingsBody(s mall.StoreSettings, change func(b map[string]any)) map[string]any {
	b := map[string]any{"version": s.Version, "timeZone": s.TimeZone, "serviceLevelSeconds": s.ServiceLevelSeconds,
		"credit": map[string]any{"maxAutoLimitMinor": s.Credit.MaxAutoLimitMinor, "minAge": s.Credit.MinAge,
			"requireVerifiedEmail": s.Credit.RequireVerifiedEmail, "minPaidOrders": s.Credit.MinPaidOrders}}
	if change != nil {
		change(b)
	}
	return b
}

// readSettings reads the store's settings as its supervisor sees them.
func readSettings(t *testing.T, c *apptest.Client) mall.StoreSettings {
	t.Helper()
	var s mall.StoreSettings
	c.Must(200, "GET", settingsPath, nil).JSON(t, &s)
	return s
}

// storeSettingsRows reads what the database holds for the store: its
// zone, threshold and version, and its credit rules.
func storeSettingsRows(t *testing.T, a *app.App, slug string) string {
	t.Helper()
	var row struct {
		TimeZone            string
		ServiceLevelSeconds int
		SettingsVersion     int64
		MaxAutoLimitMinor   *int64
		MinAge              *int
	}
	if err := a.DB.Raw(`SELECT s.time_zone, s.service_level_seconds, s.settings_version, r.max_auto_limit_minor, r.min_age
		FROM stores s LEFT JOIN credit_rules r ON r.store_id = s.id WHERE s.slug = ?`, slug).Scan(&row).Error; err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(row)
	return string(b)
}

// TestSupervisorChangesStoreSettings: the supervisor saves a time zone, a
// service-level threshold and credit rules; the analytics report counts
// the store's days in the new zone against the new threshold, and the
// appointment slots are laid out in the new zone.
func TestSupervisorChangesStoreSettings(t *testing.T) {
	a := apptest.New(t)
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.WineStore)
	before := readSettings(t, super)
	if before.TimeZone != mall.DemoTimeZone || before.ServiceLevelSeconds != 20 || before.Credit.MaxAutoLimitMinor != 100_000 || before.Currency != "EUR" {
		t.Fatalf("demo settings: %+v", before)
	}

	var saved mall.StoreSettings
	super.Must(200, "PUT", settingsPath, settingsBody(before, func(b map[string]any) {
		b["timeZone"], b["serviceLevelSeconds"] = "America/New_York", 45
		b["credit"] = map[string]any{"maxAutoLimitMinor": 25_000, "minAge": 21, "requireVerifiedEmail": false, "minPaidOrders": 2}
	})).JSON(t, &saved)
	want := mall.CreditRulesSettings{MaxAutoLimitMinor: 25_000, MinAge: 21, RequireVerifiedEmail: false, MinPaidOrders: 2}
	if saved.Version != before.Version+1 || saved.TimeZone != "America/New_York" || saved.ServiceLevelSeconds != 45 || saved.Credit != want {
		t.Fatalf("saved: %+v", saved)
	}
	if again := readSettings(t, super); again.Version != saved.Version || again.TimeZone != saved.TimeZone || again.ServiceLevelSeconds != 45 || again.Credit != want {
		t.Fatalf("read back: %+v", again)
	}

	// The analytics count the new zone's days against the new threshold.
	var report struct {
		Range struct {
			First    string `json:"from"`
			TimeZone string `json:"timeZone"`
		} `json:"range"`
		ServiceLevelSeconds int `json:"serviceLevelSeconds"`
	}
	super.Must(200, "GET", "/api/v1/desk/analytics?range=today", nil).JSON(t, &report)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if report.Range.TimeZone != "America/New_York" || report.ServiceLevelSeconds != 45 || report.Range.First != time.Now().In(ny).Format(time.DateOnly) {
		t.Fatalf("report: %+v, today in New York is %s", report, time.Now().In(ny).Format(time.DateOnly))
	}

	// Appointments: working hours 09:00–10:00 every day are New York's.
	var sc struct {
		Settings map[string]any `json:"settings"`
		Agents   []struct{ ID string }
	}
	super.Must(200, "GET", "/api/v1/desk/appointment-hours", nil).JSON(t, &sc)
	if sc.Settings["timeZone"] != "America/New_York" || len(sc.Agents) == 0 {
		t.Fatalf("hours editor: %+v", sc)
	}
	var hours []map[string]any
	for d := 0; d < 7; d++ {
		hours = append(hours, map[string]any{"agentId": sc.Agents[0].ID, "weekday": d, "start": "09:00", "end": "10:00"})
	}
	super.Must(200, "PUT", "/api/v1/desk/appointment-hours", map[string]any{"settings": sc.Settings, "hours": hours})
	var slots struct {
		TimeZone string `json:"timeZone"`
		Slots    []struct{ Start time.Time }
	}
	apptest.NewClient(t, a).Must(200, "GET", "/api/v1/stores/"+apptest.WineStore+"/appointment-slots", nil).JSON(t, &slots)
	if slots.TimeZone != "America/New_York" || len(slots.Slots) < 10 {
		t.Fatalf("slots: %d in %q", len(slots.Slots), slots.TimeZone)
	}
	for _, s := range slots.Slots {
		if at := s.Start.In(ny); at.Hour() != 9 || (at.Minute() != 0 && at.Minute() != 30) {
			t.Fatalf("slot at %s (New York %s), want 09:00 or 09:30 in New York", s.Start, at.Format(time.Kitchen))
		}
	}
}

// TestStoreSettingsRefusals is every refusal of the settings, one row
// each; after each the store's settings are as they were.
func TestStoreSettingsRefusals(t *testing.T) {
	a := apptest.New(t)
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.WineStore)
	agent := apptest.SignedInAs(t, a, auth.RoleAgent, apptest.WineStore)
	otherSuper := apptest.SignedInAs(t, a, auth.RoleSupervisor, "casa-cucina")
	member := apptest.SignedInAs(t, a, auth.RoleMember, "shop")
	// One save first, so the version a stale form holds is behind.
	stale := readSettings(t, super)
	var cur mall.StoreSettings
	super.Must(200, "PUT", settingsPath, settingsBody(stale, func(b map[string]any) { b["serviceLevelSeconds"] = 30 })).JSON(t, &cur)
	good := func(change func(b map[string]any)) map[string]any { return settingsBody(cur, change) }
	credit := func(k string, v any) func(b map[string]any) {
		return func(b map[string]any) { b["credit"].(map[string]any)[k] = v }
	}
	set := func(k string, v any) func(b map[string]any) { return func(b map[string]any) { b[k] = v } }
	without := func(k string) func(b map[string]any) { return func(b map[string]any) { delete(b, k) } }
	kept := storeSettingsRows(t, a, apptest.WineStore)
	otherKept := storeSettingsRows(t, a, "casa-cucina")
	who := apptest.Actors{"supervisor": super, "agent": agent, "other supervisor": otherSuper, "member": member}

	apptest.RunScenarios(t, a, who, []apptest.Scenario{
		{Name: "read: an agent", Who: "agent", Method: "GET", Path: settingsPath, Status: 403, Code: apperr.Forbidden},
		{Name: "read: a member", Who: "member", Method: "GET", Path: settingsPath, Status: 403, Code: apperr.Forbidden},
		{Name: "read: anonymous", Method: "GET", Path: settingsPath, Status: 401, Code: apperr.Unauthorized},
		{Name: "save: an agent", Who: "agent", Method: "PUT", Path: settingsPath, Body: good(nil), Status: 403, Code: apperr.Forbidden},
		{Name: "save: a member", Who: "member", Method: "PUT", Path: settingsPath, Body: good(nil), Status: 403, Code: apperr.Forbidden},
		{Name: "save: anonymous", Method: "PUT", Path: settingsPath, Body: good(nil), Status: 401, Code: apperr.Unauthorized},
		{Name: "save: other store's supervisor naming this store", Who: "other supervisor", Method: "PUT", Path: settingsPath, Body: good(set("store", apptest.WineStore)), Status: 400, Code: apperr.Invalid, Text: "unknown field"},
		{Name: "save: other store's supervisor with this store's id", Who: "other supervisor", Method: "PUT", Path: settingsPath, Body: good(set("storeId", 1)), Status: 400, Code: apperr.Invalid, Text: "unknown field"},
		{Name: "bad zone", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("timeZone", "Mars/Olympus_Mons")), Status: 400, Code: apperr.Invalid, Text: "time zone"},
		{Name: "zone Local", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("timeZone", "Local")), Status: 400, Code: apperr.Invalid, Text: "time zone"},
		{Name: "empty zone", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("timeZone", "")), Status: 400, Code: apperr.Invalid, Text: "time zone"},
		{Name: "zone as a path", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("timeZone", "../../etc/passwd")), Status: 400, Code: apperr.Invalid, Text: "time zone"},
		{Name: "threshold 0", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("serviceLevelSeconds", 0)), Status: 400, Code: apperr.Invalid, Text: "1 to 3600 seconds"},
		{Name: "threshold 3601", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("serviceLevelSeconds", 3601)), Status: 400, Code: apperr.Invalid, Text: "1 to 3600 seconds"},
		{Name: "threshold a fraction", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("serviceLevelSeconds", 20.5)), Status: 400, Code: apperr.Invalid, Text: "integer"},
		{Name: "negative limit", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("maxAutoLimitMinor", -1)), Status: 400, Code: apperr.Invalid, Text: "automatic credit limit"},
		{Name: "limit too large", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("maxAutoLimitMinor", mall.MaxAutoLimitMinor+1)), Status: 400, Code: apperr.Invalid, Text: "automatic credit limit"},
		{Name: "min age 17", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("minAge", 17)), Status: 400, Code: apperr.Invalid, Text: "18 to 120"},
		{Name: "min age 121", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("minAge", 121)), Status: 400, Code: apperr.Invalid, Text: "18 to 120"},
		{Name: "negative paid orders", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("minPaidOrders", -1)), Status: 400, Code: apperr.Invalid, Text: "0 to 1000"},
		{Name: "paid orders 1001", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("minPaidOrders", 1001)), Status: 400, Code: apperr.Invalid, Text: "0 to 1000"},
		{Name: "verified email not a bool", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("requireVerifiedEmail", "yes")), Status: 400, Code: apperr.Invalid, Text: "true or false"},
		{Name: "non-JSON", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: "time zone please", Status: 400, Code: apperr.Invalid, Text: "malformed JSON"},
		{Name: "non-JSON content type", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: "timeZone=UTC", Headers: []string{"Content-Type", "application/x-www-form-urlencoded"}, Status: 400, Code: apperr.Invalid, Text: "content type"},
		{Name: "empty body", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: "", Status: 400, Code: apperr.Invalid, Text: "empty"},
		{Name: "an array", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: "[]", Status: 400, Code: apperr.Invalid},
		{Name: "two objects", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: `{"version":1}{}`, Status: 400, Code: apperr.Invalid, Text: "after the object"},
		{Name: "unknown field", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("slotMinutes", 30)), Status: 400, Code: apperr.Invalid, Text: "unknown field"},
		{Name: "unknown credit field", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(credit("maxLimit", 5)), Status: 400, Code: apperr.Invalid, Text: "unknown field"},
		{Name: "no version", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(without("version")), Status: 400, Code: apperr.Invalid, Text: `"version" is required`},
		{Name: "no credit rules", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(without("credit")), Status: 400, Code: apperr.Invalid, Text: `"credit" is required`},
		{Name: "credit rule missing", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(func(b map[string]any) { delete(b["credit"].(map[string]any), "minAge") }), Status: 400, Code: apperr.Invalid, Text: "credit.minAge"},
		{Name: "stale version", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: settingsBody(stale, set("timeZone", "UTC")), Status: 409, Code: apperr.Conflict, Text: "changed meanwhile"},
		{Name: "a version from the future", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("version", cur.Version+5)), Status: 409, Code: apperr.Conflict, Text: "reload"},
		{Name: "negative version", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("version", -1)), Status: 400, Code: apperr.Invalid, Text: "version"},
		{Name: "too large", Who: "supervisor", Method: "PUT", Path: settingsPath, Body: good(set("timeZone", strings.Repeat("A", 5000))), Status: 413, Code: apperr.TooLarge},
	}, func(t *testing.T, s apptest.Scenario) {
		if got := storeSettingsRows(t, a, apptest.WineStore); got != kept {
			t.Fatalf("refused, yet the store's settings changed:\n got %s\nwant %s", got, kept)
		}
		if got := storeSettingsRows(t, a, "casa-cucina"); got != otherKept {
			t.Fatalf("refused, yet the other store's settings changed:\n got %s\nwant %s", got, otherKept)
		}
	})

	// Another store's supervisor saving reaches only their own store.
	theirs := readSettings(t, otherSuper)
	otherSuper.Must(200, "PUT", settingsPath, settingsBody(theirs, set("timeZone", "Asia/Tokyo")))
	if got := storeSettingsRows(t, a, apptest.WineStore); got != kept {
		t.Fatalf("another store's save changed this store: %s, was %s", got, kept)
	}
	if got := readSettings(t, otherSuper); got.TimeZone != "Asia/Tokyo" {
		t.Fatalf("their own store: %+v", got)
	}

	// Saves are rate-limited per supervisor (mall.SaveLimit): every save
	// that reaches the database counts, a stale one too.
	busy := apptest.NewClient(t, a)
	added, err := a.Staff.AddStaffMember(t.Context(), agentdesk.NewStaffMember{StoreSlug: "casa-cucina", Email: "busy.supervisor@casa-cucina.test", Supervisor: true})
	if err != nil {
		t.Fatal(err)
	}
	if r := busy.Enroll(added.EnrollmentToken); r.Status != 200 {
		t.Fatalf("enroll: %d %s", r.Status, r.Body)
	}
	var last apptest.Response
	for range mall.SaveLimit.Max + 1 {
		last = busy.Do("PUT", settingsPath, settingsBody(theirs, set("version", 999)))
	}
	apptest.CheckAnswer(t, apptest.Scenario{Method: "PUT", Path: settingsPath, Status: 429, Code: apperr.RateLimited, Text: "too many saves"}, last)
}

// TestCreditRulesEditedDecideTheNextApplication: an application the demo
// rules approve on their own goes to a supervisor once the supervisor
// lowered the automatic limit below it, at once.
func TestCreditRulesEditedDecideTheNextApplication(t *testing.T) {
	a := apptest.New(t)
	super := apptest.SignedInAs(t, a, auth.RoleSupervisor, apptest.WineStore)
	// apply runs an application of €200 through a call with a new agent
	// (an agent has one live call) to its submission and returns the
	// submission's answer.
	apply := func(name string) string {
		agent := apptest.AgentOf(t, a, apptest.WineStore, "Agent of "+name)
		t.Helper()
		m := apptest.ShopperBorn(t, a, name, apptest.BornYearsAgo(30))
		if err := a.Verifier.MarkVerified(t.Context(), a.DB.DB, m.AccountID()); err != nil {
			t.Fatal(err)
		}
		entry := liveEngagement(t, a, apptest.WineStore, agent, m)
		var sent struct {
			Application struct{ ApplicationID string }
		}
		agent.Must(201, "POST", "/api/v1/desk/credit-applications", map[string]string{"entryId": entry}).JSON(t, &sent)
		id := sent.Application.ApplicationID
		m.Must(200, "PUT", "/api/v1/credit-applications/"+id,
			fmt.Sprintf(`{"fullName":%q,"monthlyIncomeMinor":320000,"employer":"Acme Ltd","requestedLimitMinor":20000,"consent":true}`, name))
		m.Must(200, "POST", "/api/v1/credit-applications/"+id+"/sign/finish", signCredit(m, id))
		return agent.Must(200, "POST", "/api/v1/desk/credit-applications/"+id+"/submit", nil).Body
	}
	if r := apply("Ada Approved"); !strings.Contains(r, `"state":"approved"`) || !strings.Contains(r, `"automatic":true`) {
		t.Fatalf("within the demo rules (€1,000): %s", r)
	}
	s := readSettings(t, super)
	super.Must(200, "PUT", settingsPath, settingsBody(s, func(b map[string]any) { b["credit"].(map[string]any)["maxAutoLimitMinor"] = 10_000 }))
	r := apply("Bo Supervised")
	if strings.Contains(r, `"state":"approved"`) || !strings.Contains(r, `"state":"submitted"`) || !strings.Contains(r, `"automatic":false`) {
		t.Fatalf("over the new limit (€100): %s", r)
	}
	// It waits on the supervisor's desk.
	if list := super.Must(200, "GET", "/api/v1/desk/credit-applications", nil).Body; !strings.Contains(list, "Bo Supervised") {
		t.Fatalf("the supervisor's desk: %s", list)
	}
}

// FuzzStoreSettingsInput feeds the settings parser arbitrary bodies: it
// never panics, and what it takes is within the bounds it promises.
func FuzzStoreSettingsInput(f *testing.F) {
	f.Add([]byte(`{"version":0,"timeZone":"Europe/Berlin","serviceLevelSeconds":20,"credit":{"maxAutoLimitMinor":100000,"minAge":18,"requireVerifiedEmail":true,"minPaidOrders":0}}`))
	f.Add([]byte(`{"version":3,"timeZone":"America/St_Johns","serviceLevelSeconds":3600,"credit":{"maxAutoLimitMinor":0,"minAge":120,"requireVerifiedEmail":false,"minPaidOrders":1000}}`))
	f.Add([]byte(`{"version":-1,"timeZone":"Local","serviceLevelSeconds":0,"credit":null}`))
	f.Add([]byte(`{"timeZone":"../../etc/passwd"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := mall.ParseStoreSettings(body)
		if err != nil {
			if c := apperr.Code(err); c != apperr.Invalid && c != apperr.TooLarge {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		if _, err := mall.LoadStoreZone(in.TimeZone); err != nil || in.Version < 0 ||
			in.ServiceLevelSeconds < 1 || in.ServiceLevelSeconds > 3600 || in.Credit.MaxAutoLimitMinor < 0 || in.Credit.MaxAutoLimitMinor > mall.MaxAutoLimitMinor ||
			in.Credit.MinAge < 18 || in.Credit.MinAge > 120 || in.Credit.MinPaidOrders < 0 || in.Credit.MinPaidOrders > 1000 {
			t.Fatalf("took %+v from %q", in, body)
		}
	})
}
