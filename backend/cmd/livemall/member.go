package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"gorm.io/gorm"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/directory"
)

// runMember is `livemall member add`: an operator provisions a member, as a
// company registering its staff would. The email counts as verified. It is
// safe to run while a server uses the same data, and many at once.
func runMember(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(os.Stderr, "usage: livemall member add --name N --email E --birthdate YYYY-MM-DD [--vanity NUMBER] [--address A] [flags]")
		return errUsage
	}
	n := auth.NewAccount{Role: auth.RoleMember, ByOperator: true}
	cfg, _, err := parseConfig("member add", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&n.Name, "name", "", "the member's name (required)")
		fs.StringVar(&n.Email, "email", "", "the member's email (required)")
		fs.StringVar(&n.BirthDate, "birthdate", "", "birth date YYYY-MM-DD (required)")
		fs.StringVar(&n.Vanity, "vanity", "", "a specific number to give them, if free")
		fs.StringVar(&n.Address, "address", "", "postal address")
	})
	if err != nil {
		return err
	}
	if n.Name == "" || n.Email == "" || n.BirthDate == "" {
		return errors.New("member add: --name, --email and --birthdate are required")
	}
	return withServices(ctx, &cfg, func(svc *app.Services) error {
		if n.Vanity != "" {
			num, err := directory.ParseNumber(n.Vanity)
			if err != nil {
				return fmt.Errorf("member add: --vanity: %s", errorText(err))
			}
			if err := svc.Numbers.CheckFree(ctx, num); err != nil {
				return fmt.Errorf("member add: %s", errorText(err))
			}
		}
		a, err := svc.Auth.CreateAccount(ctx, n)
		if err != nil {
			return fmt.Errorf("member add: %s", errorText(err))
		}
		if err := svc.DB.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return svc.Verifier.MarkVerified(ctx, tx, a.ID)
		}); err != nil {
			return err
		}
		nums, err := svc.Numbers.NumbersOf(ctx, a.ID)
		if err != nil || len(nums) == 0 {
			return fmt.Errorf("member add: no number was given out: %v", err)
		}
		token, err := svc.Auth.IssueEnrollment(ctx, a.ID)
		if err != nil {
			return err
		}
		note := ""
		if n.Vanity != "" && nums[0].Kind != directory.KindVanity {
			note = " (the vanity number was taken a moment ago; this is the next free one)"
		}
		fmt.Fprintf(stdout, "added member %s <%s>\n", a.Name, a.Email)
		fmt.Fprintf(stdout, "number: %s%s\n", nums[0].Number, note)
		fmt.Fprintf(stdout, "enrollment link (one-time, valid 7 days): %s\n", auth.EnrollmentLink(cfg.PublicURL, a.Role, token))
		return nil
	})
}
