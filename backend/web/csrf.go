package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/livemall/livemall/backend/apperr"
)

// CSRFCookie is the readable cookie holding the CSRF token; pages send it
// back in the CSRFHeader on every state-changing request.
const (
	CSRFCookie = "lm_csrf"
	CSRFHeader = "X-CSRF-Token"
)

// CSRFOptions configure CSRF.
type CSRFOptions struct {
	// PublicURL is the origin browsers use.
	PublicURL string
	// Key signs the tokens; the same on every node. Required.
	Key []byte
	// BindTo names the cookies that identify the browser's session, in order
	// of precedence (the session cookie, then the guest cookie). A token is
	// valid only with the first of them the request carries.
	BindTo []string
	// Exempt lists path prefixes that prove themselves otherwise (signed
	// webhooks) and skip the checks.
	Exempt []string
}

// CSRF returns middleware that issues every browser the CSRF token of its
// session and refuses POST, PUT, PATCH and DELETE requests that come from a
// foreign Origin or do not carry that token in the X-CSRF-Token header.
//
// The token is an HMAC, under the server's key, of the session the request
// carries (its session cookie, else its guest cookie, else none): the
// server issues it, a token of one session is worthless in another, and a
// value the client chose (say, a cookie planted by a sibling subdomain) is
// refused. When a handler starts or ends a session the response carries the
// new session's token.
func CSRF(o CSRFOptions) fiber.Handler {
	if len(o.Key) == 0 {
		panic("web.CSRF: no key")
	}
	return func(c *fiber.Ctx) error {
		for _, prefix := range o.Exempt {
			if strings.HasPrefix(c.Path(), prefix) {
				return c.Next()
			}
		}
		want := o.tokenFor(func(name string) string { return c.Cookies(name) })
		o.issue(c, want)
		switch c.Method() {
		case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
			err := c.Next()
			o.reissue(c, want)
			return err
		}
		if !SameOrigin(c, o.PublicURL) {
			return apperr.New(apperr.Forbidden, "cross-origin request refused")
		}
		sent := c.Get(CSRFHeader)
		if sent == "" {
			return apperr.New(apperr.Forbidden, "missing CSRF token: send the lm_csrf cookie's value in the X-CSRF-Token header")
		}
		if !hmac.Equal([]byte(sent), []byte(want)) {
			return apperr.New(apperr.Forbidden, "invalid CSRF token: reload the page and try again")
		}
		err := c.Next()
		o.reissue(c, want)
		return err
	}
}

// CSRFToken returns the CSRF token of this request's session, as issued in
// this response.
func CSRFToken(c *fiber.Ctx) string {
	if t, ok := c.Locals(CSRFCookie).(string); ok {
		return t
	}
	return c.Cookies(CSRFCookie)
}

// CSRFTokenFor returns the token a server with key issues to a browser
// whose cookies are given (name to value), bound to the first of bindTo it
// has.
func CSRFTokenFor(key []byte, bindTo []string, cookies map[string]string) string {
	o := CSRFOptions{Key: key, BindTo: bindTo}
	return o.tokenFor(func(name string) string { return cookies[name] })
}

// tokenFor computes the token of the session named by the cookies cookie
// returns.
func (o CSRFOptions) tokenFor(cookie func(name string) string) string {
	mac := hmac.New(sha256.New, o.Key)
	mac.Write([]byte("livemall csrf\x00"))
	bound := false
	for _, name := range o.BindTo {
		if v := cookie(name); v != "" {
			mac.Write([]byte(name + "=" + v))
			bound = true
			break
		}
	}
	if !bound {
		mac.Write([]byte("anonymous"))
	}
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// issue sets the token cookie when the browser does not hold it already.
func (o CSRFOptions) issue(c *fiber.Ctx, token string) {
	c.Locals(CSRFCookie, token)
	if c.Cookies(CSRFCookie) == token {
		return
	}
	c.Cookie(&fiber.Cookie{Name: CSRFCookie, Value: token, Path: "/", HTTPOnly: false,
		Secure: strings.HasPrefix(o.PublicURL, "https://"), SameSite: fiber.CookieSameSiteLaxMode})
}

// reissue issues the token of the session the response leaves the browser
// with, when the handler set or cleared one of the binding cookies.
func (o CSRFOptions) reissue(c *fiber.Ctx, before string) {
	if !slices.ContainsFunc(o.BindTo, func(name string) bool { return c.Response().Header.PeekCookie(name) != nil }) {
		return // the handler set none of them: the token stays (most requests)
	}
	changed := false
	after := o.tokenFor(func(name string) string {
		raw := c.Response().Header.PeekCookie(name)
		if raw == nil {
			return c.Cookies(name)
		}
		changed = true
		ck := fasthttp.AcquireCookie()
		defer fasthttp.ReleaseCookie(ck)
		if ck.ParseBytes(raw) != nil {
			return c.Cookies(name)
		}
		exp := ck.Expire()
		if ck.MaxAge() < 0 || (exp != fasthttp.CookieExpireUnlimited && exp.Before(time.Now())) {
			return "" // cleared
		}
		return string(ck.Value())
	})
	if changed && after != before {
		o.issue(c, after)
	}
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
