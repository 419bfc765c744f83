package mall

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/web"
)

// CreditState is where a store credit application stands.
type CreditState string

// Credit application states: sent by the agent in a call → (filled and
// signed by the member) submitted by the agent → approved by the store's
// rules or by a supervisor, or declined by a supervisor.
const (
	CreditSent      CreditState = "sent"
	CreditSubmitted CreditState = "submitted"
	CreditApproved  CreditState = "approved"
	CreditDeclined  CreditState = "declined"
)

// CreditStep is how far the member got with a sent application.
type CreditStep string

// Steps of a sent application: opened in the call panel, being filled in
// (some fields filled), filled in completely (ready to sign), signed with
// the member's passkey (ready for the agent to submit).
const (
	CreditOpened  CreditStep = "opened"
	CreditFilling CreditStep = "filling"
	CreditFilled  CreditStep = "filled"
	CreditSigned  CreditStep = "signed"
)

// CreditFields are the names of the application's fields, in the form's
// order: what a progress report may list.
var CreditFields = []string{"fullName", "employer", "monthlyIncome", "requestedLimit", "consent"}

// CreditApplication is a member's application for store credit at one
// store. An approved one is a credit line: LimitMinor, of which UsedMinor
// went to paid orders.
type CreditApplication struct {
	ID                  string      `gorm:"column:id;primaryKey"`
	StoreID             int64       `gorm:"column:store_id"`
	AccountID           string      `gorm:"column:account_id"`
	SentBy              string      `gorm:"column:sent_by"`
	State               CreditState `gorm:"column:state"`
	EntryID             string      `gorm:"column:entry_id"`
	Step                CreditStep  `gorm:"column:step"`
	Filled              string      `gorm:"column:filled"` // comma-separated field names
	FullName            string      `gorm:"column:full_name"`
	Employer            string      `gorm:"column:employer"`
	MonthlyIncomeMinor  int64       `gorm:"column:monthly_income_minor"`
	RequestedLimitMinor int64       `gorm:"column:requested_limit_minor"`
	ConsentAt           *time.Time  `gorm:"column:consent_at"`
	SubmittedAt         *time.Time  `gorm:"column:submitted_at"`
	LimitMinor          int64       `gorm:"column:limit_minor"`
	UsedMinor           int64       `gorm:"column:used_minor"`
	DecidedBy           *string     `gorm:"column:decided_by"`
	DecisionReason      string      `gorm:"column:decision_reason"`
	DecidedAt           *time.Time  `gorm:"column:decided_at"`
	// DecidedAutomatically is set when the store's rules approved it.
	DecidedAutomatically bool      `gorm:"column:decided_automatically"`
	CreatedAt            time.Time `gorm:"column:created_at"`
	UpdatedAt            time.Time `gorm:"column:updated_at"`
}

// TableName tells GORM where credit applications live.
func (CreditApplication) TableName() string { return "credit_applications" }

// creditCharge records what an order paid with store credit took.
type creditCharge struct {
	OrderID       string    `gorm:"column:order_id;primaryKey"`
	ApplicationID string    `gorm:"column:application_id"`
	AmountMinor   int64     `gorm:"column:amount_minor"`
	CreatedAt     time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where credit charges live.
func (creditCharge) TableName() string { return "credit_charges" }

// Limits of what an application may ask for and be granted, in minor units.
const (
	MinCreditLimitMinor = 100        // 1.00
	MaxCreditLimitMinor = 5_000_000  // 50,000.00
	maxMonthlyIncome    = 10_000_000 // 100,000.00 a month
)

// CreditForm is what the member fills in.
type CreditForm struct {
	FullName            string `json:"fullName" required:"true"`
	MonthlyIncomeMinor  *int64 `json:"monthlyIncomeMinor"`
	Employer            string `json:"employer" required:"true"`
	RequestedLimitMinor int64  `json:"requestedLimitMinor" required:"true"`
	Consent             bool   `json:"consent"`
}

// CreditDecision is a supervisor's answer to an application.
type CreditDecision struct {
	Approve    *bool  `json:"approve"`
	LimitMinor int64  `json:"limitMinor"`
	Reason     string `json:"reason"`
}

// plainText checks a free-text field: trimmed, within max characters, no
// control characters.
func plainText(field, v string, min, max int) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) {
		return "", apperr.New(apperr.Invalid, "%s is not valid text", field)
	}
	n := utf8.RuneCountInString(v)
	if n < min || n > max {
		return "", apperr.New(apperr.Invalid, "%s must be %d to %d characters, not %d", field, min, max, n)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return "", apperr.New(apperr.Invalid, "%s must be one line of text", field)
		}
	}
	return v, nil
}

// ParseCreditForm decodes and checks the body of PUT
// /credit-applications/{id}: strict JSON, every field present, amounts in
// range and consent given.
func ParseCreditForm(body []byte) (CreditForm, error) {
	var f CreditForm
	if err := web.DecodeJSONBytes(body, &f); err != nil {
		return f, err
	}
	var err error
	if f.FullName, err = plainText("full name", f.FullName, 2, 100); err != nil {
		return f, err
	}
	if f.Employer, err = plainText("employer", f.Employer, 1, 100); err != nil {
		return f, err
	}
	if f.MonthlyIncomeMinor == nil {
		return f, apperr.New(apperr.Invalid, "field \"monthlyIncomeMinor\" is required")
	}
	if *f.MonthlyIncomeMinor < 0 || *f.MonthlyIncomeMinor > maxMonthlyIncome {
		return f, apperr.New(apperr.Invalid, "monthly income must be between 0 and %d cents", maxMonthlyIncome)
	}
	if f.RequestedLimitMinor < MinCreditLimitMinor || f.RequestedLimitMinor > MaxCreditLimitMinor {
		return f, apperr.New(apperr.Invalid, "the requested limit must be between %d and %d cents", MinCreditLimitMinor, MaxCreditLimitMinor)
	}
	if !f.Consent {
		return f, apperr.New(apperr.Invalid, "you must consent to the credit check (consent: true) to apply")
	}
	return f, nil
}

// ParseCreditDecision decodes and checks a supervisor's decision: approve
// with a limit in range, or decline with a reason.
func ParseCreditDecision(body []byte) (CreditDecision, error) {
	var d CreditDecision
	if err := web.DecodeJSONBytes(body, &d); err != nil {
		return d, err
	}
	if d.Approve == nil {
		return d, apperr.New(apperr.Invalid, "field \"approve\" is required: true or false")
	}
	var err error
	if *d.Approve {
		if d.LimitMinor < MinCreditLimitMinor || d.LimitMinor > MaxCreditLimitMinor {
			return d, apperr.New(apperr.Invalid, "an approved limit must be between %d and %d cents", MinCreditLimitMinor, MaxCreditLimitMinor)
		}
		d.Reason, err = plainText("reason", d.Reason, 0, 300)
		return d, err
	}
	if d.LimitMinor != 0 {
		return d, apperr.New(apperr.Invalid, "a declined application has no limit: leave limitMinor out")
	}
	d.Reason, err = plainText("reason", d.Reason, 1, 300)
	if err != nil {
		return d, apperr.New(apperr.Invalid, "say why the application is declined (reason, up to 300 characters)")
	}
	return d, nil
}

// CreditProgress is the body of PUT /credit-applications/{id}/progress:
// the names of the fields the member has filled so far (never their
// values), for the agent's desk.
type CreditProgress struct {
	Filled []string `json:"filled" required:"true"`
}

// ParseCreditProgress decodes and checks a progress report: strict JSON,
// each name one of CreditFields, none twice. It returns the names in the
// form's order.
func ParseCreditProgress(body []byte) ([]string, error) {
	var p CreditProgress
	if err := web.DecodeJSONBytes(body, &p); err != nil {
		return nil, err
	}
	if p.Filled == nil {
		return nil, apperr.New(apperr.Invalid, "field \"filled\" is required: a list of field names, possibly empty")
	}
	if len(p.Filled) > len(CreditFields) {
		return nil, apperr.New(apperr.Invalid, "filled lists %d fields; the application has %d", len(p.Filled), len(CreditFields))
	}
	seen := map[string]bool{}
	for _, f := range p.Filled {
		if !slices.Contains(CreditFields, f) {
			return nil, apperr.New(apperr.Invalid, "%q is not a field of the application: use %s", f, strings.Join(CreditFields, ", "))
		}
		if seen[f] {
			return nil, apperr.New(apperr.Invalid, "%q is listed twice", f)
		}
		seen[f] = true
	}
	out := []string{}
	for _, f := range CreditFields {
		if seen[f] {
			out = append(out, f)
		}
	}
	return out, nil
}
