package mall

import (
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/apperr"
)

const goodCreditForm = `{"fullName":"Ada Lovelace","monthlyIncomeMinor":450000,"employer":"Analytical Engines","requestedLimitMinor":50000,"consent":true}`

func TestParseCreditFormRefusesBadBodies(t *testing.T) {
	tests := []struct{ name, body, message string }{
		{"empty", ``, "malformed JSON"},
		{"null", `null`, `"fullName" is required`},
		{"array", `[1]`, "expected a JSON object"},
		{"no consent", strings.Replace(goodCreditForm, `"consent":true`, `"consent":false`, 1), "consent"},
		{"consent as text", strings.Replace(goodCreditForm, `"consent":true`, `"consent":"yes"`, 1), "true or false"},
		{"no income", strings.Replace(goodCreditForm, `"monthlyIncomeMinor":450000,`, ``, 1), `"monthlyIncomeMinor" is required`},
		{"negative income", strings.Replace(goodCreditForm, `450000`, `-5`, 1), "monthly income"},
		{"huge income", strings.Replace(goodCreditForm, `450000`, `99999999999`, 1), "monthly income"},
		{"fractional income", strings.Replace(goodCreditForm, `450000`, `4500.5`, 1), "must be an integer"},
		{"limit zero", strings.Replace(goodCreditForm, `"requestedLimitMinor":50000`, `"requestedLimitMinor":0`, 1), `"requestedLimitMinor" is required`},
		{"limit too small", strings.Replace(goodCreditForm, `"requestedLimitMinor":50000`, `"requestedLimitMinor":99`, 1), "requested limit"},
		{"limit too large", strings.Replace(goodCreditForm, `"requestedLimitMinor":50000`, `"requestedLimitMinor":5000001`, 1), "requested limit"},
		{"name too short", strings.Replace(goodCreditForm, `Ada Lovelace`, `A`, 1), "2 to 100 characters"},
		{"name too long", strings.Replace(goodCreditForm, `Ada Lovelace`, strings.Repeat("a", 101), 1), "2 to 100 characters"},
		{"name with a tab", strings.Replace(goodCreditForm, `Ada Lovelace`, `Ada\tLovelace`, 1), "one line"},
		{"no employer", strings.Replace(goodCreditForm, `"employer":"Analytical Engines",`, ``, 1), `"employer" is required`},
		{"unknown field", strings.Replace(goodCreditForm, `}`, `,"limitMinor":1}`, 1), "unknown field"},
		{"two objects", goodCreditForm + goodCreditForm, "after the object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCreditForm([]byte(tt.body))
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.Message(err), tt.message) {
				t.Fatalf("got %v, want invalid with %q", err, tt.message)
			}
		})
	}
	f, err := ParseCreditForm([]byte(strings.Replace(goodCreditForm, `"Ada Lovelace"`, `"  Ada Lovelace  "`, 1)))
	if err != nil || f.FullName != "Ada Lovelace" || *f.MonthlyIncomeMinor != 450000 || f.RequestedLimitMinor != 50000 {
		t.Fatalf("good form: %+v %v", f, err)
	}
}

func TestParseCreditDecision(t *testing.T) {
	bad := []string{``, `{}`, `{"approve":true}`, `{"approve":true,"limitMinor":50}`, `{"approve":true,"limitMinor":99999999}`,
		`{"approve":false}`, `{"approve":false,"reason":"  "}`, `{"approve":false,"limitMinor":100,"reason":"no"}`, `{"approve":1}`,
		`{"approve":true,"limitMinor":1000,"extra":1}`, `{"approve":false,"reason":"` + strings.Repeat("x", 301) + `"}`}
	for _, body := range bad {
		if _, err := ParseCreditDecision([]byte(body)); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", body, err)
		}
	}
	if d, err := ParseCreditDecision([]byte(`{"approve":true,"limitMinor":1000}`)); err != nil || !*d.Approve || d.LimitMinor != 1000 {
		t.Fatalf("approve: %+v %v", d, err)
	}
	if d, err := ParseCreditDecision([]byte(`{"approve":false,"reason":" income too low "}`)); err != nil || *d.Approve || d.Reason != "income too low" {
		t.Fatalf("decline: %+v %v", d, err)
	}
}

func TestParsePayMethodAndAgeCheckAndSignFinish(t *testing.T) {
	for body, want := range map[string]string{`{}`: "offline", `{"method":"offline"}`: "offline", `{"method":"credit"}`: StoreCreditProvider} {
		if got, err := ParsePayMethod([]byte(body), "offline"); err != nil || got != want {
			t.Errorf("%s: %q %v", body, got, err)
		}
	}
	for _, body := range []string{`{"method":"stripe"}`, `{"method":1}`, `{"how":"credit"}`, `[]`} {
		if _, err := ParsePayMethod([]byte(body), "offline"); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{`{}`, `{"ceremony":"c"}`, `{"ceremony":"c","credential":null}`, `{"ceremony":"c","credential":[1]}`, `{"ceremony":"c","credential":"x"}`} {
		if _, err := ParseSignFinishRequest([]byte(body)); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%s: %v", body, err)
		}
	}
	if r, err := ParseSignFinishRequest([]byte(`{"ceremony":"c","credential":{"id":"x"}}`)); err != nil || r.Ceremony != "c" {
		t.Fatalf("good finish: %+v %v", r, err)
	}
}

func TestAgeOn(t *testing.T) {
	day := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		birth string
		want  int
		ok    bool
	}{
		{"2005-03-15", 21, true}, // birthday today
		{"2005-03-16", 20, true}, // tomorrow
		{"2005-02-28", 21, true},
		{"2008-03-16", 17, true},
		{"2008-02-29", 18, true},
		{"", 0, false},
		{"15.03.2005", 0, false},
	}
	for _, tt := range tests {
		if got, ok := AgeOn(tt.birth, day); got != tt.want || ok != tt.ok {
			t.Errorf("AgeOn(%q) = %d %v, want %d %v", tt.birth, got, ok, tt.want, tt.ok)
		}
	}
}

// checkParsed fails on a parser that accepted nothing useful or panicked,
// and on errors that are not Invalid.
func checkParsed(t *testing.T, err error) {
	t.Helper()
	if err != nil && !apperr.Is(err, apperr.Invalid) {
		t.Fatalf("not an invalid-input error: %v", err)
	}
}

func FuzzParseCreditForm(f *testing.F) {
	f.Add([]byte(goodCreditForm))
	f.Add([]byte(`{"fullName":"\u0000","monthlyIncomeMinor":1e3}`))
	f.Add([]byte(`{"consent":true}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := ParseCreditForm(body)
		checkParsed(t, err)
		if err == nil && (!form.Consent || form.MonthlyIncomeMinor == nil || form.RequestedLimitMinor < MinCreditLimitMinor ||
			form.RequestedLimitMinor > MaxCreditLimitMinor || strings.TrimSpace(form.FullName) != form.FullName || form.FullName == "") {
			t.Fatalf("accepted a bad form: %+v", form)
		}
	})
}

func FuzzParseCreditDecision(f *testing.F) {
	f.Add([]byte(`{"approve":true,"limitMinor":1000}`))
	f.Add([]byte(`{"approve":false,"reason":"no"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := ParseCreditDecision(body)
		checkParsed(t, err)
		if err == nil && (d.Approve == nil || (*d.Approve && d.LimitMinor < MinCreditLimitMinor) || (!*d.Approve && (d.Reason == "" || d.LimitMinor != 0))) {
			t.Fatalf("accepted a bad decision: %+v", d)
		}
	})
}

func FuzzParseSignFinishRequest(f *testing.F) {
	f.Add([]byte(`{"ceremony":"sig_1","credential":{"id":"x","response":{}}}`))
	f.Add([]byte(`{"ceremony":"","credential":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseSignFinishRequest(body)
		checkParsed(t, err)
		if err == nil && (strings.TrimSpace(r.Ceremony) == "" || len(r.Credential) == 0) {
			t.Fatalf("accepted a bad finish: %+v", r)
		}
	})
}

func FuzzParsePayBody(f *testing.F) {
	f.Add([]byte(`{"method":"credit"}`))
	f.Add([]byte(`{"method":"offline"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParsePayMethod(body, "offline")
		checkParsed(t, err)
		if err == nil && m != "offline" && m != StoreCreditProvider {
			t.Fatalf("pay method %q", m)
		}
	})
}
