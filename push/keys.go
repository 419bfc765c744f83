package push

import (
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Keys is a VAPID key pair, base64url without padding: the public key an
// uncompressed P-256 point (65 bytes), the private key its scalar (32).
type Keys struct {
	Public  string
	Private string
}

// vapidRow is the one row of vapid_keys.
type vapidRow struct {
	Name       string    `gorm:"column:name;primaryKey"` // always "vapid": one row
	PublicKey  string    `gorm:"column:public_key"`
	PrivateKey string    `gorm:"column:private_key"`
	CreatedAt  time.Time `gorm:"column:created_at"`
}

func (vapidRow) TableName() string { return "vapid_keys" }

// GenerateKeys makes a new VAPID key pair.
func GenerateKeys() (Keys, error) {
	private, public, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("generate VAPID keys: %w", err)
	}
	return Keys{Public: public, Private: private}, nil
}

// CheckKeys returns nil when public is the P-256 point of private, both
// base64url; otherwise an error saying what is wrong.
func CheckKeys(public, private string) error {
	priv, err := base64.RawURLEncoding.DecodeString(private)
	if err != nil {
		return errors.New("the VAPID private key is not base64url without padding")
	}
	key, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return errors.New("the VAPID private key is not a P-256 private key (32 bytes)")
	}
	pub, err := base64.RawURLEncoding.DecodeString(public)
	if err != nil {
		return errors.New("the VAPID public key is not base64url without padding")
	}
	if string(key.PublicKey().Bytes()) != string(pub) {
		return errors.New("the VAPID public key is not the private key's")
	}
	return nil
}

// loadKeys returns the configured pair when given, else the pair in the
// database, made by whichever node starts first (the others read it).
func loadKeys(ctx context.Context, db *gorm.DB, public, private string) (Keys, error) {
	if public != "" || private != "" {
		if err := CheckKeys(public, private); err != nil {
			return Keys{}, fmt.Errorf("--vapid-public-key and --vapid-private-key: %w", err)
		}
		return Keys{Public: public, Private: private}, nil
	}
	fresh, err := GenerateKeys()
	if err != nil {
		return Keys{}, err
	}
	row := vapidRow{Name: "vapid", PublicKey: fresh.Public, PrivateKey: fresh.Private, CreatedAt: time.Now().UTC()}
	if err := db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return Keys{}, fmt.Errorf("keep VAPID keys: %w", err)
	}
	var kept vapidRow
	if err := db.WithContext(ctx).Where("name = ?", "vapid").Take(&kept).Error; err != nil {
		return Keys{}, fmt.Errorf("read VAPID keys: %w", err)
	}
	if err := CheckKeys(kept.PublicKey, kept.PrivateKey); err != nil {
		return Keys{}, fmt.Errorf("the VAPID keys in the database: %w", err)
	}
	return Keys{Public: kept.PublicKey, Private: kept.PrivateKey}, nil
}
