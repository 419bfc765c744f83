package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/config"
)

// Main is a running server: Run starts it, Close stops it. Tests use it to
// start the real server on port 0 with a temporary data dir.
type Main struct {
	Config config.Config
	// Stdout receives the human-readable start-up summary.
	Stdout io.Writer

	app *app.App
	ln  net.Listener
	err chan error

	metricsLn   net.Listener
	stopMetrics context.CancelFunc
}

// Run listens, opens everything (seeding the demo first if asked and the
// database is empty) and serves in the background.
func (m *Main) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	m.Config.WithListenPort(ln.Addr().(*net.TCPAddr).Port)
	if m.Config.Demo {
		if err := m.seedDemoIfEmpty(ctx); err != nil {
			ln.Close()
			return err
		}
	}
	a, err := app.New(ctx, m.Config)
	if err != nil {
		ln.Close()
		return err
	}
	m.app = a
	if m.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", m.Config.MetricsAddr)
		if err != nil {
			a.Shutdown()
			ln.Close()
			return fmt.Errorf("listen for metrics on %s: %w", m.Config.MetricsAddr, err)
		}
		m.metricsLn = mln
		var mctx context.Context
		mctx, m.stopMetrics = context.WithCancel(context.Background())
		go func() {
			if err := a.ServeMetrics(mctx, mln); err != nil {
				slog.Error("metrics listener", "err", err)
			}
		}()
		slog.Info("metrics", "addr", mln.Addr().String())
	}
	m.err = make(chan error, 1)
	go func() { m.err <- a.Serve(ln) }()
	slog.Info("serving", "addr", ln.Addr().String(), "url", m.Config.PublicURL)
	return nil
}

// MetricsURL returns the base URL of the metrics listener, "" when it is
// off.
func (m *Main) MetricsURL() string {
	if m.metricsLn == nil {
		return ""
	}
	return "http://" + m.metricsLn.Addr().String()
}

// seedDemoIfEmpty seeds the demo mall into an empty database and prints the
// apps' URLs and the demo staff's enrollment links to Stdout — the terminal,
// never the log stream (slog, on stderr), since each link signs its holder in
// as staff or admin.
func (m *Main) seedDemoIfEmpty(ctx context.Context) error {
	svc, err := app.OpenServices(ctx, m.Config)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	empty, err := svc.DB.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if empty {
		rep, err := svc.SeedDemo(ctx)
		if err != nil {
			return err
		}
		slog.Info("demo seeded", "stores", rep.Stores, "products", rep.Products, "staff", rep.Staff, "members", rep.Members)
	}
	links, err := svc.DemoEnrollmentLinks(ctx, m.Config.PublicURL)
	if err != nil {
		return err
	}
	if m.Stdout != nil {
		printWelcome(m.Stdout, "livemall is up", m.Config.PublicURL, links)
	}
	return nil
}

// printWelcome prints the URLs of the three apps and the enrollment links.
func printWelcome(w io.Writer, heading, base string, links []app.DemoLink) {
	fmt.Fprintf(w, "\n%s\n", heading)
	fmt.Fprintf(w, "  mall:  %s/\n  desk:  %s/desk/\n  phone: %s/phone/\n", base, base, base)
	if len(links) == 0 {
		fmt.Fprintln(w, "\nAll demo staff have registered their passkeys.")
		return
	}
	fmt.Fprintf(w, "\nDemo staff enrollment links (one-time, valid %d hours, dead once the person has a passkey; open one to register that person's passkey):\n", int(app.DemoLinkTTL.Hours()))
	for _, l := range links {
		where := l.Store
		if where == "" {
			where = "the whole mall"
		}
		fmt.Fprintf(w, "  %-10s %-18s %-22s %s\n", l.Role, l.Name, where, l.URL)
	}
	fmt.Fprintln(w)
}

// Close stops accepting, lets in-flight requests finish and closes NATS
// and the database.
func (m *Main) Close() error {
	if m.app == nil {
		return nil
	}
	if m.stopMetrics != nil {
		m.stopMetrics()
	}
	err := m.app.Shutdown()
	select {
	case serr := <-m.err:
		if err == nil {
			err = serr
		}
	case <-time.After(time.Second):
	}
	return err
}

// URL returns the base URL the server answers on.
func (m *Main) URL() string { return m.Config.PublicURL }

// runServe is `livemall serve`: it runs until SIGINT or SIGTERM.
func runServe(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, _, err := parseConfig("serve", args, nil)
	if err != nil {
		return err
	}
	// Offline test payments only when chosen: never by a missing key.
	if err := cfg.ChoosePayments(); err != nil {
		return err
	}
	m := &Main{Config: cfg, Stdout: stdout}
	if err := m.Run(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		slog.Info("shutting down")
	case err := <-m.err:
		m.app.Shutdown()
		return err
	}
	if err := m.Close(); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	slog.Info("stopped")
	return nil
}
