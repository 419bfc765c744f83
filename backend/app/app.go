// Package app wires livemall together: it opens the database and the bus,
// builds the services of every slice, and registers their routes on one
// Fiber app. backend/cmd/livemall runs it; tests start it on port 0.
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/blob"
	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/backend/database"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/mail"
	"github.com/livemall/livemall/backend/web"
	"github.com/livemall/livemall/directory"
	"github.com/livemall/livemall/mall"
	"github.com/livemall/livemall/media"
)

// App is a running livemall node's parts.
type App struct {
	Services
	Config    config.Config
	Bus       *bus.Bus
	Signaling *media.Signaling
	Directory *directory.Service
	Calls     *directory.Calls
	Router    *agentdesk.Router
	Boards    *agentdesk.Whiteboard // the engagements' shared whiteboards
	Shop      *mall.Shop
	Closing   *mall.Closing // age checks, order signatures, store credit; the engagement layer wires its hooks
	Webhook   *mall.StripeWebhook
	SFU       *media.SFU
	TURN      *media.TURNServer
	Fiber     *fiber.App
	// Limits counts the abuse limits in NATS, shared by every node.
	Limits *limits.Counter
	// Metrics is the Prometheus registry ServeMetrics serves, apart from
	// the public port.
	Metrics *prometheus.Registry

	// MallPresence shows members who chose to be seen on the buildings.
	MallPresence *mall.Presence

	stopSweep func() // ends the sweep of payment holds
}

// Services is the part of App that commands without a server (seed, agent
// add) need: the database and the slices' services.
type Services struct {
	DB       *database.DB
	Auth     *auth.Service
	Catalog  *mall.Catalog
	Staff    *agentdesk.Staff
	Numbers  *directory.Numbers
	Verifier *directory.EmailVerifier
}

// OpenServices opens and migrates the database and builds the services.
// cfg.PublicURL must be set (it is the WebAuthn origin).
func OpenServices(ctx context.Context, cfg config.Config) (*Services, error) {
	db, err := database.Open(ctx, database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a, err := auth.New(db.DB, auth.Config{PublicURL: cfg.PublicURL})
	if err != nil {
		db.Close()
		return nil, err
	}
	numbers, err := directory.NewNumbers(db.DB, cfg.NumberBlockStart)
	if err != nil {
		db.Close()
		return nil, err
	}
	sender, err := mailSender(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	verifier := directory.NewEmailVerifier(db.DB, sender, cfg.PublicURL)
	catalog := mall.NewCatalog(db.DB)
	svc := &Services{DB: db, Auth: a, Catalog: catalog, Staff: agentdesk.NewStaff(a, catalog), Numbers: numbers, Verifier: verifier}
	a.SetHooks(svc.authHooks(nil))
	return svc, nil
}

// authHooks connects sign-up and sign-in to the directory: numbers for new
// accounts, device sign-ins, the verification mail after sign-up, and
// signedOut (presence) when a node runs.
func (s *Services) authHooks(signedOut func(ctx context.Context, accountID, deviceID string) error) auth.Hooks {
	return s.Numbers.AuthHooks(func(ctx context.Context, acc *auth.Account) {
		if err := s.Verifier.SendVerification(ctx, acc.ID); err != nil {
			slog.Warn("send email verification", "account", acc.ID, "err", err)
		}
	}, signedOut)
}

// mailSender sends through SMTP when configured, else into the outbox.
func mailSender(cfg config.Config) (mail.Sender, error) {
	if cfg.SMTPURL != "" {
		return mail.NewSMTP(cfg.SMTPURL, cfg.MailFrom)
	}
	return mail.NewOutbox(filepath.Join(cfg.DataDir, "outbox"), cfg.MailFrom), nil
}

// New opens everything a node needs and builds its HTTP app. cfg.PublicURL
// must be set. Close releases what New opened.
func New(ctx context.Context, cfg config.Config) (*App, error) {
	svc, err := OpenServices(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b, err := bus.Open(ctx, bus.Config{URL: cfg.NATSURL, DataDir: cfg.DataDir, Name: "livemall"})
	if err != nil {
		svc.DB.Close()
		return nil, err
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	counter, err := limits.Open(ctx, b.JS, cfg.Limits)
	if err != nil {
		b.Close()
		svc.DB.Close()
		return nil, err
	}
	sig := &media.Signaling{PublicURL: cfg.PublicURL, Node: cfg.Node, Bus: b.Conn, Limits: counter, Device: svc.Auth.DeviceOf}
	dir, err := directory.NewService(ctx, svc.DB.DB, svc.Numbers, b.JS, sig, directory.Config{Node: cfg.Node, PresenceTTL: cfg.PresenceTTL, Heartbeat: cfg.Heartbeat, Limits: counter})
	if err != nil {
		b.Close()
		svc.DB.Close()
		return nil, err
	}
	svc.Auth.SetHooks(svc.authHooks(dir.SignedOut))
	a := &App{Services: *svc, Config: cfg, Bus: b, Signaling: sig, Directory: dir, Limits: counter}
	if err := a.startCalls(); err != nil {
		a.Shutdown()
		return nil, err
	}
	if err := a.startShop(); err != nil {
		a.Shutdown()
		return nil, err
	}
	a.startRouter()
	// The CSRF key is shared through NATS so that every node issues and
	// accepts the same tokens.
	csrfKey, err := b.SharedSecret(ctx, "csrf")
	if err != nil {
		a.Shutdown()
		return nil, err
	}
	a.Fiber = a.routes(csrfKey)
	return a, nil
}

// startShop builds carts, orders and the payment provider: Stripe in
// Stripe mode, else offline test payments (chosen explicitly: serve
// refuses to pick them silently). It starts the sweep that ends the holds
// of unconfirmed payments.
func (a *App) startShop() error {
	cfg := a.Config
	var provider mall.PaymentProvider = mall.Offline{}
	if cfg.StripeMode() {
		s, err := mall.NewStripe(mall.StripeConfig{SecretKey: cfg.StripeSecretKey, PublishableKey: cfg.StripePublishableKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL})
		if err != nil {
			return err
		}
		provider = s
		a.Webhook = &mall.StripeWebhook{Secret: cfg.StripeWebhookSecret}
	}
	a.Catalog.SetAgentsOnline(a.agentsOnline)
	a.MallPresence = mall.NewPresence(a.DB.DB, a.Catalog)
	a.Catalog.SetVisitors(a.MallPresence.VisitorsIn)
	carts := mall.NewCarts(a.DB.DB, a.Catalog, a.Bus.Conn)
	orders := mall.NewOrders(a.DB.DB, carts, provider, cfg.PaymentHold)
	a.stopSweep = sweepHolds(orders)
	a.Shop = mall.NewShop(carts, orders, strings.HasPrefix(cfg.PublicURL, "https://"), a.Auth)
	a.Shop.Limits = a.Limits
	a.Closing = mall.NewClosing(a.Shop, a.Auth)
	if a.Webhook != nil {
		a.Webhook.Orders = orders
	}
	return nil
}

// sweepHolds runs orders' sweep of payment holds, a few times per hold and
// at least every 30 s, until the returned function stops it.
func sweepHolds(orders *mall.Orders) (stop func()) {
	every := min(orders.Hold()/4, 30*time.Second)
	every = max(every, 10*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		orders.SweepHolds(ctx, every)
	}()
	return func() {
		cancel()
		<-done
	}
}

// startRouter starts the contact center's routing on this node: calls to
// a store's sales number queue for its agents; guests may open the
// signaling socket to call a store.
func (a *App) startRouter() {
	wrap := a.Config.WrapUp
	if wrap == 0 {
		wrap = time.Nanosecond // no wrap-up: the agent is free at once
	}
	a.Router = agentdesk.NewRouter(a.DB.DB, a.Signaling, a.Directory, a.Calls, a.Shop.Carts, agentdesk.RouterConfig{RingTimeout: a.Config.AgentRingTimeout, WrapUp: wrap})
	a.Catalog.SetQueueStatus(a.Router.QueueStatus)
	agentdesk.NewCobrowse(a.Signaling, a.Router, agentdesk.CobrowseLimits{})
	a.Boards = agentdesk.NewWhiteboard(a.DB.DB, a.Signaling, a.Router, a.Catalog, agentdesk.BoardLimits{})
	a.Shop.Orders.NeedsSignature = a.Router.InEngagement
	a.Closing.AgeChecks.VideoWitness = a.Router.VideoWitness
	a.Closing.AgeChecks.OnRefused = a.Router.EndForRefusedOrder
	a.Signaling.Guest = a.Shop.GuestOf
	a.Signaling.AllowGuests("ping", "heartbeat", "call.dial", "call.answer", "call.decline", "call.hangup", "rtc.answer", "rtc.candidate",
		"call.video.request", "call.video.response", "queue.choose", "cobrowse.start", "cobrowse.events", "cobrowse.stop",
		"board.draw", "board.erase")
	a.Auth.SetHooks(a.authHooks(func(ctx context.Context, accountID, deviceID string) error {
		err := a.Directory.SignedOut(ctx, accountID, deviceID)
		a.Router.AgentSignedOut(ctx, accountID)
		return err
	}))
}

// agentsOnline counts each store's available staff, from presence.
func (a *App) agentsOnline(ctx context.Context, storeIDs []int64) map[int64]int {
	var staff []struct {
		ID      string
		StoreID int64
	}
	if err := a.DB.WithContext(ctx).Table("accounts").Select("id, store_id").Where("store_id IN ?", storeIDs).Scan(&staff).Error; err != nil {
		return nil
	}
	ids := make([]string, len(staff))
	for i, s := range staff {
		ids[i] = s.ID
	}
	states, err := a.Directory.States(ctx, ids)
	if err != nil {
		return nil
	}
	out := map[int64]int{}
	for _, s := range staff {
		if states[s.ID] == directory.StateAvailable {
			out[s.StoreID]++
		}
	}
	return out
}

// startCalls opens the SFU, the TURN server, the blob store and the call
// service.
func (a *App) startCalls() error {
	cfg := a.Config
	var err error
	if a.SFU, err = media.NewSFU(media.SFUConfig{Loopback: cfg.WebRTCLoopback}); err != nil {
		return err
	}
	blobs, err := blob.NewLocal(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		return err
	}
	if _, err := blobs.SweepTemp(); err != nil {
		slog.Warn("sweep blob store", "err", err)
	}
	scratch := filepath.Join(cfg.DataDir, "recording")
	if n, err := media.SweepRecorderScratch(scratch); err != nil {
		slog.Warn("sweep recordings", "err", err)
	} else if n > 0 {
		slog.Info("removed unfinished recordings", "count", n)
	}
	if cfg.TURNAddr != "" {
		secret := []byte(cfg.TURNSecret)
		if len(secret) == 0 {
			secret = make([]byte, 32)
			rand.Read(secret)
		}
		if a.TURN, err = media.StartTURN(media.TURNConfig{ListenAddr: cfg.TURNAddr, PublicIP: cfg.TURNPublicIP, Secret: secret, AllowPrivatePeers: cfg.TURNAllowPrivate}); err != nil {
			return fmt.Errorf("start TURN on %s: %w", cfg.TURNAddr, err)
		}
	}
	host := "localhost"
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	iceServers := func(user string) []webrtc.ICEServer {
		if a.TURN == nil {
			return nil
		}
		return a.TURN.ICEServers(host, user, time.Now())
	}
	a.Calls, err = directory.NewCalls(a.DB.DB, a.Directory, a.Signaling, a.SFU, a.Bus.Conn, blobs, cfg.Node, directory.CallsConfig{
		RingTimeout: cfg.RingTimeout, ScratchDir: scratch, ICEServers: iceServers, Limits: a.Limits,
	})
	if err != nil {
		return err
	}
	// Before this node takes calls: what a crash left (open calls, pending
	// messages, files without a row) is settled.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A failure is logged, not fatal, like the sweeps above: the next
	// start tries again, and nothing unsettled is ever listed.
	if swept, err := a.Calls.SweepMessages(ctx); err != nil {
		slog.Warn("settle what a crash left", "err", err)
	} else if swept != (directory.Swept{}) {
		slog.Info("settled what a crash left", "calls_closed", swept.CallsClosed, "messages_recovered", swept.Recovered,
			"messages_dropped", swept.Dropped, "orphan_files", swept.Orphans)
	}
	return nil
}

// routes builds the Fiber app with every slice's routes. /metrics is not
// among them: ServeMetrics serves it on its own listener.
func (a *App) routes(csrfKey []byte) *fiber.App {
	reg := prometheus.NewRegistry()
	a.Metrics = reg
	f := web.NewApp(web.Options{PublicURL: a.Config.PublicURL, TrustedProxies: a.Config.TrustedProxies, Registry: reg, Stripe: a.Config.StripeMode(),
		CSRFKey: csrfKey, CSRFBindTo: []string{auth.SessionCookie, mall.GuestCookie}, CSRFExempt: []string{"/api/v1/webhooks/"}})
	f.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	f.Get("/readyz", a.handleReady)
	// Not the web app's page either: a scraper pointed at the public port
	// learns that nothing is here.
	f.All("/metrics", func(c *fiber.Ctx) error { return apperr.New(apperr.NotFound, "no such resource: /metrics") })

	api := f.Group("/api/v1", a.Auth.LoadSession())
	api.Get("/openapi.json", serveOpenAPI)
	api.Get("/csrf", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"token": web.CSRFToken(c)}) })
	a.Auth.Routes(api, web.RateLimit(a.Config.AuthRateLimit))
	a.Auth.AdminRoutes(api)
	a.Catalog.Routes(api)
	a.Catalog.EditRoutes(api)
	a.MallPresence.Routes(api)
	a.Shop.Routes(api)
	a.Closing.Routes(api)
	if a.Webhook != nil {
		a.Webhook.Route(api)
	}
	a.Staff.Routes(api, a.Config.PublicURL)
	a.Directory.Routes(api)
	a.Calls.Routes(api)
	a.Calls.StoreMailboxRoutes(api)
	a.Router.Routes(api)
	a.Router.CartRoutes(api, a.Catalog)
	a.Boards.Routes(api, a.Shop.ShopperOf)
	reg.MustRegister(a.Router.Collector())
	a.Verifier.Routes(api)
	a.Signaling.Routes(api)
	api.All("/*", func(c *fiber.Ctx) error {
		return apperr.New(apperr.NotFound, "no API endpoint %s %s", c.Method(), c.Path())
	})
	web.ServeUI(f)
	return f
}

// handleReady answers 200 when the database and NATS answer, 503 otherwise.
func (a *App) handleReady(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		slog.Warn("not ready: database", "err", err)
		return apperr.New(apperr.Unavailable, "the database does not answer")
	}
	if err := a.Bus.Ping(ctx); err != nil {
		slog.Warn("not ready: NATS", "err", err)
		return apperr.New(apperr.Unavailable, "NATS does not answer")
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// ServeMetrics answers GET /metrics on ln (the --metrics-addr listener)
// until ctx ends or ln is closed.
func (a *App) ServeMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: web.MetricsHandler(a.Metrics), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve metrics: %w", err)
	}
	return nil
}

// Serve answers HTTP on ln until Shutdown.
func (a *App) Serve(ln net.Listener) error {
	err := a.Fiber.Listener(ln)
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// Shutdown stops accepting, waits up to the configured timeout for
// in-flight requests, then closes NATS and the database.
func (a *App) Shutdown() error {
	var err error
	if a.Shop != nil {
		a.Shop.Close()
	}
	if a.Fiber != nil {
		err = a.Fiber.ShutdownWithTimeout(a.Config.ShutdownTimeout)
	}
	if a.stopSweep != nil {
		a.stopSweep()
	}
	if a.Router != nil {
		a.Router.Close()
	}
	if a.Calls != nil {
		a.Calls.Close()
	}
	if a.SFU != nil {
		a.SFU.Close()
	}
	if a.TURN != nil {
		a.TURN.Close()
	}
	a.Directory.Close()
	a.Bus.Close()
	if cerr := a.DB.Close(); err == nil {
		err = cerr
	}
	return err
}
