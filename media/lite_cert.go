package media

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// The lite engine's DTLS certificates are self-signed ECDSA P-256 (as
// pion's own), valid for liteCertLife, and replaced liteCertRenewal before
// they expire. Devices check a DTLS certificate only against the
// fingerprint of the offer they were given, not its dates, but a node that
// runs for months should not hand out expired certificates all the same.
const (
	liteCertLife    = 30 * 24 * time.Hour
	liteCertRenewal = 7 * 24 * time.Hour
)

// liteCert is the lite engine's DTLS certificate for new transports. A
// transport keeps the certificate it was made with for its whole life
// (a call lasts hours, not the week of overlap).
type liteCert struct {
	now func() time.Time

	mu       sync.Mutex
	cert     tls.Certificate
	notAfter time.Time
}

// newLiteCert makes the first certificate; now is the clock (time.Now).
func newLiteCert(now func() time.Time) (*liteCert, error) {
	c := &liteCert{now: now}
	if err := c.renew(); err != nil {
		return nil, err
	}
	return c, nil
}

// current is the certificate for a new transport: the one in use, or a
// new one when it is within liteCertRenewal of expiring. If a new one
// cannot be made, the one in use serves until it can.
func (c *liteCert) current() tls.Certificate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now().Add(liteCertRenewal).After(c.notAfter) {
		_ = c.renewLocked()
	}
	return c.cert
}

// renew makes a new certificate.
func (c *liteCert) renew() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.renewLocked()
}

// renewLocked is renew with mu held.
func (c *liteCert) renewLocked() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("DTLS certificate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return fmt.Errorf("DTLS certificate serial: %w", err)
	}
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "livemall"},
		// An hour back, for devices whose clocks run behind.
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(liteCertLife),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("DTLS certificate: %w", err)
	}
	c.cert, c.notAfter = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, tmpl.NotAfter
	return nil
}
