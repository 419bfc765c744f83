package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Stripe's origins, allowed by the Content-Security-Policy only in Stripe
// mode: Stripe.js and its card frames, and its API (Stripe.js calls it from
// the page).
const (
	stripeJSOrigin  = "https://js.stripe.com"
	stripeAPIOrigin = "https://api.stripe.com"
	// stripeHooksOrigin serves the 3-D Secure challenge frame Stripe.js opens.
	stripeHooksOrigin = "https://hooks.stripe.com"
)

// PermissionsPolicy lets the page itself, and no frame, use the camera and
// the microphone; every other powerful feature the apps do not use is off.
const PermissionsPolicy = "camera=(self), microphone=(self), display-capture=(), geolocation=(), usb=(), serial=(), bluetooth=()"

// ContentSecurityPolicy returns the policy of every page for a server whose
// browsers use publicURL (scheme://host[:port]; "" when unknown). Scripts
// come only from the server itself, and from Stripe only when stripe is
// set; nothing may frame the page, no plugin runs, and a <base> cannot
// redirect relative URLs elsewhere. Connections go to the server, its
// WebSocket (named explicitly for browsers that do not count ws: as 'self')
// and, in Stripe mode, Stripe's API. Styles allow inline style attributes:
// the desk's co-browse replay rebuilds the shopper's page with them.
func ContentSecurityPolicy(publicURL string, stripe bool) string {
	connect := []string{"'self'"}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		ws := "ws://"
		if u.Scheme == "https" {
			ws = "wss://"
		}
		connect = append(connect, ws+u.Host)
	}
	script := []string{"'self'"}
	frame := []string{"'self'"}
	if stripe {
		script = append(script, stripeJSOrigin)
		frame = append(frame, stripeJSOrigin, stripeHooksOrigin)
		connect = append(connect, stripeAPIOrigin)
	}
	directives := []string{
		"default-src 'self'",
		"script-src " + strings.Join(script, " "),
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"media-src 'self' data: blob:",
		"font-src 'self' data:",
		"connect-src " + strings.Join(connect, " "),
		"frame-src " + strings.Join(frame, " "),
		"worker-src 'self' blob:",
		"manifest-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}
	return strings.Join(directives, "; ")
}

// SecurityHeaders returns middleware that sends the security headers on
// every response (pages, assets and API answers alike): the
// Content-Security-Policy above, nosniff, the referrer policy, the
// permissions policy, and X-Frame-Options for browsers that predate
// frame-ancestors.
func SecurityHeaders(publicURL string, stripe bool) fiber.Handler {
	csp := ContentSecurityPolicy(publicURL, stripe)
	return func(c *fiber.Ctx) error {
		h := &c.Response().Header
		h.Set(fiber.HeaderContentSecurityPolicy, csp)
		h.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		h.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
		h.Set(fiber.HeaderPermissionsPolicy, PermissionsPolicy)
		h.Set(fiber.HeaderXFrameOptions, "DENY")
		return c.Next()
	}
}
