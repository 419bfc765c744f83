package app

import (
	"context"
	"fmt"
	"time"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/appointments"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
)

// DemoAdminEmail is the demo administrator's email.
const DemoAdminEmail = "admin@demo.livemall.example"

// DemoReport says what SeedDemo found and made.
type DemoReport struct {
	Stores, Products, AddOns, Staff, Members int
	StoreSlugs                               []string
}

// SeedDemo fills the database with the demo mall: stores, catalog, one agent
// and one supervisor per store, members (one under 18) and an admin. Running
// it again changes nothing.
func (s *Services) SeedDemo(ctx context.Context) (*DemoReport, error) {
	rep, err := mall.SeedDemo(ctx, s.DB.DB)
	if err != nil {
		return nil, fmt.Errorf("seed demo mall: %w", err)
	}
	out := &DemoReport{Stores: len(rep.Stores), Products: rep.Products, AddOns: rep.AddOns}
	for _, st := range rep.Stores {
		out.StoreSlugs = append(out.StoreSlugs, st.Slug)
	}
	for _, st := range rep.Stores {
		if _, err := s.Numbers.EnsureStoreNumber(ctx, st.ID); err != nil {
			return nil, fmt.Errorf("seed sales number of %s: %w", st.Slug, err)
		}
	}
	if out.Staff, err = s.Staff.SeedDemoStaff(ctx, rep.Stores); err != nil {
		return nil, fmt.Errorf("seed demo staff: %w", err)
	}
	if err := appointments.SeedDemoHours(ctx, s.DB.DB, s.Catalog, s.Accounts); err != nil {
		return nil, err
	}
	if out.Members, err = directory.SeedDemoMembers(ctx, s.DB.DB, s.Auth, s.Verifier, time.Now()); err != nil {
		return nil, fmt.Errorf("seed demo members: %w", err)
	}
	if _, err := s.Auth.FindAccountByEmail(ctx, DemoAdminEmail); apperr.Is(err, apperr.NotFound) {
		if _, err := s.Auth.CreateAccount(ctx, auth.NewAccount{Role: auth.RoleAdmin, Name: "Mall Admin", Email: DemoAdminEmail}); err != nil {
			return nil, fmt.Errorf("seed demo admin: %w", err)
		}
	} else if err != nil {
		return nil, err
	}
	return out, nil
}

// DemoLink is a demo account waiting for its first passkey and the link that
// registers it.
type DemoLink struct {
	Role  auth.Role
	Name  string
	Email string
	Store string
	URL   string
}

// DemoLinkTTL is how long the enrollment links that `serve --demo` and
// `seed --demo` print stay valid: a day, not the week of an operator's link,
// since they are printed again at every start.
const DemoLinkTTL = 24 * time.Hour

// DemoEnrollmentLinks issues fresh one-time links, valid for DemoLinkTTL,
// for the demo staff and admin that have no passkey yet, in skyline order.
// The links are for the terminal only: callers print them, never log them.
func (s *Services) DemoEnrollmentLinks(ctx context.Context, publicURL string) ([]DemoLink, error) {
	stores, err := s.Catalog.ListStores(ctx)
	if err != nil {
		return nil, err
	}
	var emails []string
	storeOf := map[string]string{}
	for _, st := range stores {
		for _, sup := range []bool{false, true} {
			e := agentdesk.DemoStaffEmail(st.Store.Slug, sup)
			emails = append(emails, e)
			storeOf[e] = st.Store.Name
		}
	}
	emails = append(emails, DemoAdminEmail)
	var links []DemoLink
	for _, e := range emails {
		a, err := s.Auth.FindAccountByEmail(ctx, e)
		if apperr.Is(err, apperr.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		has, err := s.Auth.HasPasskey(ctx, a.ID)
		if err != nil || has {
			if err != nil {
				return nil, err
			}
			continue
		}
		token, err := s.Auth.IssueEnrollmentValidFor(ctx, a.ID, DemoLinkTTL)
		if err != nil {
			return nil, err
		}
		links = append(links, DemoLink{Role: a.Role, Name: a.Name, Email: a.Email, Store: storeOf[e], URL: auth.EnrollmentLink(publicURL, a.Role, token)})
	}
	return links, nil
}
