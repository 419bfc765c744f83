package mall

import (
	"bytes"
	"encoding/base64"
	"image/jpeg"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/web"
)

// MaxFrameBytes bounds a still frame of an age check (the decoded JPEG).
const MaxFrameBytes = 256 << 10

// maxFrameSide bounds a frame's width and height in pixels.
const maxFrameSide = 4096

// Routes registers the agent's age judgement, its frames, the store's
// retention period and the shopper's notices on api.
func (j *AgeJudgements) Routes(api fiber.Router) {
	staff := auth.RequireRole(auth.RoleAgent, auth.RoleSupervisor)
	api.Post("/desk/engagements/:entry/age-check", staff, j.handleJudge)
	api.Get("/desk/age-checks/:id/frame", staff, j.handleFrame)
	api.Get("/desk/age-evidence", staff, j.handleRetention)
	api.Put("/desk/age-evidence", auth.RequireRole(auth.RoleSupervisor), j.handleSetRetention)
	api.Get("/stores/:slug/age-evidence", j.handleStoreRetention)
	api.Get("/age-checks", j.handleMine)
}

// JudgementRequest is the body of POST /desk/engagements/{entry}/age-check.
type JudgementRequest struct {
	// Decision is "confirm", "looks_underage" or "not_account_holder".
	Decision string `json:"decision" required:"true"`
	// Frame is the still frame of the shopper's video, a base64 JPEG.
	Frame string `json:"frame" required:"true"`
	// FrameAt is when the frame was taken (RFC 3339).
	FrameAt string `json:"frameAt" required:"true"`
}

// ParseJudgementRequest decodes the judgement body strictly and checks its
// frame (CheckFrame).
func ParseJudgementRequest(body []byte) (Judgement, error) {
	var r JudgementRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return Judgement{}, err
	}
	var j Judgement
	switch r.Decision {
	case "confirm":
		j.Decision = DecisionConfirmed
	case DecisionLooksUnderage, DecisionNotAccountHolder:
		j.Decision = r.Decision
	default:
		return j, apperr.New(apperr.Invalid, "field \"decision\" must be confirm, looks_underage or not_account_holder, not %q", r.Decision)
	}
	at, err := time.Parse(time.RFC3339Nano, r.FrameAt)
	if err != nil {
		return j, apperr.New(apperr.Invalid, "field \"frameAt\" must be a time such as 2026-01-02T15:04:05Z")
	}
	j.FrameAt = at
	if base64.StdEncoding.DecodedLen(len(r.Frame)) > MaxFrameBytes+3 {
		return j, apperr.New(apperr.Invalid, "the frame is larger than %d KiB: send a smaller JPEG", MaxFrameBytes>>10)
	}
	raw, err := base64.StdEncoding.DecodeString(r.Frame)
	if err != nil {
		return j, apperr.New(apperr.Invalid, "field \"frame\" must be a base64 JPEG")
	}
	if err := CheckFrame(raw); err != nil {
		return j, err
	}
	j.Frame = raw
	return j, nil
}

// CheckFrame returns nil when frame is a JPEG of at most MaxFrameBytes and
// maxFrameSide pixels a side, else an Invalid error saying what is wrong.
func CheckFrame(frame []byte) error {
	if len(frame) == 0 {
		return apperr.New(apperr.Invalid, "the frame is empty: take a still of the shopper's video")
	}
	if len(frame) > MaxFrameBytes {
		return apperr.New(apperr.Invalid, "the frame is larger than %d KiB: send a smaller JPEG", MaxFrameBytes>>10)
	}
	if !bytes.HasPrefix(frame, []byte{0xff, 0xd8, 0xff}) {
		return apperr.New(apperr.Invalid, "the frame is not a JPEG")
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(frame))
	if err != nil {
		return apperr.New(apperr.Invalid, "the frame is not a readable JPEG")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxFrameSide || cfg.Height > maxFrameSide {
		return apperr.New(apperr.Invalid, "the frame is %d×%d pixels: send one of at most %d a side", cfg.Width, cfg.Height, maxFrameSide)
	}
	return nil
}

// JudgementView answers a judgement.
type JudgementView struct {
	ID        string     `json:"id"`
	Decision  string     `json:"decision"`
	Verified  bool       `json:"verified"`
	Reason    string     `json:"reason,omitempty"`
	Removed   []string   `json:"removed"`
	FrameURL  string     `json:"frameUrl"`
	FrameAt   time.Time  `json:"frameAt"`
	KeepUntil time.Time  `json:"keepUntil"`
	Order     *OrderView `json:"order"`
}

func (j *AgeJudgements) handleJudge(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	in, err := ParseJudgementRequest(c.Body())
	if err != nil {
		return err
	}
	out, err := j.Judge(c.UserContext(), auth.CurrentAccount(c), c.Params("entry"), in)
	if err != nil {
		return err
	}
	ev := out.Judgement
	v := JudgementView{ID: ev.ID, Decision: ev.Decision, Verified: out.Verified, Reason: out.Reason, Removed: out.Removed,
		FrameURL: "/api/v1/desk/age-checks/" + ev.ID + "/frame", FrameAt: ev.FrameAt, KeepUntil: ev.KeepUntil}
	if v.Removed == nil {
		v.Removed = []string{}
	}
	if out.Order != nil {
		if v.Order, err = j.closing.Shop.Orders.View(c.UserContext(), out.Order); err != nil {
			return err
		}
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (j *AgeJudgements) handleFrame(c *fiber.Ctx) error {
	f, info, err := j.Frame(c.UserContext(), auth.CurrentAccount(c), c.Params("id"))
	if err != nil {
		return err
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, MaxFrameBytes+1))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/jpeg")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentLength, strconv.FormatInt(info.Size, 10))
	return c.Send(body)
}

// retentionView is the store's retention period of age check frames.
type retentionView struct {
	RetentionDays int `json:"retentionDays"`
}

// retentionRequest is the body of PUT /desk/age-evidence.
type retentionRequest struct {
	RetentionDays *int `json:"retentionDays"`
}

// ParseRetentionRequest decodes the body of PUT /desk/age-evidence.
func ParseRetentionRequest(body []byte) (int, error) {
	var r retentionRequest
	if err := web.DecodeJSONBytes(body, &r); err != nil {
		return 0, err
	}
	if r.RetentionDays == nil {
		return 0, apperr.New(apperr.Invalid, "field \"retentionDays\" is required")
	}
	return *r.RetentionDays, nil
}

func (j *AgeJudgements) handleRetention(c *fiber.Ctx) error {
	a := auth.CurrentAccount(c)
	if a == nil || a.StoreID == nil {
		return apperr.New(apperr.Forbidden, "only a store's staff read its retention period")
	}
	days, err := j.RetentionDays(c.UserContext(), *a.StoreID)
	if err != nil {
		return err
	}
	return c.JSON(retentionView{RetentionDays: days})
}

func (j *AgeJudgements) handleSetRetention(c *fiber.Ctx) error {
	if _, err := decodeBody(c); err != nil {
		return err
	}
	days, err := ParseRetentionRequest(c.Body())
	if err != nil {
		return err
	}
	if err := j.SetRetentionDays(c.UserContext(), auth.CurrentAccount(c), days); err != nil {
		return err
	}
	return c.JSON(retentionView{RetentionDays: days})
}

func (j *AgeJudgements) handleStoreRetention(c *fiber.Ctx) error {
	days, err := j.StoreRetentionDays(c.UserContext(), c.Params("slug"))
	if err != nil {
		return err
	}
	return c.JSON(retentionView{RetentionDays: days})
}

// AgeNoticeView is a refusal as the shopper sees it: why items left their
// order.
type AgeNoticeView struct {
	ID        string    `json:"id"`
	Store     StoreRef  `json:"store"`
	Decision  string    `json:"decision"`
	Reason    string    `json:"reason"`
	Removed   []string  `json:"removed"`
	DecidedAt time.Time `json:"decidedAt"`
}

func (j *AgeJudgements) handleMine(c *fiber.Ctx) error {
	s, ok := j.closing.Shop.ShopperOf(c)
	out := []AgeNoticeView{}
	if !ok {
		return c.JSON(fiber.Map{"notices": out})
	}
	evs, err := j.RecentFor(c.UserContext(), s)
	if err != nil {
		return err
	}
	stores := map[int64]StoreRef{}
	for _, ev := range evs {
		ref, ok := stores[ev.StoreID]
		if !ok {
			var st Store
			if err := j.db.WithContext(c.UserContext()).Where("id = ?", ev.StoreID).Take(&st).Error; err != nil {
				return err
			}
			ref = StoreRef{Slug: st.Slug, Name: st.Name}
			stores[ev.StoreID] = ref
		}
		out = append(out, AgeNoticeView{ID: ev.ID, Store: ref, Decision: ev.Decision, Reason: ev.Reason, Removed: strings.Split(ev.Removed, "\n"), DecidedAt: ev.DecidedAt})
	}
	return c.JSON(fiber.Map{"notices": out})
}
