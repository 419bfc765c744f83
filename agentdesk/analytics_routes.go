package agentdesk

import (
	"bytes"
	"regexp"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
)

// accountIDPattern is what an account id in ?agent= may look like; anything
// else is refused before a query.
var accountIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// reportQueryOf reads GET /desk/analytics's query for the signed-in staff
// member: the range, and whose figures. A supervisor sees the store's
// figures with every agent's, or one agent's of the store (?agent=); an
// agent sees only their own, whatever they ask.
func (d *Desk) reportQueryOf(c *fiber.Ctx) (ReportQuery, error) {
	a, err := staffAccount(c)
	if err != nil {
		return ReportQuery{}, err
	}
	q := ReportQuery{StoreID: *a.StoreID, Preset: c.Query("range"), From: c.Query("from"), To: c.Query("to")}
	agent := c.Query("agent")
	if agent != "" && !accountIDPattern.MatchString(agent) {
		return ReportQuery{}, apperr.New(apperr.Invalid, "agent must be an agent's account id")
	}
	switch a.Role {
	case auth.RoleSupervisor:
		if agent != "" && agent != a.ID {
			staff, err := d.engagements.accounts.StaffOf(c.UserContext(), *a.StoreID, auth.RoleAgent, auth.RoleSupervisor)
			if err != nil {
				return ReportQuery{}, err
			}
			if !slices.Contains(staff, agent) {
				return ReportQuery{}, apperr.New(apperr.NotFound, "no agent %q in your store", agent)
			}
		}
		q.AgentID = agent
	default:
		if agent != "" && agent != a.ID {
			return ReportQuery{}, apperr.New(apperr.Forbidden, "agents see only their own figures: your store's supervisor sees everyone's")
		}
		q.AgentID = a.ID
	}
	return q, nil
}

// handleAnalytics answers GET /desk/analytics: the figures for a range of
// the store's days (range=today|7d|30d, or from=…&to=… as YYYY-MM-DD).
func (d *Desk) handleAnalytics(c *fiber.Ctx) error {
	q, err := d.reportQueryOf(c)
	if err != nil {
		return err
	}
	r, err := d.engagements.Report(c.UserContext(), q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(r)
}

// handleAnalyticsCSV answers GET /desk/analytics.csv: the same figures as
// a CSV file to download.
func (d *Desk) handleAnalyticsCSV(c *fiber.Ctx) error {
	q, err := d.reportQueryOf(c)
	if err != nil {
		return err
	}
	r, err := d.engagements.Report(c.UserContext(), q)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteReportCSV(&buf, r); err != nil {
		return err
	}
	name := "livemall-" + r.Store.Slug + "-" + r.Range.First + "-" + r.Range.Last + ".csv"
	if r.Agent != nil {
		name = "livemall-" + r.Store.Slug + "-agent-" + r.Range.First + "-" + r.Range.Last + ".csv"
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
