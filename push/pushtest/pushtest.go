// Package pushtest is a local push service (RFC 8030) for tests: it
// decrypts each message (RFC 8291) with the private key of the browser
// whose subscription it made and checks its VAPID signature (RFC 8292).
package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/livemall/livemall/push"
)

// Browser is a push subscription's private side, as a browser keeps it.
type Browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &Browser{key: key, auth: auth}
}

// Subscription is the body the browser's PushSubscription.toJSON() gives.
func (b *Browser) Subscription(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(b.key.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(b.auth),
	}}
}

// Decrypt opens an aes128gcm body (RFC 8188) encrypted for the browser
// (RFC 8291) and returns the message without its padding.
func (b *Browser) Decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, fmt.Errorf("body of %d bytes has no header", len(body))
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if len(body) < 21+idlen || rs < 18 {
		return nil, fmt.Errorf("bad header: rs %d, idlen %d", rs, idlen)
	}
	serverPub, ct := body[21:21+idlen], body[21+idlen:]
	pub, err := ecdh.P256().NewPublicKey(serverPub)
	if err != nil {
		return nil, fmt.Errorf("the server's key: %w", err)
	}
	shared, err := b.key.ECDH(pub)
	if err != nil {
		return nil, err
	}
	info := "WebPush: info\x00" + string(b.key.PublicKey().Bytes()) + string(serverPub)
	ikm, err := hkdf.Key(sha256.New, shared, b.auth, info, 32)
	if err != nil {
		return nil, err
	}
	cek, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	nonce, _ := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, _ := cipher.NewGCM(block)
	if len(ct) > int(rs) {
		return nil, fmt.Errorf("more than one record (%d bytes, rs %d)", len(ct), rs)
	}
	plain, err := gcm.Open(nil, nonce, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	if len(plain) == 0 || plain[len(plain)-1] != 0x02 {
		return nil, fmt.Errorf("no last-record delimiter")
	}
	return plain[:len(plain)-1], nil
}

// Service is a local push service (RFC 8030): it keeps what each
// endpoint received, decrypted by the browser it belongs to, and answers
// with status (201 unless told otherwise).
type Service struct {
	t        testing.TB
	srv      *httptest.Server
	vapidKey string // the application server key subscriptions were made with

	mu       sync.Mutex
	browsers map[string]*Browser
	status   map[string]int
	got      map[string][]push.Message
	headers  map[string]http.Header
}

func NewService(t testing.TB, vapidKey string) *Service {
	p := &Service{t: t, vapidKey: vapidKey, browsers: map[string]*Browser{}, status: map[string]int{}, got: map[string][]push.Message{}, headers: map[string]http.Header{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// Endpoint makes an endpoint for a new browser.
func (p *Service) Endpoint(name string) (string, *Browser) {
	b := NewBrowser(p.t)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.browsers["/push/"+name] = b
	return p.srv.URL + "/push/" + name, b
}

func (p *Service) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	b, ok := p.browsers[r.URL.Path]
	if !ok {
		http.Error(w, "no such subscription", http.StatusNotFound)
		return
	}
	if st := p.status[r.URL.Path]; st != 0 {
		w.WriteHeader(st)
		return
	}
	if err := p.checkVAPID(r); err != nil {
		p.t.Errorf("%s: VAPID: %v", r.URL.Path, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Encoding") != "aes128gcm" {
		p.t.Errorf("%s: Content-Encoding %q", r.URL.Path, r.Header.Get("Content-Encoding"))
	}
	plain, err := b.Decrypt(body)
	if err != nil {
		p.t.Errorf("%s: %v", r.URL.Path, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	var m push.Message
	if err := json.Unmarshal(plain, &m); err != nil {
		p.t.Errorf("%s: payload %q: %v", r.URL.Path, plain, err)
	}
	p.got[r.URL.Path] = append(p.got[r.URL.Path], m)
	p.headers[r.URL.Path] = r.Header.Clone()
	w.WriteHeader(http.StatusCreated)
}

// checkVAPID checks the Authorization header (RFC 8292): a JWT signed by
// the key the subscription was made with, for this push service's origin.
func (p *Service) checkVAPID(r *http.Request) error {
	h := r.Header.Get("Authorization")
	var tok, k string
	for _, part := range strings.Split(strings.TrimPrefix(h, "vapid "), ",") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, "t="); ok {
			tok = v
		} else if v, ok := strings.CutPrefix(part, "k="); ok {
			k = v
		}
	}
	if !strings.HasPrefix(h, "vapid ") || tok == "" || k != p.vapidKey {
		return fmt.Errorf("header %q, want vapid t=…, k=%s", h, p.vapidKey)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(k)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), raw)
	if err != nil {
		return err
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return pub, nil }, jwt.WithValidMethods([]string{"ES256"}), jwt.WithExpirationRequired()); err != nil {
		return err
	}
	if claims["aud"] != p.srv.URL {
		return fmt.Errorf("aud %v, want %s", claims["aud"], p.srv.URL)
	}
	if sub, _ := claims["sub"].(string); !strings.HasPrefix(sub, "mailto:") {
		return fmt.Errorf("sub %q is no contact", sub)
	}
	return nil
}

// Headers returns the headers of the last push the endpoint received.
func (p *Service) Headers(endpoint string) http.Header {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.headers[strings.TrimPrefix(endpoint, p.srv.URL)]
}

// Received returns what the endpoint received, decrypted.
func (p *Service) Received(endpoint string) []push.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]push.Message(nil), p.got[strings.TrimPrefix(endpoint, p.srv.URL)]...)
}

// Answer makes the endpoint answer every push with status from now on.
func (p *Service) Answer(endpoint string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[strings.TrimPrefix(endpoint, p.srv.URL)] = status
}
