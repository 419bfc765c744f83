package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
)

// CSRFCookie is the readable cookie holding the CSRF token; pages send it
// back in the CSRFHeader on every state-changing request (double submit).
const (
	CSRFCookie = "lm_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// CSRF returns middleware that hands every browser a CSRF token cookie and
// refuses POST, PUT, PATCH and DELETE requests that come from a foreign
// Origin or do not echo the token in the X-CSRF-Token header. Paths under
// an exempt prefix skip both checks.
func CSRF(publicURL string, exempt ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		for _, prefix := range exempt {
			if strings.HasPrefix(c.Path(), prefix) {
				return c.Next()
			}
		}
		token := c.Cookies(CSRFCookie)
		if !validCSRFToken(token) {
			token = newCSRFToken()
			c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: token, Path: "/", HTTPOnly: false,
				Secure: strings.HasPrefix(publicURL, "https://"), SameSite: fiber.CookieSameSiteLaxMode})
			c.Locals(CSRFCookie, token)
		}
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			return c.Next()
		}
		if !SameOrigin(c, publicURL) {
			return apperr.New(apperr.Forbidden, "cross-origin request refused")
		}
		sent := c.Get(CSRFHeader)
		if sent == "" {
			return apperr.New(apperr.Forbidden, "missing CSRF token: send the lm_csrf cookie's value in the X-CSRF-Token header")
		}
		if subtle.ConstantTimeCompare([]byte(sent), []byte(c.Cookies(CSRFCookie))) != 1 {
			return apperr.New(apperr.Forbidden, "invalid CSRF token: reload the page and try again")
		}
		return c.Next()
	}
}

// CSRFToken returns the token of this request's browser, newly issued if it
// had none.
func CSRFToken(c *fiber.Ctx) string {
	if t, ok := c.Locals(CSRFCookie).(string); ok {
		return t
	}
	return c.Cookies(CSRFCookie)
}

// SameOrigin reports whether the request comes from the site itself: its
// Origin header (or, lacking one, Sec-Fetch-Site) must name the public URL
// or the host the request was sent to. Requests without either header come
// from non-browser clients and pass.
func SameOrigin(c *fiber.Ctx, publicURL string) bool {
	origin := c.Get(fiber.HeaderOrigin)
	if origin == "" {
		site := c.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	if origin == "null" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	if publicURL != "" && strings.EqualFold(strings.TrimSuffix(publicURL, "/"), u.Scheme+"://"+u.Host) {
		return true
	}
	return strings.EqualFold(u.Host, c.Hostname()) && u.Scheme == c.Protocol()
}

func newCSRFToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validCSRFToken accepts only tokens this server could have issued.
func validCSRFToken(t string) bool {
	b, err := base64.RawURLEncoding.DecodeString(t)
	return err == nil && len(b) == 32
}
