package push_test

import (
	"bytes"
	"context"
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
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/push"
)

// browser is a push subscription's private side, as a browser keeps it.
type browser struct {
	key  *ecdh.PrivateKey
	auth []byte
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := make([]byte, 16)
	rand.Read(auth)
	return &browser{key: key, auth: auth}
}

// subscription is the body the browser's PushSubscription.toJSON() gives.
func (b *browser) subscription(endpoint string) map[string]any {
	return map[string]any{"endpoint": endpoint, "expirationTime": nil, "keys": map[string]string{
		"p256dh": base64.RawURLEncoding.EncodeToString(b.key.PublicKey().Bytes()),
		"auth":   base64.RawURLEncoding.EncodeToString(b.auth),
	}}
}

// decrypt opens an aes128gcm body (RFC 8188) encrypted for the browser
// (RFC 8291) and returns the message without its padding.
func (b *browser) decrypt(body []byte) ([]byte, error) {
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

// pushService is a local push service (RFC 8030): it keeps what each
// endpoint received, decrypted by the browser it belongs to, and answers
// with status (201 unless told otherwise).
type pushService struct {
	t        *testing.T
	srv      *httptest.Server
	vapidKey string // the application server key subscriptions were made with

	mu       sync.Mutex
	browsers map[string]*browser
	status   map[string]int
	got      map[string][]push.Message
	headers  map[string]http.Header
}

func newPushService(t *testing.T, vapidKey string) *pushService {
	p := &pushService{t: t, vapidKey: vapidKey, browsers: map[string]*browser{}, status: map[string]int{}, got: map[string][]push.Message{}, headers: map[string]http.Header{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// endpoint makes an endpoint for a new browser.
func (p *pushService) endpoint(name string) (string, *browser) {
	b := newBrowser(p.t)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.browsers["/push/"+name] = b
	return p.srv.URL + "/push/" + name, b
}

func (p *pushService) serve(w http.ResponseWriter, r *http.Request) {
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
	plain, err := b.decrypt(body)
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
func (p *pushService) checkVAPID(r *http.Request) error {
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

func (p *pushService) received(endpoint string) []push.Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]push.Message(nil), p.got[strings.TrimPrefix(endpoint, p.srv.URL)]...)
}

func (p *pushService) answer(endpoint string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[strings.TrimPrefix(endpoint, p.srv.URL)] = status
}

// withLocalPush lets subscriptions point at the test's push service.
func withLocalPush(c *config.Config) { c.PushAllowLocalEndpoints = true }

// subscriptions counts the account's subscriptions.
func subscriptions(a *app.App, accountID string) int64 {
	var n int64
	a.DB.Table("push_subscriptions").Where("account_id = ?", accountID).Count(&n)
	return n
}

// TestPushIsEncryptedForTheSubscriptionAndRemovedWhenGone: a member's
// device subscribes; a push reaches that device's push service only,
// encrypted for its keys (decrypted here with the browser's private key)
// and signed with the node's VAPID key; another member's device gets
// nothing of it; when the push service says the subscription is gone
// (410) it is forgotten; signing out forgets the device's subscription.
func TestPushIsEncryptedForTheSubscriptionAndRemovedWhenGone(t *testing.T) {
	a := apptest.New(t, withLocalPush)
	var key struct{ PublicKey string }
	apptest.NewClient(t, a).Must(200, "GET", "/api/v1/push/key", nil).JSON(t, &key)
	if key.PublicKey != a.Push.PublicKey() || len(key.PublicKey) != 87 {
		t.Fatalf("VAPID key %q", key.PublicKey)
	}
	ps := newPushService(t, key.PublicKey)

	ann := apptest.Member(t, a, "Ann Push")
	bob := apptest.Member(t, a, "Bob Push")
	annEndpoint, _ := ps.endpoint("ann")
	bobEndpoint, _ := ps.endpoint("bob")
	var st struct{ Subscribed bool }
	ann.Must(200, "GET", "/api/v1/push/subscription", nil).JSON(t, &st)
	if st.Subscribed {
		t.Fatal("subscribed before subscribing")
	}
	ann.Must(200, "PUT", "/api/v1/push/subscription", ps.browsers["/push/ann"].subscription(annEndpoint))
	bob.Must(200, "PUT", "/api/v1/push/subscription", ps.browsers["/push/bob"].subscription(bobEndpoint))
	ann.Must(200, "GET", "/api/v1/push/subscription", nil).JSON(t, &st)
	if !st.Subscribed {
		t.Fatal("not subscribed after subscribing")
	}

	ring := push.Message{Kind: "ring", Title: "Bob Push is calling", Body: "2000 0000 0001", URL: "/phone/?call=c_1", CallID: "c_1", Urgent: true, TTL: 30 * time.Second}
	d, err := a.Push.Send(context.Background(), ann.AccountID(), ring)
	if err != nil || d != (push.Delivery{Sent: 1}) {
		t.Fatalf("send: %+v %v", d, err)
	}
	got := ps.received(annEndpoint)
	if len(got) != 1 || got[0].Kind != "ring" || got[0].Title != ring.Title || got[0].Body != ring.Body || got[0].URL != ring.URL || got[0].CallID != "c_1" {
		t.Fatalf("Ann's push service received %+v", got)
	}
	h := ps.headers["/push/ann"]
	if h.Get("Urgency") != "high" || h.Get("TTL") != "30" {
		t.Fatalf("a ring's headers: Urgency %q TTL %q", h.Get("Urgency"), h.Get("TTL"))
	}
	if n := len(ps.received(bobEndpoint)); n != 0 {
		t.Fatalf("Bob's device received %d of Ann's pushes", n)
	}
	var sent int64
	a.DB.Table("push_subscriptions").Where("account_id = ? AND last_sent_at IS NOT NULL", ann.AccountID()).Count(&sent)
	if sent != 1 {
		t.Fatal("the delivery was not recorded")
	}

	// The push service says Ann's subscription is gone: it is forgotten.
	ps.answer(annEndpoint, http.StatusGone)
	if d, err := a.Push.Send(context.Background(), ann.AccountID(), push.Message{Kind: "missed_call", Title: "Missed call"}); err != nil || d != (push.Delivery{Gone: 1}) {
		t.Fatalf("send to a gone subscription: %+v %v", d, err)
	}
	if n := subscriptions(a, ann.AccountID()); n != 0 {
		t.Fatalf("%d subscriptions of Ann left after 410", n)
	}
	if d, _ := a.Push.Send(context.Background(), ann.AccountID(), ring); d != (push.Delivery{}) {
		t.Fatalf("send after the subscription went: %+v", d)
	}
	ann.Must(200, "GET", "/api/v1/push/subscription", nil).JSON(t, &st)
	if st.Subscribed {
		t.Fatal("still subscribed after 410")
	}

	// Bob turns push off, then on again, then signs out: each is kept.
	bob.Must(200, "DELETE", "/api/v1/push/subscription", nil)
	if n := subscriptions(a, bob.AccountID()); n != 0 {
		t.Fatalf("%d subscriptions of Bob after turning push off", n)
	}
	bob.Must(200, "PUT", "/api/v1/push/subscription", ps.browsers["/push/bob"].subscription(bobEndpoint))
	bobID := bob.AccountID()
	bob.Must(204, "POST", "/api/v1/auth/signout", nil)
	if n := subscriptions(a, bobID); n != 0 {
		t.Fatalf("%d subscriptions of Bob after signing out on the device", n)
	}
}

// TestPushSubscriptionRefusals: who may subscribe, and with what.
func TestPushSubscriptionRefusals(t *testing.T) {
	a := apptest.New(t, withLocalPush)
	ps := newPushService(t, a.Push.PublicKey())
	endpoint, b := ps.endpoint("x")
	good := b.subscription(endpoint)
	m := apptest.Member(t, a, "Cy Refused")
	actors := apptest.Actors{"member": m}
	cases := []apptest.Scenario{
		{Name: "signed out subscribes", Method: "PUT", Path: "/api/v1/push/subscription", Body: good, Status: 401},
		{Name: "signed out asks", Method: "GET", Path: "/api/v1/push/subscription", Status: 401},
		{Name: "signed out unsubscribes", Method: "DELETE", Path: "/api/v1/push/subscription", Status: 401},
		{Name: "no body", Who: "member", Method: "PUT", Path: "/api/v1/push/subscription", Status: 400, Text: "request body is empty"},
		{Name: "not JSON", Who: "member", Method: "PUT", Path: "/api/v1/push/subscription", Body: "endpoint", Status: 400},
		{Name: "no keys", Who: "member", Method: "PUT", Path: "/api/v1/push/subscription", Body: map[string]any{"endpoint": endpoint}, Status: 400, Text: "required"},
		{Name: "a key off the curve", Who: "member", Method: "PUT", Path: "/api/v1/push/subscription", Body: map[string]any{"endpoint": endpoint, "keys": map[string]string{"p256dh": base64.RawURLEncoding.EncodeToString(append([]byte{4}, make([]byte, 64)...)), "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, Status: 400, Text: "P-256"},
		{Name: "unknown field", Who: "member", Method: "PUT", Path: "/api/v1/push/subscription", Body: map[string]any{"endpoint": endpoint, "keys": good["keys"], "account": "someone"}, Status: 400, Text: "unknown field"},
	}
	apptest.RunScenarios(t, a, actors, cases)
	if n := subscriptions(a, m.AccountID()); n != 0 {
		t.Fatalf("refused requests left %d subscriptions", n)
	}
}

// TestParseSubscriptionBadCases is the parser's table, without the tests'
// allowance for local endpoints: the server posts to what it accepts, so
// only a push service's https URL on a named host is.
func TestParseSubscriptionBadCases(t *testing.T) {
	b := newBrowser(t)
	keys := b.subscription("")["keys"]
	body := func(endpoint string) []byte {
		j, _ := json.Marshal(map[string]any{"endpoint": endpoint, "keys": keys})
		return j
	}
	good := "https://fcm.googleapis.com/fcm/send/abc:APA91b"
	if s, err := push.ParseSubscription(body(good), false); err != nil || s.Endpoint != good {
		t.Fatalf("a good subscription: %+v %v", s, err)
	}
	if _, err := push.ParseSubscription(body("http://127.0.0.1:9/x"), true); err != nil {
		t.Fatalf("a local endpoint with the tests' allowance: %v", err)
	}
	for name, raw := range map[string][]byte{
		"plain http":          body("http://fcm.googleapis.com/x"),
		"loopback address":    body("https://127.0.0.1/x"),
		"private address":     body("https://10.0.0.7/x"),
		"IPv6 literal":        body("https://[::1]/x"),
		"metadata address":    body("https://169.254.169.254/latest"),
		"single-label host":   body("https://localhost/x"),
		"another port":        body("https://push.example.com:8443/x"),
		"a user":              body("https://user:pw@push.example.com/x"),
		"a fragment":          body("https://push.example.com/x#y"),
		"no host":             body("https:///x"),
		"not a URL":           body("::"),
		"another scheme":      body("ftp://push.example.com/x"),
		"opaque":              body("https:push.example.com"),
		"too long":            body("https://push.example.com/" + strings.Repeat("a", push.MaxEndpointLength)),
		"empty":               body(""),
		"no keys":             []byte(`{"endpoint":"` + good + `"}`),
		"auth of 8 bytes":     []byte(`{"endpoint":"` + good + `","keys":{"p256dh":"` + keys.(map[string]string)["p256dh"] + `","auth":"AAAAAAAAAAA"}}`),
		"p256dh compressed":   []byte(`{"endpoint":"` + good + `","keys":{"p256dh":"` + base64.RawURLEncoding.EncodeToString(append([]byte{2}, make([]byte, 32)...)) + `","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}`),
		"p256dh not base64":   []byte(`{"endpoint":"` + good + `","keys":{"p256dh":"%%%","auth":"AAAAAAAAAAAAAAAAAAAAAA"}}`),
		"an array":            []byte(`[]`),
		"trailing data":       append(body(good), []byte(`{}`)...),
		"endpoint as number":  []byte(`{"endpoint":1,"keys":{}}`),
		"expirationTime text": []byte(`{"endpoint":"` + good + `","expirationTime":"soon","keys":{}}`),
	} {
		if _, err := push.ParseSubscription(raw, false); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "invalid") {
			t.Errorf("%s: %v, want an invalid-input error", name, err)
		}
	}
}

// TestPushRefusesLocalEndpointsOutsideTests: a subscription that points at
// a local address (stored before the rule, or a name that resolves there)
// is never posted to by a node without the tests' allowance.
func TestPushRefusesLocalEndpointsOutsideTests(t *testing.T) {
	a := apptest.New(t)
	ps := newPushService(t, a.Push.PublicKey())
	endpoint, b := ps.endpoint("local")
	m := apptest.Member(t, a, "Di Local")
	if r := m.Do("PUT", "/api/v1/push/subscription", b.subscription(endpoint)); r.Status != 400 || !strings.Contains(r.Body, "https") {
		t.Fatalf("a local http endpoint: %d %s", r.Status, r.Body)
	}
	sub, err := push.ParseSubscription(mustJSON(t, b.subscription(endpoint)), true)
	if err != nil {
		t.Fatal(err)
	}
	var device string
	a.DB.Table("device_accounts").Where("account_id = ?", m.AccountID()).Pluck("device_id", &device)
	if device == "" {
		t.Fatal("the member has no device")
	}
	if err := a.Push.Subscribe(context.Background(), m.AccountID(), device, sub); err != nil {
		t.Fatal(err)
	}
	d, err := a.Push.Send(context.Background(), m.AccountID(), push.Message{Kind: "ring", Title: "x"})
	if err != nil || d != (push.Delivery{Failed: 1}) {
		t.Fatalf("send to a loopback endpoint: %+v %v", d, err)
	}
	if n := len(ps.received(endpoint)); n != 0 {
		t.Fatalf("the loopback endpoint received %d pushes", n)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func FuzzParseSubscription(f *testing.F) {
	b := newBrowser(&testing.T{})
	f.Add(mustJSON(&testing.T{}, b.subscription("https://fcm.googleapis.com/fcm/send/x")), false)
	f.Add([]byte(`{"endpoint":"http://127.0.0.1/x","keys":{"p256dh":"","auth":""}}`), true)
	f.Fuzz(func(t *testing.T, body []byte, allowLocal bool) {
		s, err := push.ParseSubscription(body, allowLocal)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid") {
				t.Fatalf("not an invalid-input error: %v", err)
			}
			return
		}
		if len(s.Endpoint) > push.MaxEndpointLength || (!allowLocal && !strings.HasPrefix(s.Endpoint, "https://")) {
			t.Fatalf("accepted endpoint %q", s.Endpoint)
		}
	})
}

// TestVAPIDKeysAreMadeOnceAndCheckedWhenGiven: nodes on one database share
// the pair the first made; a given pair must be a P-256 pair.
func TestVAPIDKeysAreMadeOnceAndCheckedWhenGiven(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	other, err := push.New(ctx, a.DB.DB, push.Config{})
	if err != nil || other.PublicKey() != a.Push.PublicKey() {
		t.Fatalf("a second node's key %q, the first's %q (%v)", other.PublicKey(), a.Push.PublicKey(), err)
	}
	k1, _ := push.GenerateKeys()
	k2, _ := push.GenerateKeys()
	given, err := push.New(ctx, a.DB.DB, push.Config{PublicKey: k1.Public, PrivateKey: k1.Private})
	if err != nil || given.PublicKey() != k1.Public {
		t.Fatalf("a given pair: %v", err)
	}
	for name, k := range map[string]push.Keys{
		"mismatched":         {Public: k2.Public, Private: k1.Private},
		"private not base64": {Public: k1.Public, Private: "%%%"},
		"private too short":  {Public: k1.Public, Private: "AAAA"},
		"public not base64":  {Public: "%%%", Private: k1.Private},
		"public missing":     {Private: k1.Private},
	} {
		if _, err := push.New(ctx, a.DB.DB, push.Config{PublicKey: k.Public, PrivateKey: k.Private}); err == nil || !strings.Contains(err.Error(), "--vapid") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
