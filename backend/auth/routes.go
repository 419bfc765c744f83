package auth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/web"
)

// StoreRef names the store a staff account works for.
type StoreRef struct {
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// AccountView is an account as the API shows it to its owner.
type AccountView struct {
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Email string    `json:"email"`
	Role  Role      `json:"role"`
	Store *StoreRef `json:"store"`
}

// View returns a's API view, with its store for staff.
func (s *Service) View(c *fiber.Ctx, a *Account) (AccountView, error) {
	v := AccountView{ID: a.ID, Name: a.Name, Email: a.Email, Role: a.Role}
	if a.StoreID != nil && s.cfg.Stores != nil {
		slug, name, err := s.cfg.Stores.StoreName(c.UserContext(), *a.StoreID)
		if err != nil {
			return v, err
		}
		v.Store = &StoreRef{Slug: slug, Name: name}
	}
	return v, nil
}

// signUpRequest is the body of POST /auth/signup/begin.
type signUpRequest struct {
	Name      string `json:"name" required:"true"`
	Email     string `json:"email" required:"true"`
	BirthDate string `json:"birthDate" required:"true"`
	Address   string `json:"address" required:"true"`
	// VanityNumber optionally asks for a specific number.
	VanityNumber string `json:"vanityNumber"`
}

// finishRequest is the body of every finish step.
type finishRequest struct {
	Ceremony   string          `json:"ceremony" required:"true"`
	Credential json.RawMessage `json:"credential" required:"true"`
}

// emptyRequest is the body of begin steps that take no input: `{}` or none.
type emptyRequest struct{}

// decodeOptional decodes a body that may be empty.
func decodeOptional(c *fiber.Ctx, dst any) error {
	if len(c.Body()) == 0 {
		return nil
	}
	return web.DecodeJSON(c, dst)
}

// Routes registers the sign-up, sign-in, sign-out, passkey, re-verification,
// enrollment and recovery endpoints on api (the /api/v1 group). limit guards the endpoints that
// anonymous clients can hammer.
func (s *Service) Routes(api fiber.Router, limit fiber.Handler) {
	api.Get("/me", s.handleMe)
	a := api.Group("/auth")
	a.Post("/signup/begin", limit, s.handleSignUpBegin)
	a.Post("/signup/finish", limit, s.handleSignUpFinish)
	a.Post("/signin/begin", limit, s.handleSignInBegin)
	a.Post("/signin/finish", limit, s.handleSignInFinish)
	a.Post("/signout", s.handleSignOut)
	a.Get("/passkeys", s.handlePasskeys)
	a.Post("/passkeys/begin", s.handlePasskeyBegin)
	a.Post("/passkeys/finish", s.handlePasskeyFinish)
	a.Post("/reverify/begin", s.handleReverifyBegin)
	a.Post("/reverify/finish", s.handleReverifyFinish)
	for path, link := range map[string]oneTimeLink{"/enrollments/:token": s.enrollmentLink(), "/recoveries/:token": s.recoveryLink()} {
		a.Get(path, limit, s.handleLink(link))
		a.Post(path+"/begin", limit, s.handleLinkBegin(link))
		a.Post(path+"/finish", limit, s.handleLinkFinish(link))
	}
}

// signedIn answers a finished ceremony: the session and device cookies and
// the account.
func (s *Service) signedIn(c *fiber.Ctx, status int, a *Account, token string, device Device) error {
	s.setSessionCookie(c, token)
	s.setDeviceCookie(c, device)
	v, err := s.View(c, a)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(fiber.Map{"account": v})
}

func (s *Service) handleMe(c *fiber.Ctx) error {
	a, err := RequireAccount(c)
	if err != nil {
		return err
	}
	v, err := s.View(c, a)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"account": v})
}

func (s *Service) handleSignUpBegin(c *fiber.Ctx) error {
	var req signUpRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	opts, err := s.BeginSignUp(c.UserContext(), NewAccount{Name: req.Name, Email: req.Email, BirthDate: req.BirthDate, Address: req.Address, Vanity: req.VanityNumber})
	if err != nil {
		return err
	}
	return c.JSON(opts)
}

func (s *Service) handleSignUpFinish(c *fiber.Ctx) error {
	return s.finishSignedIn(c, fiber.StatusCreated, func(ctx context.Context, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
		a, token, err := s.FinishSignUp(ctx, ceremonyID, credential, device)
		if err == nil && s.hooks.SignedUp != nil {
			s.hooks.SignedUp(ctx, a)
		}
		return a, token, err
	})
}

func (s *Service) handleSignInBegin(c *fiber.Ctx) error {
	return answerBegin(c, s.BeginSignIn)
}

// answerBegin answers a begin step that takes no input (`{}` or no body)
// with the options begin returns.
func answerBegin(c *fiber.Ctx, begin func(ctx context.Context) (*Options, error)) error {
	if err := decodeOptional(c, &emptyRequest{}); err != nil {
		return err
	}
	opts, err := begin(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(opts)
}

// accountFinish is the signed-in account and the body of a finish step it
// posts.
func accountFinish(c *fiber.Ctx) (*Account, finishRequest, error) {
	var req finishRequest
	a, err := RequireAccount(c)
	if err != nil {
		return nil, req, err
	}
	return a, req, web.DecodeJSON(c, &req)
}
func (s *Service) handleSignInFinish(c *fiber.Ctx) error {
	return s.finishSignedIn(c, fiber.StatusOK, s.FinishSignIn)
}

// finishSignedIn decodes a finish step on the browser's device, runs finish
// with its ceremony and credential and, when it succeeds, answers with status
// and the new session's cookie.
func (s *Service) finishSignedIn(c *fiber.Ctx, status int, finish func(ctx context.Context, ceremonyID string, credential []byte, device Device) (*Account, string, error)) error {
	device, err := s.browserDevice(c)
	if err != nil {
		return err
	}
	var req finishRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	a, token, err := finish(c.UserContext(), req.Ceremony, req.Credential, device)
	if err != nil {
		return err
	}
	return s.signedIn(c, status, a, token, device)
}

func (s *Service) handleSignOut(c *fiber.Ctx) error {
	// The account leaves the device its session is bound to; the device
	// itself (its cookie) stays with the browser for the next sign-in.
	device := CurrentDevice(c)
	if token := c.Cookies(SessionCookie); token != "" {
		accountID := ""
		if a := CurrentAccount(c); a != nil {
			accountID = a.ID
		}
		if err := s.endSession(c.UserContext(), token, accountID); err != nil {
			return err
		}
	}
	if a := CurrentAccount(c); a != nil && device != "" && s.hooks.SignedOut != nil {
		if err := s.hooks.SignedOut(c.UserContext(), a.ID, device); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

// passkeyView is a passkey as its owner sees it.
type passkeyView struct {
	ID         string     `json:"id"`
	CreatedAt  time.Time  `json:"createdAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
}

func viewPasskey(p Passkey) passkeyView {
	return passkeyView{ID: p.ID, CreatedAt: p.CreatedAt, LastUsedAt: p.LastUsedAt}
}

func (s *Service) handlePasskeys(c *fiber.Ctx) error {
	a, err := RequireAccount(c)
	if err != nil {
		return err
	}
	ps, err := s.ListPasskeys(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	out := make([]passkeyView, 0, len(ps))
	for _, p := range ps {
		out = append(out, viewPasskey(p))
	}
	return c.JSON(fiber.Map{"passkeys": out})
}

func (s *Service) handlePasskeyBegin(c *fiber.Ctx) error {
	a, err := RequireAccount(c)
	if err != nil {
		return err
	}
	return answerBegin(c, func(ctx context.Context) (*Options, error) {
		return s.BeginAddPasskey(ctx, a, c.Cookies(SessionCookie))
	})
}
func (s *Service) handlePasskeyFinish(c *fiber.Ctx) error {
	a, req, err := accountFinish(c)
	if err != nil {
		return err
	}
	p, err := s.FinishAddPasskey(c.UserContext(), a, req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"passkey": viewPasskey(*p)})
}
func (s *Service) handleReverifyBegin(c *fiber.Ctx) error {
	a, err := RequireAccount(c)
	if err != nil {
		return err
	}
	return answerBegin(c, func(ctx context.Context) (*Options, error) {
		return s.BeginReverify(ctx, a)
	})
}
func (s *Service) handleReverifyFinish(c *fiber.Ctx) error {
	a, req, err := accountFinish(c)
	if err != nil {
		return err
	}
	if err := s.FinishReverify(c.UserContext(), a, c.Cookies(SessionCookie), req.Ceremony, req.Credential); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// linkView is whom an enrollment or recovery link belongs to, so that the
// page can greet them before they register a passkey.
func (s *Service) linkView(c *fiber.Ctx, a *Account) (fiber.Map, error) {
	v, err := s.View(c, a)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"name": v.Name, "email": v.Email, "role": v.Role, "store": v.Store}, nil
}

// oneTimeLink is what enrollment and recovery links differ in: the key of
// their view in the JSON answer and the service steps behind them. Both are
// redeemed the same way: look, begin a registration, finish it signed in.
type oneTimeLink struct {
	key     string
	account func(ctx context.Context, token string) (*Account, error)
	begin   func(ctx context.Context, token string) (*Options, error)
	finish  func(ctx context.Context, token, ceremonyID string, credential []byte, device Device) (*Account, string, error)
}

// enrollmentLink and recoveryLink are the two kinds of one-time links.
func (s *Service) enrollmentLink() oneTimeLink {
	return oneTimeLink{"enrollment", s.EnrollmentAccount, s.BeginEnrollment, s.FinishEnrollment}
}

func (s *Service) recoveryLink() oneTimeLink {
	return oneTimeLink{"recovery", s.RecoveryAccount, s.BeginRecovery, s.FinishRecovery}
}

// handleLink greets the person the link is for.
func (s *Service) handleLink(l oneTimeLink) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a, err := l.account(c.UserContext(), c.Params("token"))
		if err != nil {
			return err
		}
		v, err := s.linkView(c, a)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{l.key: v})
	}
}

// handleLinkBegin starts registering a passkey with the link.
func (s *Service) handleLinkBegin(l oneTimeLink) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Params("token")
		return answerBegin(c, func(ctx context.Context) (*Options, error) {
			return l.begin(ctx, token)
		})
	}
}

// handleLinkFinish stores the passkey, uses up the link and signs the
// browser in on its device.
func (s *Service) handleLinkFinish(l oneTimeLink) fiber.Handler {
	return func(c *fiber.Ctx) error {
		token := c.Params("token")
		return s.finishSignedIn(c, fiber.StatusOK, func(ctx context.Context, ceremonyID string, credential []byte, device Device) (*Account, string, error) {
			return l.finish(ctx, token, ceremonyID, credential, device)
		})
	}
}

// AdminRoutes registers the admin-only account listing on api.
func (s *Service) AdminRoutes(api fiber.Router) {
	api.Get("/admin/accounts", RequireRole(RoleAdmin), s.handleListAccounts)
}

func (s *Service) handleListAccounts(c *fiber.Ctx) error {
	accounts, err := s.ListAccounts(c.UserContext(), AccountFilter{})
	if err != nil {
		return err
	}
	out := make([]AccountView, 0, len(accounts))
	for i := range accounts {
		v, err := s.View(c, &accounts[i])
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(fiber.Map{"accounts": out})
}
