package directory

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// MaxNumbersPerAccount bounds how many numbers one account may hold.
const MaxNumbersPerAccount = 5

// Routes registers the directory's endpoints on api (the /api/v1 group).
func (s *Service) Routes(api fiber.Router) {
	member := auth.RequireRole(auth.RoleMember)
	signedIn := auth.RequireRole(auth.RoleMember, auth.RoleAgent, auth.RoleSupervisor, auth.RoleAdmin)
	api.Get("/directory", signedIn, s.handleList)
	api.Get("/directory/me", member, s.handleMe)
	api.Patch("/directory/me", member, s.handleUpdateMe)
	api.Post("/directory/me/numbers", member, s.handleAddNumber)
	api.Get("/numbers/:number/availability", s.handleAvailability)
	api.Get("/numbers/:number", signedIn, s.handleResolve)
}

// numberView is a number as its holder sees it.
type numberView struct {
	Number  Number     `json:"number"`
	Display string     `json:"display"`
	Kind    NumberKind `json:"kind"`
	Primary bool       `json:"primary"`
}

func viewNumber(r NumberRecord) numberView {
	return numberView{Number: r.Number, Display: r.Number.String(), Kind: r.Kind, Primary: r.IsPrimary}
}

// deviceView is one of the member's devices.
type deviceView struct {
	ID string `json:"id"`
	// Kind is phone, tablet or computer; Label names the browser.
	Kind       string    `json:"kind"`
	Label      string    `json:"label"`
	SignedInAt time.Time `json:"signedInAt"`
	Online     bool      `json:"online"`
	Current    bool      `json:"current"`
}

// meView is the member's own directory entry.
type meView struct {
	Numbers       []numberView `json:"numbers"`
	Listed        bool         `json:"listed"`
	EmailVerified bool         `json:"emailVerified"`
	Interests     []string     `json:"interests"`
	RingMode      RingMode     `json:"ringMode"`
	Devices       []deviceView `json:"devices"`
	// ShowInMall: others see the member's avatar on the building of the
	// store they are in.
	ShowInMall bool `json:"showInMall"`
}

func (s *Service) me(c *fiber.Ctx, a *auth.Account) (*meView, error) {
	ctx := c.UserContext()
	p, err := s.ProfileOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	nums, err := s.Numbers.NumbersOf(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var devices []struct {
		DeviceID   string
		SignedInAt time.Time
		Kind       string
		Label      string
	}
	if err := s.db.WithContext(ctx).Table("device_accounts AS d").Select("d.device_id, d.signed_in_at, dv.kind, dv.label").
		Joins("JOIN devices dv ON dv.id = d.device_id").
		Where("d.account_id = ?", a.ID).Order("d.signed_in_at DESC").Scan(&devices).Error; err != nil {
		return nil, err
	}
	showInMall, err := s.ShowsInMall(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	current := auth.CurrentDevice(c)
	v := &meView{Listed: p.Listed, EmailVerified: p.EmailVerifiedAt != nil, Interests: splitInterests(p.Interests), RingMode: p.RingMode, Numbers: []numberView{}, Devices: []deviceView{}, ShowInMall: showInMall}
	for _, n := range nums {
		v.Numbers = append(v.Numbers, viewNumber(n))
	}
	for _, d := range devices {
		v.Devices = append(v.Devices, deviceView{ID: d.DeviceID, Kind: d.Kind, Label: d.Label, SignedInAt: d.SignedInAt, Online: len(s.presence.DeviceRecords(d.DeviceID)) > 0, Current: d.DeviceID == current})
	}
	return v, nil
}

func (s *Service) handleMe(c *fiber.Ctx) error {
	v, err := s.me(c, auth.CurrentAccount(c))
	if err != nil {
		return err
	}
	return c.JSON(v)
}

// updateMeRequest is the body of PATCH /directory/me.
type updateMeRequest struct {
	Listed    *bool     `json:"listed"`
	Interests *[]string `json:"interests"`
	RingMode  *RingMode `json:"ringMode"`
	// ShowInMall switches the member's avatar on the mall's buildings.
	ShowInMall *bool `json:"showInMall"`
}

func (s *Service) handleUpdateMe(c *fiber.Ctx) error {
	a := auth.CurrentAccount(c)
	var req updateMeRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.UpdateProfile(c.UserContext(), a.ID, ProfileUpdate{Listed: req.Listed, Interests: req.Interests, RingMode: req.RingMode, ShowInMall: req.ShowInMall}); err != nil {
		return err
	}
	if req.RingMode != nil {
		// Which devices ring changed: tell the watchers.
		if states, err := s.States(c.UserContext(), []string{a.ID}); err == nil {
			s.broadcast(states)
		}
	}
	return s.handleMe(c)
}

// addNumberRequest is the body of POST /directory/me/numbers.
type addNumberRequest struct {
	Number string `json:"number" required:"true"`
}

func (s *Service) handleAddNumber(c *fiber.Ctx) error {
	a := auth.CurrentAccount(c)
	var req addNumberRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	num, err := ParseNumber(req.Number)
	if err != nil {
		return err
	}
	held, err := s.Numbers.NumbersOf(c.UserContext(), a.ID)
	if err != nil {
		return err
	}
	if len(held) >= MaxNumbersPerAccount {
		return apperr.New(apperr.Conflict, "you hold %d numbers already, the most one member may hold", len(held))
	}
	rec, err := s.ClaimVanity(c.UserContext(), a, num)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"number": viewNumber(*rec)})
}

func (s *Service) handleAvailability(c *fiber.Ctx) error {
	num, err := ParseNumber(c.Params("number"))
	if err != nil {
		return err
	}
	// Look-ups are free to anyone: bounded per client address, across
	// nodes, so nobody walks the number space to list who holds what.
	if l := s.cfg.Limits; l != nil {
		if err := l.Take(c.UserContext(), l.Rules.NumberLookups, web.ClientIP(c)); err != nil {
			return err
		}
	}
	free, err := s.Numbers.IsFree(c.UserContext(), num)
	if err != nil {
		return err
	}
	if free {
		// Held by a member of another region, as far as this region knows.
		if free, err = s.notHeldElsewhere(c.UserContext(), num); err != nil {
			return err
		}
	}
	suggestions := []string{}
	if !free {
		near, err := s.Numbers.Suggestions(c.UserContext(), num, 5)
		if err != nil {
			return err
		}
		for _, n := range near {
			suggestions = append(suggestions, n.String())
		}
	}
	return c.JSON(fiber.Map{"number": num, "display": num.String(), "available": free, "suggestions": suggestions})
}

func (s *Service) handleResolve(c *fiber.Ctx) error {
	num, err := ParseNumber(c.Params("number"))
	if err != nil {
		return err
	}
	res, err := s.ResolveAnywhere(c.UserContext(), num)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Service) handleList(c *fiber.Ctx) error {
	f := ListFilter{Query: c.Query("q"), Interest: c.Query("interest"), Cursor: c.Query("cursor")}
	switch c.Query("online") {
	case "", "false", "0":
	case "true", "1":
		f.OnlineOnly = true
	default:
		return apperr.New(apperr.Invalid, "online must be true or false")
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return apperr.New(apperr.Invalid, "limit must be a whole number")
		}
		f.Limit = n
	}
	members, next, err := s.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	var cursor any
	if next != "" {
		cursor = next
	}
	return c.JSON(fiber.Map{"members": members, "nextCursor": cursor})
}
