package agentdesk

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// reportColumns are the CSV export's columns after "period" and "agent".
var reportColumns = []string{
	"offered", "answered", "abandoned", "answered_within_service_level", "service_level",
	"average_wait_seconds", "average_handle_seconds", "converted_calls", "conversion",
	"orders", "orders_with_add_ons", "attach_rate", "revenue", "add_on_revenue", "assisted_orders", "assisted_revenue", "currency",
}

// SafeCell makes s safe to open in a spreadsheet: a cell starting with
// = + - @ (or a tab or carriage return, which some spreadsheets skip
// before reading a formula) is prefixed with an apostrophe, so it is shown
// as text and never run as a formula.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteReportCSV writes the report as CSV (RFC 4180: CRLF line ends, quotes
// where needed): a header, one row per day, a row for the whole range,
// then one row per agent of a store's report. Every text cell passes
// through SafeCell.
func WriteReportCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	who := "All agents"
	if r.Agent != nil {
		who = r.Agent.Name
	}
	whole := r.Range.First + " to " + r.Range.Last
	rows := [][]string{append([]string{"period", "agent"}, reportColumns...)}
	for _, d := range r.Days {
		rows = append(rows, reportRow(d.Day, who, &d.Figures, r.Currency))
	}
	rows = append(rows, reportRow(whole, who, &r.Totals, r.Currency))
	for _, a := range r.Agents {
		rows = append(rows, reportRow(whole, a.Name, &a.Figures, r.Currency))
	}
	for _, row := range rows {
		for i := range row {
			row[i] = SafeCell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write report csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

func reportRow(period, who string, f *Figures, currency string) []string {
	n := strconv.Itoa
	return []string{period, who, n(f.Offered), n(f.Answered), n(f.Abandoned), n(f.WithinServiceLevel), decimal(f.ServiceLevel, 4),
		decimal(f.AverageWaitSeconds, 1), decimal(f.AverageHandleSeconds, 1), n(f.Converted), decimal(f.Conversion, 4),
		n(f.Orders), n(f.OrdersWithAddOns), decimal(f.AttachRate, 4), money(f.RevenueMinor), money(f.AddOnRevenueMinor),
		n(f.AssistedOrders), money(f.AssistedRevenueMinor), currency}
}

// decimal writes v with the given decimals; no value is an empty cell.
func decimal(v *float64, places int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', places, 64)
}

// money writes minor units as a decimal amount: 12345 is 123.45.
func money(minor int64) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}
