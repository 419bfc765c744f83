package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/database"
)

// runMigrate is `livemall migrate up|down|status`.
func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	action := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		action, args = args[0], args[1:]
	}
	cfg, rest, err := parseConfig("migrate", args, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 || (action != "up" && action != "down" && action != "status") {
		fmt.Fprintln(os.Stderr, "usage: livemall migrate up|down|status [flags]")
		return errUsage
	}
	db, err := database.Open(ctx, database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	switch action {
	case "up":
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	case "down":
		if err := db.MigrateDown(ctx); err != nil {
			return err
		}
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s database migrations:\n", db.Dialect)
	for _, s := range st {
		state := "pending"
		if s.AppliedAt != nil {
			state = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(stdout, "  %05d  %-28s %s\n", s.Version, s.File, state)
	}
	return nil
}

// runSeed is `livemall seed --demo`.
func runSeed(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, _, err := parseConfig("seed", args, nil)
	if err != nil {
		return err
	}
	if !cfg.Demo {
		fmt.Fprintln(os.Stderr, "usage: livemall seed --demo [flags]  (the demo is the only seed there is)")
		return errUsage
	}
	return withServices(ctx, &cfg, func(svc *app.Services) error {
		rep, err := svc.SeedDemo(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "demo mall: %d stores, %d products, %d add-on relations; created %d staff and %d members now\n",
			rep.Stores, rep.Products, rep.AddOns, rep.Staff, rep.Members)
		links, err := svc.DemoEnrollmentLinks(ctx, cfg.PublicURL)
		if err != nil {
			return err
		}
		printWelcome(stdout, "once `livemall serve` runs, the apps are at", cfg.PublicURL, links)
		return nil
	})
}

// runAgent is `livemall agent add`.
func runAgent(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(os.Stderr, "usage: livemall agent add --store SLUG --email E [--name N] [--supervisor] [flags]")
		return errUsage
	}
	var n agentdesk.NewStaffMember
	cfg, _, err := parseConfig("agent add", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&n.StoreSlug, "store", "", "slug of the store the agent works for (required)")
		fs.StringVar(&n.Email, "email", "", "the agent's email (required)")
		fs.StringVar(&n.Name, "name", "", "the agent's name (default: from the email)")
		fs.BoolVar(&n.Supervisor, "supervisor", false, "make them a supervisor of the store")
	})
	if err != nil {
		return err
	}
	if n.StoreSlug == "" || n.Email == "" {
		return errors.New("agent add: --store and --email are required")
	}
	return withServices(ctx, &cfg, func(svc *app.Services) error {
		added, err := svc.Staff.AddStaffMember(ctx, n)
		if err != nil {
			return fmt.Errorf("agent add: %s", errorText(err))
		}
		fmt.Fprintf(stdout, "added %s %s <%s> to %s\n", added.Account.Role, added.Account.Name, added.Account.Email, added.Store.Name)
		fmt.Fprintf(stdout, "enrollment link (one-time, valid 7 days): %s\n", auth.EnrollmentLink(cfg.PublicURL, added.Account.Role, added.EnrollmentToken))
		return nil
	})
}
