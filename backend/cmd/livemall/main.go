// Command livemall is the whole product in one binary: `serve` (the
// default) runs a node; `migrate`, `seed`, `agent`, `member` and `account`
// are operator tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/livemall/livemall/backend/config"
)

const usage = `livemall: the live-sales mall in one binary

usage:
  livemall [serve] [flags]                 run a node (default :8080, data in ./data)
  livemall migrate up|down|status [flags]  apply, roll back one, or list migrations
  livemall seed --demo [flags]             create the demo mall (idempotent)
  livemall agent add --store SLUG --email E [--name N] [--supervisor] [flags]
                                           add a store agent and print their enrollment link
  livemall member add --name N --email E --birthdate YYYY-MM-DD [--vanity NUMBER] [--address A] [flags]
                                           provision a member: prints their number and enrollment link
  livemall account recover --email E [--by NAME] [flags]
                                           print a one-hour, one-time link that adds a passkey (audited)
  livemall account revoke --email E [--passkeys] [flags]
                                           sign the account out everywhere, kill its unused links (and remove its passkeys)

common flags (each also as LIVEMALL_* env):
  --addr, --data, --database-url, --nats-url, --public-url
run 'livemall COMMAND -h' for a command's flags.
`

func main() {
	setUpLogging(os.Stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "livemall:", err)
		os.Exit(1)
	}
}

// errUsage means the command line was wrong; the message was printed.
var errUsage = errors.New("usage")

// run dispatches to a subcommand.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout)
	case "migrate":
		return runMigrate(ctx, args, stdout)
	case "seed":
		return runSeed(ctx, args, stdout)
	case "agent":
		return runAgent(ctx, args, stdout)
	case "member":
		return runMember(ctx, args, stdout)
	case "account":
		return runAccount(ctx, args, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(os.Stderr, "livemall: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// parseConfig reads the defaults, the environment and then the flags of a
// subcommand; more registers the subcommand's own flags.
func parseConfig(name string, args []string, more func(*flag.FlagSet)) (config.Config, []string, error) {
	cfg := config.Default()
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		return cfg, nil, err
	}
	fs := flag.NewFlagSet("livemall "+name, flag.ContinueOnError)
	cfg.Bind(fs)
	if more != nil {
		more(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, nil, err
		}
		return cfg, nil, errUsage
	}
	if err := cfg.Validate(); err != nil {
		return cfg, nil, err
	}
	return cfg, fs.Args(), nil
}

// setUpLogging logs text to a terminal and JSON to anything else.
func setUpLogging(w *os.File) {
	var h slog.Handler
	if fi, err := w.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	} else {
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo})
	}
	slog.SetDefault(slog.New(h))
}
