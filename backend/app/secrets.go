package app

import (
	"context"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
	"time"
)

// The purposes keys are derived for from --cluster-secret. Each is the
// HKDF info string of one key: distinct, so a key leaked from one use
// tells nothing about another. Changing one changes that key on every
// node at once (a rotation).
const (
	keyInfoTURN = "livemall turn-credentials v1"
	keyInfoCSRF = "livemall session-csrf v1"
)

// deriveKey derives the 32-byte key for info from the cluster secret
// (HKDF-SHA256, no salt: the secret is already random and shared).
func deriveKey(clusterSecret, info string) []byte {
	k, err := hkdf.Key(sha256.New, []byte(clusterSecret), nil, info, 32)
	if err != nil {
		// Only a length over 255 hash sizes fails; 32 never does.
		panic(fmt.Sprintf("derive %s key: %v", info, err))
	}
	return k
}

// turnSecret is the TURN credential secret of this node: derived from
// --cluster-secret when given, else --turn-secret, else the secret every
// node on the same NATS shares (made by the first node to ask).
func (a *App) turnSecret() ([]byte, error) {
	switch {
	case a.Config.ClusterSecret != "":
		return deriveKey(a.Config.ClusterSecret, keyInfoTURN), nil
	case a.Config.TURNSecret != "":
		return []byte(a.Config.TURNSecret), nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	secret, err := a.Bus.SharedSecret(ctx, "turn")
	if err != nil {
		return nil, fmt.Errorf("TURN secret: %w", err)
	}
	return secret, nil
}

// csrfKey is the key that signs CSRF tokens: derived from --cluster-secret
// when given, else shared through NATS, so that every node issues and
// accepts the same tokens.
func (a *App) csrfKey(ctx context.Context) ([]byte, error) {
	if a.Config.ClusterSecret != "" {
		return deriveKey(a.Config.ClusterSecret, keyInfoCSRF), nil
	}
	return a.Bus.SharedSecret(ctx, "csrf")
}
