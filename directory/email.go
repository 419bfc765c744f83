package directory

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/mail"
	"github.com/livemall/livemall/backend/web"
)

// Limits of the email features.
const (
	// emailTokenTTL is how long a verification link works.
	emailTokenTTL = 48 * time.Hour
	// emailVerifyPurpose is email_tokens.purpose for address verification.
	emailVerifyPurpose = "verify"
	// emailVerificationsPerHour bounds the verification mails one account
	// can have sent, so that "resend" cannot be used to flood an inbox.
	emailVerificationsPerHour = 5
	// emailInvitesPerDay is how many invitations a member may send in any
	// 24 hours.
	emailInvitesPerDay = 20
	// emailNoteMaxRunes bounds the personal note of an invitation.
	emailNoteMaxRunes = 500
)

// emailTokenRow is a one-time token sent by email; only its hash is kept.
type emailTokenRow struct {
	TokenHash string     `gorm:"column:token_hash;primaryKey"`
	AccountID string     `gorm:"column:account_id"`
	Purpose   string     `gorm:"column:purpose"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	ExpiresAt time.Time  `gorm:"column:expires_at"`
	UsedAt    *time.Time `gorm:"column:used_at"`
}

// TableName tells GORM where email tokens live.
func (emailTokenRow) TableName() string { return "email_tokens" }

// emailInviteRow records one invitation a member sent.
type emailInviteRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	AccountID string    `gorm:"column:account_id"`
	Email     string    `gorm:"column:email"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

// TableName tells GORM where invitations live.
func (emailInviteRow) TableName() string { return "invites" }

// EmailVerifier proves that members own their email address, with one-time
// links sent by mail, and sends the invitations members write to friends.
type EmailVerifier struct {
	db        *gorm.DB
	accounts  VerifierAccounts
	sender    mail.Sender
	publicURL string
	now       func() time.Time
}

// VerifierAccounts is what verification and invitations need from auth,
// which owns the accounts: to read the name and address a link is mailed
// to, and to lock an inviter's account in a transaction (*auth.Accounts
// implements it).
type VerifierAccounts interface {
	Ref(ctx context.Context, id string) (ref auth.AccountRef, ok bool, err error)
	Lock(tx *gorm.DB, accountID string) error
}

// NewEmailVerifier returns an EmailVerifier storing tokens and invitations
// in db and sending through sender; links in the messages start with
// publicURL (the origin browsers use); inviters are locked through accounts.
func NewEmailVerifier(db *gorm.DB, accounts VerifierAccounts, sender mail.Sender, publicURL string) *EmailVerifier {
	return &EmailVerifier{db: db, accounts: accounts, sender: sender, publicURL: strings.TrimSuffix(publicURL, "/"), now: time.Now}
}

// errEmailTokenUnknown answers every verification token that does not work,
// whatever the reason, so that the answer tells nothing about the token.
var errEmailTokenUnknown = apperr.New(apperr.NotFound, "this verification link is unknown, expired or already used")

// SendVerificationAfterSignUp mails a new member the link that verifies
// their address (auth's SignedUp hook). It cannot undo the sign-up: a
// failure is logged, and the member can ask for the link again.
func (v *EmailVerifier) SendVerificationAfterSignUp(ctx context.Context, acc *auth.Account) {
	if err := v.SendVerification(ctx, acc.ID); err != nil {
		slog.Warn("send email verification", "account", acc.ID, "err", err)
	}
}

// SendVerification mails the account a link that verifies its address,
// valid 48 hours; earlier links stay valid until they expire. It refuses
// with Conflict when the address is verified already, NotFound when the
// account does not exist, and RateLimited after 5 links in an hour. Call it
// outside any transaction: it writes through its own handle before sending.
func (v *EmailVerifier) SendVerification(ctx context.Context, accountID string) error {
	now := v.now().UTC()
	a, ok, err := v.accounts.Ref(ctx, accountID)
	if err != nil {
		return fmt.Errorf("send verification: %w", err)
	}
	if !ok {
		return fmt.Errorf("send verification: %w", apperr.New(apperr.NotFound, "no such account"))
	}
	token := emailNewToken()
	err = v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		verified, err := emailVerifiedAt(tx, accountID)
		if err != nil {
			return err
		}
		if verified != nil {
			return apperr.New(apperr.Conflict, "your email address is already verified")
		}
		var recent int64
		if err := tx.Model(&emailTokenRow{}).Where("account_id = ? AND purpose = ? AND created_at > ?",
			accountID, emailVerifyPurpose, now.Add(-time.Hour)).Count(&recent).Error; err != nil {
			return err
		}
		if recent >= emailVerificationsPerHour {
			return apperr.New(apperr.RateLimited, "%d verification emails were sent in the last hour: check your inbox and spam folder, or try again later", recent)
		}
		return tx.Create(&emailTokenRow{TokenHash: emailTokenHash(token), AccountID: accountID, Purpose: emailVerifyPurpose,
			CreatedAt: now, ExpiresAt: now.Add(emailTokenTTL)}).Error
	})
	if err != nil {
		return fmt.Errorf("send verification: %w", err)
	}
	link := v.publicURL + "/phone/?verify=" + token
	text := fmt.Sprintf("Hello %s,\n\n"+
		"please confirm that this is your email address for livemall by opening this link within 48 hours:\n\n"+
		"%s\n\n"+
		"If you did not sign up for livemall, ignore this message: nothing happens without the link.\n",
		emailSafeName(a.Name), link)
	return v.send(ctx, mail.Message{To: a.Email, Subject: "Confirm your email for livemall", Text: text})
}

// Verify spends a verification token and marks its account's address as
// verified, in one transaction, and returns the account id. A token that is
// unknown, expired or already used is NotFound.
func (v *EmailVerifier) Verify(ctx context.Context, token string) (accountID string, err error) {
	if token == "" || len(token) > 100 {
		return "", errEmailTokenUnknown
	}
	now := v.now().UTC()
	hash := emailTokenHash(token)
	err = v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&emailTokenRow{}).
			Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", hash, emailVerifyPurpose, now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errEmailTokenUnknown
		}
		if err := tx.Model(&emailTokenRow{}).Select("account_id").Where("token_hash = ?", hash).Scan(&accountID).Error; err != nil {
			return err
		}
		return emailUpsertVerified(tx, accountID, now)
	})
	if err != nil {
		return "", fmt.Errorf("verify email: %w", err)
	}
	return accountID, nil
}

// MarkVerified records that accountID's address is verified, now, inside
// the caller's transaction tx (creating the member's profile if it has
// none). Operators use it when they provision a member whose address they
// know.
func (v *EmailVerifier) MarkVerified(ctx context.Context, tx *gorm.DB, accountID string) error {
	return emailUpsertVerified(tx.WithContext(ctx), accountID, v.now().UTC())
}

// emailUpsertVerified sets member_profiles.email_verified_at, inserting the
// profile with its defaults when it is missing. Only the named columns are
// written, so an existing profile keeps its choices.
func emailUpsertVerified(tx *gorm.DB, accountID string, at time.Time) error {
	return tx.Table("member_profiles").Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"email_verified_at"}),
	}).Create(map[string]any{"account_id": accountID, "email_verified_at": at}).Error
}

// EmailVerified reports whether the account's email address is verified
// (false for an account without a profile).
func (v *EmailVerifier) EmailVerified(ctx context.Context, accountID string) (bool, error) {
	at, err := emailVerifiedAt(v.db.WithContext(ctx), accountID)
	return at != nil, err
}

// emailVerifiedAt returns when the account's address was verified, or nil.
func emailVerifiedAt(tx *gorm.DB, accountID string) (*time.Time, error) {
	var rows []struct {
		EmailVerifiedAt *time.Time `gorm:"column:email_verified_at"`
	}
	err := tx.Table("member_profiles").Select("email_verified_at").Where("account_id = ?", accountID).Limit(1).Find(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0].EmailVerifiedAt, nil
}

// Invite mails an invitation to join livemall from inviter to email, with
// an optional personal note (at most 500 characters, line breaks allowed,
// no other control characters). A member may send 20 invitations in any 24
// hours; the next is RateLimited. The answer is the same whether or not the
// address belongs to a member, so that invitations cannot be used to find
// out who is one.
func (v *EmailVerifier) Invite(ctx context.Context, inviter *auth.Account, email, note string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := mail.ValidateAddress(email); err != nil {
		return err
	}
	note, err := emailCleanNote(note)
	if err != nil {
		return err
	}
	now := v.now().UTC()
	row := &emailInviteRow{ID: emailNewID("inv"), AccountID: inviter.ID, Email: email, CreatedAt: now}
	err = v.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Lock the inviter so that concurrent invitations count one after
		// the other (PostgreSQL; SQLite has one writer at a time anyway).
		if err := v.accounts.Lock(tx, inviter.ID); err != nil {
			return err
		}
		var sent int64
		if err := tx.Model(&emailInviteRow{}).Where("account_id = ? AND created_at > ?", inviter.ID, now.Add(-24*time.Hour)).
			Count(&sent).Error; err != nil {
			return err
		}
		if sent >= emailInvitesPerDay {
			return apperr.New(apperr.RateLimited, "you have sent %d invitations in the last 24 hours, the most allowed: try again tomorrow", sent)
		}
		return tx.Create(row).Error
	})
	if err != nil {
		return fmt.Errorf("invite: %w", err)
	}
	name := emailSafeName(inviter.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "Hello,\n\n%s invites you to livemall, where you can call shops and friends by their permanent number.\n\n", name)
	if note != "" {
		fmt.Fprintf(&b, "%s wrote:\n\n", name)
		for _, line := range strings.Split(note, "\n") {
			fmt.Fprintf(&b, "> %s\n", line)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "Join here: %s/phone/?invite=1\n\n", v.publicURL)
	b.WriteString("You receive this message because a livemall member entered your address. We send no more unless someone invites you again.\n")
	if err := v.send(ctx, mail.Message{To: email, Subject: name + " invites you to livemall", Text: b.String()}); err != nil {
		// An invitation that was not sent does not count against the limit.
		if derr := v.db.WithContext(context.WithoutCancel(ctx)).Delete(row).Error; derr != nil {
			slog.Warn("forget unsent invitation", "id", row.ID, "err", derr)
		}
		return err
	}
	return nil
}

// emailCleanNote normalises line breaks and trims an invitation note, and
// refuses one that is too long or carries control characters.
func emailCleanNote(note string) (string, error) {
	if !utf8.ValidString(note) {
		return "", apperr.New(apperr.Invalid, "note is not valid UTF-8 text")
	}
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	if n := utf8.RuneCountInString(note); n > emailNoteMaxRunes {
		return "", apperr.New(apperr.Invalid, "note is %d characters long, the most is %d", n, emailNoteMaxRunes)
	}
	if strings.ContainsFunc(note, func(r rune) bool { return r != '\n' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') }) {
		return "", apperr.New(apperr.Invalid, "note must not contain control characters other than line breaks")
	}
	return note, nil
}

// emailSafeName returns a person's name fit for a subject line: control
// characters become spaces and the name is at most 100 characters.
func emailSafeName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if name == "" {
		return "A livemall member"
	}
	return name
}

// send hands m to the sender; a failure is logged in detail and answered
// as Unavailable, since the person can only try again later.
func (v *EmailVerifier) send(ctx context.Context, m mail.Message) error {
	if err := v.sender.Send(ctx, m); err != nil {
		slog.Error("send mail", "to", m.To, "subject", m.Subject, "err", err)
		return apperr.New(apperr.Unavailable, "the email could not be sent: try again in a few minutes")
	}
	return nil
}

// emailNewToken returns a random 256-bit token, base64url without padding.
func emailNewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// emailTokenHash returns the hex SHA-256 of a token: only hashes are
// stored, so a database leak does not leak working links.
func emailTokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// emailNewID returns a random identifier with a prefix naming its kind.
func emailNewID(prefix string) string {
	b := make([]byte, 12)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// emailVerifyRequest is the body of POST /directory/verify.
type emailVerifyRequest struct {
	Token string `json:"token" required:"true"`
}

// emailInviteRequest is the body of POST /directory/invites.
type emailInviteRequest struct {
	Email string `json:"email" required:"true"`
	Note  string `json:"note"`
}

// Routes registers the verification and invitation endpoints on api (the
// /api/v1 group): POST /directory/verify needs no session, as the token is
// the secret; resending a link and inviting need a signed-in member.
func (v *EmailVerifier) Routes(api fiber.Router) {
	member := auth.RequireRole(auth.RoleMember)
	api.Post("/directory/verify", v.handleVerify)
	api.Post("/directory/verify/resend", member, v.handleResend)
	api.Post("/directory/invites", member, v.handleInvite)
}

func (v *EmailVerifier) handleVerify(c *fiber.Ctx) error {
	var req emailVerifyRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := v.Verify(c.UserContext(), req.Token); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"emailVerified": true})
}

func (v *EmailVerifier) handleResend(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	if len(c.Body()) > 0 {
		var req struct{}
		if err := web.DecodeJSON(c, &req); err != nil {
			return err
		}
	}
	if err := v.SendVerification(c.UserContext(), a.ID); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true})
}

func (v *EmailVerifier) handleInvite(c *fiber.Ctx) error {
	a, err := auth.RequireAccount(c)
	if err != nil {
		return err
	}
	var req emailInviteRequest
	if err := web.DecodeJSON(c, &req); err != nil {
		return err
	}
	if err := v.Invite(c.UserContext(), a, req.Email, req.Note); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"sent": true})
}
