package directory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/livemall/livemall/backend/apperr"
)

// ListFilter selects members of the merged directory; zero fields match all.
type ListFilter struct {
	// Query matches names (case-insensitive substring) or, when it holds
	// only digits, spaces, dashes and dots, number prefixes.
	Query string
	// Interest matches one interest exactly.
	Interest string
	// OnlineOnly keeps members who are reachable now.
	OnlineOnly bool
	// Cursor continues a previous page.
	Cursor string
	// Limit is the page size: 1–100, 25 when 0.
	Limit int
}

// Listing is one member in the merged directory.
type Listing struct {
	AccountID string   `json:"accountId"`
	Name      string   `json:"name"`
	Number    Number   `json:"number"`
	Display   string   `json:"display"`
	Interests []string `json:"interests"`
	State     State    `json:"state"`
	// Region is the home region of a member homed in another region;
	// empty for this region's members.
	Region string `json:"region,omitempty"`
}

// cursor is the position after the last listing of a page.
type cursor struct {
	Name string `json:"n"`
	ID   string `json:"i"`
}

var digitsOnly = regexp.MustCompile(`^[0-9 .-]+$`)

// List returns one page of listed members with a verified email, joined
// with their presence, ordered by name, and the cursor of the next page
// ("" on the last page).
func (s *Service) List(ctx context.Context, f ListFilter) ([]Listing, string, error) {
	if f.Limit == 0 {
		f.Limit = 25
	}
	if f.Limit < 1 || f.Limit > 100 {
		return nil, "", apperr.New(apperr.Invalid, "limit must be between 1 and 100")
	}
	// Only members' profiles carry a name (see migration 00015). Members
	// homed in other regions come from region_entries, with the same
	// filters; their state is the one their home region publishes.
	local := s.db.Table("member_profiles AS p").
		Select("p.account_id, p.name, n.number, p.interests, '' AS region").
		Joins("JOIN numbers n ON n.account_id = p.account_id AND n.is_primary").
		Where("p.name <> '' AND p.listed AND p.email_verified_at IS NOT NULL")
	remote := s.db.Table("region_entries AS p").
		Select("p.account_id, p.name, p.number, p.interests, p.region").
		Where("p.is_primary AND p.listed")
	if query := strings.TrimSpace(f.Query); query != "" {
		if len(query) > 100 {
			return nil, "", apperr.New(apperr.Invalid, "search text is longer than 100 characters")
		}
		if digitsOnly.MatchString(query) {
			prefix := numberPrefix(query) + "%"
			local = local.Where("EXISTS (SELECT 1 FROM numbers x WHERE x.account_id = p.account_id AND x.number LIKE ?)", prefix)
			remote = remote.Where("EXISTS (SELECT 1 FROM region_entries x WHERE x.account_id = p.account_id AND x.number LIKE ?)", prefix)
		} else {
			like := "%" + escapeLike(strings.ToLower(query)) + "%"
			local = local.Where("LOWER(p.name) LIKE ? ESCAPE '\\'", like)
			remote = remote.Where("LOWER(p.name) LIKE ? ESCAPE '\\'", like)
		}
	}
	if f.Interest != "" {
		tag, err := normalizeInterest(f.Interest)
		if err != nil {
			return nil, "", err
		}
		like := "%," + escapeLike(tag) + ",%"
		local = local.Where("p.interests LIKE ? ESCAPE '\\'", like)
		remote = remote.Where("p.interests LIKE ? ESCAPE '\\'", like)
	}
	if f.OnlineOnly {
		online := s.presence.OnlineAccounts()
		ids := make([]string, 0, len(online))
		for id := range online {
			ids = append(ids, id)
		}
		elsewhere := s.remoteOnline()
		if len(ids) == 0 && len(elsewhere) == 0 {
			return []Listing{}, "", nil
		}
		local = whereAccountIn(local, ids)
		remote = whereAccountIn(remote, elsewhere)
	}
	q := s.db.WithContext(ctx).Table("(? UNION ALL ?) AS d", local, remote).Select("d.account_id, d.name, d.number, d.interests, d.region")
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		q = q.Where("(LOWER(d.name) > ? OR (LOWER(d.name) = ? AND d.account_id > ?))", c.Name, c.Name, c.ID)
	}
	var rows []struct {
		AccountID string
		Name      string
		Number    Number
		Interests string
		Region    string
	}
	if err := q.Order("LOWER(d.name), d.account_id").Limit(f.Limit + 1).Scan(&rows).Error; err != nil {
		return nil, "", fmt.Errorf("list directory: %w", err)
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = encodeCursor(cursor{Name: strings.ToLower(last.Name), ID: last.AccountID})
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.AccountID
	}
	states, err := s.States(ctx, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]Listing, 0, len(rows))
	for _, r := range rows {
		l := Listing{AccountID: r.AccountID, Name: r.Name, Number: r.Number, Display: r.Number.String(), Interests: splitInterests(r.Interests), State: states[r.AccountID], Region: r.Region}
		if r.Region != "" {
			l.State = s.remoteState(r.AccountID, r.Region) // as their home region says
		}
		if f.OnlineOnly && (l.State == StateOffline || l.State == StatePush) {
			continue
		}
		out = append(out, l)
	}
	return out, next, nil
}

func encodeCursor(c cursor) string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == "" {
		return c, apperr.New(apperr.Invalid, "cursor is not one this server gave out: start from the first page")
	}
	return c, nil
}

// escapeLike escapes LIKE wildcards so user text matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
