package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/auth"
)

// runAccount is `livemall account recover --email E [--by NAME]`: an
// operator lets a person who lost their passkeys register a new one. It
// prints a one-time recovery link valid for one hour and records in the
// audit table (account_recoveries) who issued it: the operating-system user
// who ran the command, as user@host, preceded by --by when given (--by
// names a person; the OS user is recorded anyway, as it is the one the
// machine vouches for). It is safe to run while a server uses the same data.
func runAccount(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && args[0] == "revoke" {
		return runRevoke(ctx, args[1:], stdout)
	}
	if len(args) == 0 || args[0] != "recover" {
		fmt.Fprintln(os.Stderr, "usage: livemall account recover --email E [--by NAME] [flags]")
		fmt.Fprintln(os.Stderr, "       livemall account revoke --email E [--passkeys] [flags]")
		return errUsage
	}
	var email, by string
	cfg, _, err := parseConfig("account recover", args[1:], func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email of the account to recover (required)")
		fs.StringVar(&by, "by", "", "who issues the link, for the audit (the OS user is recorded as well)")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return errors.New("account recover: --email is required")
	}
	if by != "" {
		if by, err = auth.ParseIssuer(by); err != nil {
			return fmt.Errorf("account recover: --by: %s", errorText(err))
		}
	}
	return withServices(ctx, &cfg, func(svc *app.Services) error {
		a, err := svc.Auth.FindAccountByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("account recover: %s", errorText(err))
		}
		issuer := issuerName(by)
		token, err := svc.Auth.IssueRecovery(ctx, a.ID, issuer)
		if err != nil {
			return fmt.Errorf("account recover: %s", errorText(err))
		}
		fmt.Fprintf(stdout, "recovery for %s %s <%s>, issued by %s\n", a.Role, a.Name, a.Email, issuer)
		fmt.Fprintf(stdout, "recovery link (one-time, valid 1 hour; adds a passkey): %s\n", auth.RecoveryLink(cfg.PublicURL, a.Role, token))
		return nil
	})
}

// issuerName is who the audit records as issuing a recovery link: the OS
// user as user@host, after by when it is set.
func issuerName(by string) string {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	if host, err := os.Hostname(); err == nil && host != "" {
		name += "@" + host
	}
	if by = strings.TrimSpace(by); by != "" {
		return by + " (os user " + name + ")"
	}
	return name
}

// runRevoke is `livemall account revoke --email E [--passkeys]`: an
// operator signs a person out of every browser at once (a stolen laptop, a
// leaked cookie) and kills their unused enrollment and recovery links; with
// --passkeys their passkeys are removed too, so only a new recovery link lets
// them back in. It is safe to run while a server uses the same data: sessions
// are checked in the database on every request, on every node.
func runRevoke(ctx context.Context, args []string, stdout io.Writer) error {
	var email string
	var passkeys bool
	cfg, _, err := parseConfig("account revoke", args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email of the account to sign out everywhere (required)")
		fs.BoolVar(&passkeys, "passkeys", false, "also remove every passkey of the account (it then needs a recovery link)")
	})
	if err != nil {
		return err
	}
	if email == "" {
		return errors.New("account revoke: --email is required")
	}
	return withServices(ctx, &cfg, func(svc *app.Services) error {
		a, err := svc.Auth.FindAccountByEmail(ctx, email)
		if err != nil {
			return fmt.Errorf("account revoke: %s", errorText(err))
		}
		r, err := svc.Auth.RevokeAccess(ctx, a.ID, passkeys)
		if err != nil {
			return fmt.Errorf("account revoke: %s", errorText(err))
		}
		fmt.Fprintf(stdout, "revoked for %s %s <%s>: %d sessions ended, %d unused links killed, %d passkeys removed\n",
			a.Role, a.Name, a.Email, r.Sessions, r.Links, r.Passkeys)
		return nil
	})
}
