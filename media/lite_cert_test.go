package media

import (
	"crypto/x509"
	"sync/atomic"
	"testing"
	"time"
)

// TestTheLiteCertificateIsRenewedBeforeItExpires: new transports get the
// same DTLS certificate until it is within a week of expiring, then a new
// one valid for weeks more, which they get in turn.
func TestTheLiteCertificateIsRenewedBeforeItExpires(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	certs, err := newLiteCert(clock)
	if err != nil {
		t.Fatal(err)
	}
	fingerprint := func() (string, time.Time) {
		t.Helper()
		der := certs.current().Certificate[0]
		fp, err := certFingerprint(der)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return fp, leaf.NotAfter
	}
	first, expires := fingerprint()
	if again, _ := fingerprint(); again != first {
		t.Fatal("a certificate far from expiring was replaced")
	}
	now.Store(expires.Add(-liteCertRenewal - time.Hour).UnixNano())
	if same, _ := fingerprint(); same != first {
		t.Fatal("the certificate was replaced more than a week before it expires")
	}
	now.Store(expires.Add(-liteCertRenewal + time.Hour).UnixNano())
	second, secondExpires := fingerprint()
	if second == first {
		t.Fatal("a certificate within a week of expiring was handed out again")
	}
	if !secondExpires.After(expires) {
		t.Fatalf("the new certificate expires %v, not after the old one's %v", secondExpires, expires)
	}
	if again, _ := fingerprint(); again != second {
		t.Fatal("the new certificate was replaced at once")
	}
}
