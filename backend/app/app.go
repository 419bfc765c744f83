// Package app wires livemall together: it opens the database and the bus,
// builds the services of every slice, and registers their routes on one
// Fiber app. backend/cmd/livemall runs it; tests start it on port 0.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/livemall/livemall/agentdesk"
	"github.com/livemall/livemall/appointments"
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
	"github.com/livemall/livemall/notices"
	"github.com/livemall/livemall/push"
)

// App is a running livemall node's parts.
type App struct {
	Services
	Config    config.Config
	Bus       *bus.Bus
	Signaling *media.Signaling
	Directory *directory.Service
	Calls     *directory.Calls
	Cobrowse  *agentdesk.Cobrowse   // co-browsing in engagements
	Boards    *agentdesk.Whiteboard // the engagements' shared whiteboards
	Shop      *mall.Shop
	Closing   *mall.Closing // age checks, order signatures, store credit; the engagement layer wires its hooks
	Webhook   *mall.StripeWebhook
	SFU       *media.SFU
	TURN      *media.TURNServer
	Fiber     *fiber.App
	// The contact center: the queue (call distribution), the engagements
	// (answered calls: cart, age checks, live view), the desk's handlers.
	Queue       *agentdesk.Queue
	Engagements *agentdesk.Engagements
	Desk        *agentdesk.Desk
	// Supervision is the supervisors' monitor, whisper and barge.
	Supervision *agentdesk.Supervision
	// Limits counts the abuse limits in NATS, shared by every node.
	Limits *limits.Counter
	// Metrics is the Prometheus registry ServeMetrics serves, apart from
	// the public port.
	Metrics *prometheus.Registry

	// MallPresence shows members who chose to be seen on the buildings.
	MallPresence *mall.Presence

	// Blobs keeps recordings and greetings in the NATS object store, shared
	// by every node on the same NATS.
	Blobs *blob.Objects

	// Appointments books video calls with the stores at set times.
	Appointments *appointments.Service
	// Push reaches members' devices while their app is closed (Web Push).
	Push *push.Service
	// Notices tell members of missed calls and new messages (push, email).
	Notices *notices.Service
	// AgeJudgements keeps the agent's own age judgements with their still
	// frames, swept after each store's retention period.
	AgeJudgements *mall.AgeJudgements
	// StoreSettings is the supervisors' editor of their store's time zone,
	// service-level threshold and credit rules.
	StoreSettings *mall.Settings

	stopSweep         func() // ends the sweep of payment holds
	shutdown          sync.Once
	shutdownErr       error
	stopAppointments  func() // ends the sweep of reminders and no-shows
	stopEvidenceSweep func() // ends the sweep of age check frames
}

// Services is the part of App that commands without a server (seed, agent
// add) need: the database and the slices' services.
type Services struct {
	DB      *database.DB
	Auth    *auth.Service
	Catalog *mall.Catalog
	Staff   *agentdesk.Staff
	// Storefront serves the public catalog API with the stores' live parts.
	Storefront *mall.Storefront
	// LiveStores pushes the stores' live parts to open mall pages.
	LiveStores *mall.LiveStores
	Numbers    *directory.Numbers
	Verifier   *directory.EmailVerifier
	// Accounts is auth's reads of the accounts for the other slices.
	Accounts *auth.Accounts
	// Mail sends the emails (SMTP or the outbox).
	Mail mail.Sender
}

// OpenServices opens and migrates the database and builds the services.
// cfg.PublicURL must be set (it is the WebAuthn origin).
func OpenServices(ctx context.Context, cfg config.Config) (*Services, error) {
	return openServices(ctx, cfg, nil)
}

// openServices builds the services; late, when not nil, holds auth's
// session hooks (presence and routing, on a node that serves).
func openServices(ctx context.Context, cfg config.Config, late *signOuts) (*Services, error) {
	db, err := database.Open(ctx, database.Config{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	plan, err := directory.ParseNumberPlan(cfg.Region, cfg.NumberBlocks, cfg.NumberBlockStart)
	if err != nil {
		db.Close()
		return nil, err
	}
	numbers := directory.NewPlannedNumbers(db.DB, plan)
	if err := numbers.RecordPlan(ctx); err != nil {
		db.Close()
		return nil, err
	}
	sender, err := mailSender(cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	accounts := auth.NewAccounts(db.DB)
	verifier := directory.NewEmailVerifier(db.DB, accounts, sender, cfg.PublicURL)
	// Sign-up and sign-in reach the directory: numbers for new accounts,
	// device sign-ins, the verification mail after sign-up.
	hooks := numbers.AuthHooks(verifier.SendVerificationAfterSignUp, nil, nil)
	if late != nil {
		hooks = numbers.AuthHooks(verifier.SendVerificationAfterSignUp, late.sessionStarted, late.signedOut)
	}
	catalog := mall.NewCatalog(db.DB)
	a, err := auth.New(db.DB, auth.Config{PublicURL: cfg.PublicURL, Hooks: hooks, Stores: catalog, Region: cfg.Region})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Services{DB: db, Auth: a, Catalog: catalog, Staff: agentdesk.NewStaff(a, catalog), Numbers: numbers, Verifier: verifier, Accounts: accounts, Mail: sender}, nil
}

// signOuts is auth's session hooks on a serving node: at sign-out the
// directory ends the device's presence and the queue takes the agent out
// of routing; at sign-in the device's connections learn of the account.
// It is the one value New binds late: auth is built first (signaling
// checks devices through it) and the directory and queue are built on
// signaling, so New fills them in once they exist, before serving.
type signOuts struct {
	dir   *directory.Service
	queue *agentdesk.Queue
	push  *push.Service
}

func (s *signOuts) signedOut(ctx context.Context, accountID, deviceID string) error {
	if s.dir == nil {
		return nil // a sign-out before the node is up has no presence to end
	}
	err := s.dir.SignedOut(ctx, accountID, deviceID)
	s.queue.AgentSignedOut(ctx, accountID)
	// The next member on this browser must not get this one's pushes.
	if perr := s.push.SignedOut(ctx, accountID, deviceID); perr != nil && err == nil {
		err = perr
	}
	return err
}

// sessionStarted tells the directory that someone signed in on a device,
// so that the device's open connections carry the new account.
func (s *signOuts) sessionStarted(ctx context.Context, accountID, deviceID string) {
	if s.dir != nil {
		s.dir.DeviceSignedIn(ctx, accountID, deviceID)
	}
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
	late := &signOuts{}
	svc, err := openServices(ctx, cfg, late)
	if err != nil {
		return nil, err
	}
	if cfg.Node == "" {
		cfg.Node, _ = os.Hostname()
	}
	// JetStream is checked often enough that presence is announced again
	// within two heartbeats of NATS coming back.
	b, err := bus.Open(ctx, bus.Config{URL: cfg.NATSURL, DataDir: cfg.DataDir, Name: "livemall", Replicas: cfg.NATSReplicas,
		ServerName: cfg.Node, Routes: cfg.NATSRoutes, ClusterAddr: cfg.NATSClusterAddr, ClusterName: cfg.NATSClusterName,
		CheckEvery: min(time.Second, cfg.Heartbeat/2)})
	if err != nil {
		svc.DB.Close()
		return nil, err
	}
	// A serving node caches sessions; every node hears when one ends.
	if err := svc.Auth.CacheSessionsOver(b.Conn); err != nil {
		b.Close()
		svc.DB.Close()
		return nil, err
	}
	counter, err := limits.OpenIn(ctx, b, cfg.Limits, ownRegion(cfg))
	if err != nil {
		b.Close()
		svc.DB.Close()
		return nil, err
	}
	sig := &media.Signaling{PublicURL: cfg.PublicURL, Node: cfg.Node, Bus: b.Conn, Limits: counter, Device: svc.Auth.DeviceOf, Guest: mall.GuestOf}
	sig.AllowGuests("ping", "heartbeat", "call.dial", "call.answer", "call.decline", "call.hangup", "rtc.answer", "rtc.candidate",
		"call.video.request", "call.video.response", "queue.choose", "cobrowse.start", "cobrowse.events", "cobrowse.stop",
		"board.draw", "board.erase")
	dir, err := directory.NewService(ctx, svc.DB.DB, svc.Numbers, svc.Catalog, svc.Accounts, b, sig, directory.Config{Node: cfg.Node, PresenceTTL: cfg.PresenceTTL, Heartbeat: cfg.Heartbeat, RouteCacheTTL: cfg.LookupCacheTTL, Limits: counter})
	if err != nil {
		b.Close()
		svc.DB.Close()
		return nil, err
	}
	a := &App{Services: *svc, Config: cfg, Bus: b, Signaling: sig, Directory: dir, Limits: counter}
	// In dependency order: carts, the appointments (the queue asks them
	// whom a booked call was booked with), the contact center (the queue
	// and the engagements, on the carts and the calls' rooms), the calls
	// (queueing through the queue), then orders and the closing of orders,
	// which ask the engagements.
	carts := mall.NewCarts(a.DB.DB, a.Catalog, a.Bus.Conn)
	if err := a.startAppointments(ctx); err != nil {
		a.Shutdown()
		return nil, err
	}
	a.startContactCenter(carts)
	if err := a.startCalls(); err != nil {
		a.Shutdown()
		return nil, err
	}
	if err := a.startShop(carts); err != nil {
		a.Shutdown()
		return nil, err
	}
	subject := cfg.VAPIDSubject
	if from, err := netmail.ParseAddress(cfg.MailFrom); subject == "" && err == nil {
		subject = "mailto:" + from.Address
	}
	if a.Push, err = push.New(ctx, a.DB.DB, push.Config{Subject: subject, PublicKey: cfg.VAPIDPublicKey, PrivateKey: cfg.VAPIDPrivateKey,
		AllowLocalEndpoints: cfg.PushAllowLocalEndpoints}); err != nil {
		a.Shutdown()
		return nil, err
	}
	late.dir, late.queue, late.push = dir, a.Queue, a.Push
	a.Calls.ReachByPush(pushRings{a.Push})
	a.Notices = notices.New(a.DB.DB, a.Push, a.Mail, noticeMembers{a.Accounts, a.Verifier}, cfg.PublicURL)
	a.Calls.NotifyMissed(missedNotices{a.Notices})
	a.Queue.PushOffers(pushOffers{a.Push})
	a.Push.OnReachChanged(a.Directory.PushChanged)
	// Every node issues and accepts the same CSRF tokens (secrets.go).
	csrfKey, err := a.csrfKey(ctx)
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
func (a *App) startShop(carts *mall.Carts) error {
	cfg := a.Config
	var provider mall.PaymentProvider = mall.Offline{}
	if cfg.StripeMode() {
		s, err := mall.NewStripe(mall.StripeConfig{SecretKey: cfg.StripeSecretKey, PublishableKey: cfg.StripePublishableKey, WebhookSecret: cfg.StripeWebhookSecret, APIURL: cfg.StripeAPIURL})
		if err != nil {
			return err
		}
		provider = s
	}
	a.MallPresence = mall.NewPresence(a.DB.DB, a.Catalog, a.Directory, a.Accounts)
	a.Storefront = mall.NewStorefront(a.Catalog, a.Numbers, a.Queue, a.MallPresence)
	live, err := mall.NewLiveStores(a.Storefront, a.Bus.Conn, cfg.Node)
	if err != nil {
		return err
	}
	a.LiveStores = live
	orders := mall.NewOrders(a.DB.DB, carts, provider, cfg.PaymentHold, a.Engagements)
	a.stopSweep = sweepHolds(orders)
	a.Shop = mall.NewShop(carts, orders, strings.HasPrefix(cfg.PublicURL, "https://"), a.Auth, a.Limits)
	credit := agentdesk.NewCreditCalls(a.DB.DB, a.Signaling, a.Accounts, a.Directory)
	a.Closing = mall.NewClosing(a.Shop, a.Auth, a.Accounts, a.Engagements, credit, a.Verifier)
	a.AgeJudgements = mall.NewAgeJudgements(a.Closing, a.Blobs, a.Engagements)
	a.StoreSettings = mall.NewSettings(a.DB.DB, a.Limits, limits.Rule{})
	ectx, ecancel := context.WithCancel(context.Background())
	edone := make(chan struct{})
	go func() { defer close(edone); a.AgeJudgements.RunSweeps(ectx, time.Hour) }()
	a.stopEvidenceSweep = func() { ecancel(); <-edone }
	if cfg.StripeMode() {
		a.Webhook = &mall.StripeWebhook{Secret: cfg.StripeWebhookSecret, Orders: orders}
	}
	return nil
}

// startAppointments builds the appointments and starts their sweep of
// reminders and no-shows on this node (every node sweeps; each reminder is
// claimed by one). Every node derives the same booking links from one
// key, so that whichever node sends a reminder can put the link in it.
func (a *App) startAppointments(ctx context.Context) error {
	key, err := a.appointmentKey(ctx)
	if err != nil {
		return fmt.Errorf("appointment link key: %w", err)
	}
	a.Appointments = appointments.New(a.DB.DB, a.Catalog, a.Accounts, a.Mail, appointments.Config{PublicURL: a.Config.PublicURL, Limits: a.Limits, LinkKey: key})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Appointments.Run(ctx)
	}()
	a.stopAppointments = func() {
		cancel()
		<-done
	}
	return nil
}

// appointmentKey is the key booking links are derived from: from the
// cluster secret when one is set, else shared by the nodes through NATS.
func (a *App) appointmentKey(ctx context.Context) ([]byte, error) {
	if a.Config.ClusterSecret != "" {
		return deriveKey(a.Config.ClusterSecret, "livemall appointment-links v1"), nil
	}
	return a.Bus.SharedSecret(ctx, "appointments")
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

// startContactCenter starts the contact center on this node: calls to a
// store's sales number queue for its agents (the Queue); an answered call
// is an engagement (the Engagements), which co-browsing and the
// whiteboards ride on; the Desk serves both to the agents.
func (a *App) startContactCenter(carts *mall.Carts) {
	wrap := a.Config.WrapUp
	if wrap == 0 {
		wrap = time.Nanosecond // no wrap-up: the agent is free at once
	}
	rooms := directory.NewRooms(a.Bus.Conn)
	a.Queue = agentdesk.NewQueue(a.DB.DB, a.Signaling, a.Directory, rooms, a.Catalog, a.Accounts, carts, a.Appointments, agentdesk.QueueConfig{RingTimeout: a.Config.AgentRingTimeout, WrapUp: wrap,
		ReconnectGrace: 3 * a.Config.Heartbeat})
	a.Engagements = agentdesk.NewEngagements(a.DB.DB, rooms, a.Catalog, a.Accounts, carts)
	a.Desk = agentdesk.NewDesk(a.Queue, a.Engagements, a.Catalog, a.Numbers)
	a.Cobrowse = agentdesk.NewCobrowse(a.Signaling, a.Engagements, agentdesk.CobrowseLimits{})
	a.Boards = agentdesk.NewWhiteboard(a.DB.DB, a.Signaling, a.Engagements, a.Catalog, agentdesk.BoardLimits{})
	a.Supervision = agentdesk.NewSupervision(a.DB.DB, a.Signaling, rooms, a.Limits)
}

// startCalls opens the SFU, the TURN server, the blob store and the call
// service.
func (a *App) startCalls() error {
	cfg := a.Config
	var err error
	if a.SFU, err = media.NewSFU(media.SFUConfig{Loopback: cfg.WebRTCLoopback, UDPPort: cfg.MediaUDPPort, TCPPort: cfg.MediaTCPPort, PublicIPs: cfg.PublicIPs,
		LiteTransport: cfg.MediaEngine == config.MediaEngineLite}); err != nil {
		return err
	}
	// One store for one node and many: the object store on the node's
	// NATS. What older versions kept in DATA/blobs moves in once.
	bctx, bcancel := context.WithTimeout(context.Background(), time.Minute)
	defer bcancel()
	if err = bus.Retry(bctx, func(ctx context.Context) (err error) {
		a.Blobs, err = blob.NewObjects(ctx, a.Bus.JS, blobsConfigOf(cfg, a.Bus.Replicas))
		return err
	}); err != nil {
		return err
	}
	// No deadline on the move: each Put has its own timeout, and a store
	// too big for one would otherwise never finish starting.
	if moved, err := blob.MoveLocal(context.Background(), filepath.Join(cfg.DataDir, "blobs"), a.Blobs); err != nil {
		return fmt.Errorf("move local files into the object store: %w", err)
	} else if moved != (blob.Moved{}) {
		slog.Info("moved local files into the object store", "moved", moved.Moved, "bytes", moved.Bytes, "left_on_disk", moved.Failed)
	}
	// Uploads a killed process left take space, never show; an hour is
	// far longer than any Put still running on another node.
	if n, err := a.Blobs.SweepChunks(bctx, time.Hour); err != nil {
		slog.Warn("sweep unfinished uploads", "err", err)
	} else if n > 0 {
		slog.Info("removed unfinished uploads", "count", n)
	}
	scratch := filepath.Join(cfg.DataDir, "recording")
	if n, err := media.SweepRecorderScratch(scratch); err != nil {
		slog.Warn("sweep recordings", "err", err)
	} else if n > 0 {
		slog.Info("removed unfinished recordings", "count", n)
	}
	if cfg.TURNAddr != "" {
		secret, err := a.turnSecret() // the same on every node (secrets.go)
		if err != nil {
			return err
		}
		relayMin, relayMax, err := cfg.RelayPortRange()
		if err != nil {
			return err
		}
		if a.TURN, err = media.StartTURN(media.TURNConfig{ListenAddr: cfg.TURNAddr, PublicIP: cfg.TURNPublicIP, Secret: secret, AllowPrivatePeers: cfg.TURNAllowPrivate,
			TLSCertFile: cfg.TURNTLSCert, TLSKeyFile: cfg.TURNTLSKey, TLSAddr: cfg.TURNTLSAddr,
			RelayPortMin: relayMin, RelayPortMax: relayMax}); err != nil {
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
	a.Calls, err = directory.NewCalls(a.DB.DB, a.Directory, a.Signaling, a.SFU, a.Bus.Conn, a.Blobs, cfg.Node, a.Queue, directory.CallsConfig{
		RingTimeout: cfg.RingTimeout, ScratchDir: scratch, ICEServers: iceServers, Limits: a.Limits,
		LostCallSweep: cfg.Heartbeat, // a dead node's calls end within a heartbeat or two
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
	a.Storefront.Routes(api)
	a.LiveStores.Routes(api)
	a.Catalog.EditRoutes(api)
	a.MallPresence.Routes(api)
	a.Shop.Routes(api)
	a.Closing.Routes(api)
	a.AgeJudgements.Routes(api)
	a.StoreSettings.Routes(api)
	if a.Webhook != nil {
		a.Webhook.Route(api)
	}
	a.Staff.Routes(api, a.Config.PublicURL)
	a.Directory.Routes(api)
	a.Calls.Routes(api)
	a.Calls.DeclineRoutes(api, web.RateLimit(a.Config.AuthRateLimit))
	a.Calls.StoreMailboxRoutes(api)
	a.Desk.Routes(api)
	a.Appointments.Routes(api)
	a.Push.Routes(api, web.RateLimit(a.Config.AuthRateLimit))
	a.Notices.Routes(api, web.RateLimit(a.Config.AuthRateLimit))
	a.Boards.Routes(api, a.Shop.ShopperOf)
	a.Supervision.Routes(api)
	reg.MustRegister(a.Engagements.Collector(), a.Queue.Collector(), a.Calls.Collector(), a.SFU.Collector(), a.Signaling.Collector(), dependencyCollector{a})
	if a.TURN != nil {
		reg.MustRegister(a.TURN.Collector())
	}
	a.Verifier.Routes(api)
	// Signaling messages, in the order the slices were once built: the
	// connection hooks run in this order.
	a.Directory.Signals()
	a.Calls.Signals()
	a.Queue.Signals()
	a.Cobrowse.Signals()
	a.Boards.Signals()
	a.Supervision.Signals()
	a.Signaling.Routes(api)
	api.All("/*", func(c *fiber.Ctx) error {
		return apperr.New(apperr.NotFound, "no API endpoint %s %s", c.Method(), c.Path())
	})
	web.ServeUI(f)
	return f
}

// handleReady answers 200 when the database and NATS JetStream answer and
// what the node keeps in JetStream is in place; 503 with the reason
// otherwise (NATS restarting, a cluster without a leader, buckets being
// re-created).
func (a *App) handleReady(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := a.DB.Ping(ctx); err != nil {
		slog.Warn("not ready: database", "err", err)
		return apperr.New(apperr.Unavailable, "the database does not answer")
	}
	if err := a.Bus.Ping(ctx); err != nil {
		slog.Warn("not ready: NATS", "err", err)
		return apperr.New(apperr.Unavailable, "NATS is not ready: %v", err)
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
// in-flight requests, then closes NATS and the database. Only the first
// call does it (a test may stop a node before its cleanup does); later
// ones return its error.
func (a *App) Shutdown() error {
	a.shutdown.Do(func() { a.shutdownErr = a.shutdownOnce() })
	return a.shutdownErr
}

// shutdownOnce is Shutdown's work.
func (a *App) shutdownOnce() error {
	var err error
	if a.Shop != nil {
		a.Shop.Close()
	}
	if a.LiveStores != nil {
		a.LiveStores.Close()
	}
	if a.Fiber != nil {
		err = a.Fiber.ShutdownWithTimeout(a.Config.ShutdownTimeout)
	}
	if a.stopSweep != nil {
		a.stopSweep()
	}
	if a.stopAppointments != nil {
		a.stopAppointments()
	}
	if a.stopEvidenceSweep != nil {
		a.stopEvidenceSweep()
	}
	if a.Queue != nil {
		a.Queue.Close()
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
