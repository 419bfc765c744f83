package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/livemall/livemall/backend/apperr"
)

// BodyLimit is the largest request body accepted, in bytes.
const BodyLimit = 1 << 20

// Options configure NewApp.
type Options struct {
	// PublicURL is the origin browsers use; state-changing requests from any
	// other origin are refused.
	PublicURL string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed.
	TrustedProxies []string
	// Registry receives the HTTP metrics; MetricsHandler serves it on the
	// metrics listener.
	Registry *prometheus.Registry
	// CSRFKey signs CSRF tokens; every node must have the same one.
	CSRFKey []byte
	// CSRFBindTo names the cookies a CSRF token is bound to, first present
	// wins: the session cookie, then the guest cookie.
	CSRFBindTo []string
	// CSRFExempt lists path prefixes that prove themselves otherwise
	// (signed webhooks) and skip the CSRF check.
	CSRFExempt []string
	// Stripe says payments go through Stripe: the pages' Content-Security-
	// Policy then allows Stripe.js, its frames and its API, and never
	// otherwise.
	Stripe bool
}

// NewApp returns the Fiber app with livemall's middleware: panic recovery,
// request logs and metrics, JSON errors, the body limit, the security
// headers (SecurityHeaders) on every response, and CSRF and Origin checks on
// state-changing requests. Routes are added by the caller.
func NewApp(o Options) *fiber.App {
	cfg := fiber.Config{
		AppName:               "livemall",
		ErrorHandler:          ErrorHandler,
		BodyLimit:             BodyLimit,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           90 * time.Second,
	}
	// X-Forwarded-Proto, -Host and -For are believed from trusted proxies
	// only; with none configured, from nobody (Fiber would otherwise believe
	// everyone's X-Forwarded-Proto).
	cfg.EnableTrustedProxyCheck = true
	cfg.TrustedProxies = o.TrustedProxies
	if len(o.TrustedProxies) > 0 {
		cfg.ProxyHeader = fiber.HeaderXForwardedFor
		cfg.EnableIPValidation = true
	}
	app := fiber.New(cfg)
	// A hijacked connection (the signaling WebSocket) belongs to whoever
	// took it: fasthttp must not close it when its hijack handler returns,
	// so that the request's context and buffers go back to their pools
	// while the socket lives on (media/socket.go).
	app.Server().KeepHijackedConns = true
	app.Use(recover.New(recover.Config{EnableStackTrace: true}))
	app.Use(observe(o.Registry))
	app.Use(SecurityHeaders(o.PublicURL, o.Stripe))
	app.Use(CSRF(CSRFOptions{PublicURL: o.PublicURL, Key: o.CSRFKey, BindTo: o.CSRFBindTo, Exempt: o.CSRFExempt}))
	if o.Registry != nil {
		o.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return app
}

// MetricsHandler serves the registry in the Prometheus text format. It
// belongs on its own listener (--metrics-addr), never on the public port:
// the figures name stores and their queues.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

// observe logs each request and counts it in the registry.
func observe(reg *prometheus.Registry) fiber.Handler {
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "livemall_http_requests_total", Help: "HTTP requests by method, route and status.",
	}, []string{"method", "route", "status"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "livemall_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"method", "route"})
	if reg != nil {
		reg.MustRegister(requests, duration)
	}
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status, _ = Describe(err)
		}
		route := c.Route().Path
		// c.Method() points into fasthttp's reused request buffer: a label
		// kept by the registry must own its bytes, or a later request
		// rewrites it ("POST" became "POS") and scrapes fail on duplicates.
		method := strings.Clone(c.Method())
		requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		duration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		if status >= 500 {
			slog.Warn("request", "method", c.Method(), "path", c.Path(), "status", status, "took", time.Since(start))
		} else {
			slog.Debug("request", "method", c.Method(), "path", c.Path(), "status", status, "took", time.Since(start))
		}
		return err
	}
}

// RateLimit returns middleware that lets one client address make at most max
// requests per minute through it; the client address is the peer, or the
// X-Forwarded-For of a trusted proxy (ClientIP). The counters live in this
// process.
func RateLimit(max int) fiber.Handler {
	return limiter.New(limiter.Config{
		Max:        max,
		Expiration: time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string {
			return ClientIP(c)
		},
		LimitReached: func(c *fiber.Ctx) error {
			return apperr.New(apperr.RateLimited, "too many attempts from your address: wait a minute and try again")
		},
	})
}
