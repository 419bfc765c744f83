// Package notices tells members what they missed while away: a missed call
// and a new voice or video message each send a push to their subscribed
// devices and an email to their verified address (at most one email per
// EmailEvery, with a link to the mailbox, never the media itself). Each of
// the four can be turned off (GET and PUT /notices/settings).
//
// It needs push (Pusher), mail (mail.Sender) and who the member is and
// whether their address is verified (Members); it owns notice_settings.
package notices

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/livemall/livemall/backend/auth"
	"github.com/livemall/livemall/backend/mail"
	"github.com/livemall/livemall/push"
)

// EmailEvery is the least time between two notice emails to one member.
const EmailEvery = 10 * time.Minute

// Kinds of notice.
const (
	MissedCall = "missed_call"
	NewMessage = "message"
)

// Notice is one thing a member missed.
type Notice struct {
	AccountID string
	Kind      string // MissedCall or NewMessage
	// CallerName and CallerNumber (as displayed, "" when none) say who.
	CallerName, CallerNumber string
	// Video says the call or message had video.
	Video bool
}

// Pusher sends pushes (push.Service).
type Pusher interface {
	Send(ctx context.Context, accountID string, m push.Message) (push.Delivery, error)
}

// Members tells who a member is and whether their email is verified.
type Members interface {
	Ref(ctx context.Context, id string) (ref auth.AccountRef, ok bool, err error)
	EmailVerified(ctx context.Context, accountID string) (bool, error)
}

// Service sends notices.
type Service struct {
	db        *gorm.DB
	pusher    Pusher
	mailer    mail.Sender
	members   Members
	publicURL string
	now       func() time.Time
}

// New returns the notices; links in emails start with publicURL.
func New(db *gorm.DB, pusher Pusher, mailer mail.Sender, members Members, publicURL string) *Service {
	return &Service{db: db, pusher: pusher, mailer: mailer, members: members, publicURL: strings.TrimRight(publicURL, "/"), now: time.Now}
}

// Settings are a member's choices; all true unless turned off.
type Settings struct {
	AccountID       string     `gorm:"column:account_id;primaryKey" json:"-"`
	MissedCallPush  bool       `gorm:"column:missed_call_push" json:"missedCallPush"`
	MissedCallEmail bool       `gorm:"column:missed_call_email" json:"missedCallEmail"`
	MessagePush     bool       `gorm:"column:message_push" json:"messagePush"`
	MessageEmail    bool       `gorm:"column:message_email" json:"messageEmail"`
	LastEmailAt     *time.Time `gorm:"column:last_email_at" json:"-"`
}

// TableName tells GORM where notice settings live.
func (Settings) TableName() string { return "notice_settings" }

// defaults are the settings of a member who never changed them.
func defaults(accountID string) Settings {
	return Settings{AccountID: accountID, MissedCallPush: true, MissedCallEmail: true, MessagePush: true, MessageEmail: true}
}

// SettingsOf returns the member's settings.
func (s *Service) SettingsOf(ctx context.Context, accountID string) (Settings, error) {
	st := defaults(accountID)
	err := s.db.WithContext(ctx).Where("account_id = ?", accountID).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return defaults(accountID), nil
	}
	return st, err
}

// Save keeps the member's choices (the email rate stays as it was).
func (s *Service) Save(ctx context.Context, st Settings) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"missed_call_push", "missed_call_email", "message_push", "message_email"}),
	}).Select("account_id", "missed_call_push", "missed_call_email", "message_push", "message_email").Create(&st).Error
}

// Notify tells the member of n as their settings say: a push, and an email
// unless one went out within EmailEvery. Failures are logged, not
// returned: a notice never holds up the call that caused it.
func (s *Service) Notify(ctx context.Context, n Notice) {
	st, err := s.SettingsOf(ctx, n.AccountID)
	if err != nil {
		slog.Warn("notice settings", "account", n.AccountID, "err", err)
		return
	}
	wantPush, wantEmail := st.MissedCallPush, st.MissedCallEmail
	if n.Kind == NewMessage {
		wantPush, wantEmail = st.MessagePush, st.MessageEmail
	}
	title, body := words(n)
	if wantPush {
		if _, err := s.pusher.Send(ctx, n.AccountID, push.Message{Kind: n.Kind, Title: title, Body: body, URL: "/phone/#mailbox"}); err != nil {
			slog.Warn("notice push", "account", n.AccountID, "err", err)
		}
	}
	if wantEmail {
		if err := s.email(ctx, n, title, body); err != nil {
			slog.Warn("notice email", "account", n.AccountID, "err", err)
		}
	}
}

// words are a notice's title and body.
func words(n Notice) (title, body string) {
	who := n.CallerName
	if who == "" {
		who = "Someone"
	}
	kind := "voice"
	if n.Video {
		kind = "video"
	}
	if n.Kind == NewMessage {
		title = fmt.Sprintf("New %s message from %s", kind, who)
	} else {
		title = fmt.Sprintf("Missed %s call from %s", kind, who)
	}
	body = n.CallerNumber
	if body == "" {
		body = "livemall phone"
	}
	return title, body
}

// email sends the notice to the member's verified address once the rate
// allows: the claim of the rate is one guarded UPDATE, so of two nodes (or
// two notices at once) only one sends.
func (s *Service) email(ctx context.Context, n Notice, title, body string) error {
	ok, err := s.members.EmailVerified(ctx, n.AccountID)
	if err != nil || !ok {
		return err
	}
	ref, found, err := s.members.Ref(ctx, n.AccountID)
	if err != nil || !found || ref.Email == "" {
		return err
	}
	now := s.now().UTC()
	db := s.db.WithContext(ctx)
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&Settings{AccountID: n.AccountID, MissedCallPush: true, MissedCallEmail: true, MessagePush: true, MessageEmail: true}).Error; err != nil {
		return err
	}
	res := db.Model(&Settings{}).Where("account_id = ? AND (last_email_at IS NULL OR last_email_at <= ?)", n.AccountID, now.Add(-EmailEvery)).
		Update("last_email_at", now)
	if res.Error != nil || res.RowsAffected != 1 {
		return res.Error // sent within EmailEvery: this one waits for the mailbox
	}
	text := fmt.Sprintf("%s (%s).\n\nListen to your messages and see your calls in your phone:\n%s/phone/#mailbox\n\n"+
		"You get at most one of these emails every %d minutes. To stop them, turn them off in your phone's settings.\n",
		title, body, s.publicURL, int(EmailEvery.Minutes()))
	return s.mailer.Send(ctx, mail.Message{To: ref.Email, Subject: title, Text: text})
}
