package push_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/app/apptest"
	"github.com/livemall/livemall/backend/config"
	"github.com/livemall/livemall/push"
	"github.com/livemall/livemall/push/pushtest"
)

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
	ps := pushtest.NewService(t, key.PublicKey)

	ann := apptest.Member(t, a, "Ann Push")
	bob := apptest.Member(t, a, "Bob Push")
	annEndpoint, annBrowser := ps.Endpoint("ann")
	bobEndpoint, bobBrowser := ps.Endpoint("bob")
	var st struct{ Subscribed bool }
	ann.Must(200, "GET", "/api/v1/push/subscription", nil).JSON(t, &st)
	if st.Subscribed {
		t.Fatal("subscribed before subscribing")
	}
	ann.Must(200, "PUT", "/api/v1/push/subscription", annBrowser.Subscription(annEndpoint))
	bob.Must(200, "PUT", "/api/v1/push/subscription", bobBrowser.Subscription(bobEndpoint))
	ann.Must(200, "GET", "/api/v1/push/subscription", nil).JSON(t, &st)
	if !st.Subscribed {
		t.Fatal("not subscribed after subscribing")
	}

	ring := push.Message{Kind: "ring", Title: "Bob Push is calling", Body: "2000 0000 0001", URL: "/phone/?call=c_1", CallID: "c_1", Urgent: true, TTL: 30 * time.Second}
	d, err := a.Push.Send(context.Background(), ann.AccountID(), ring)
	if err != nil || d != (push.Delivery{Sent: 1}) {
		t.Fatalf("send: %+v %v", d, err)
	}
	got := ps.Received(annEndpoint)
	if len(got) != 1 || got[0].Kind != "ring" || got[0].Title != ring.Title || got[0].Body != ring.Body || got[0].URL != ring.URL || got[0].CallID != "c_1" {
		t.Fatalf("Ann's push service received %+v", got)
	}
	h := ps.Headers(annEndpoint)
	if h.Get("Urgency") != "high" || h.Get("TTL") != "30" {
		t.Fatalf("a ring's headers: Urgency %q TTL %q", h.Get("Urgency"), h.Get("TTL"))
	}
	if n := len(ps.Received(bobEndpoint)); n != 0 {
		t.Fatalf("Bob's device received %d of Ann's pushes", n)
	}
	var sent int64
	a.DB.Table("push_subscriptions").Where("account_id = ? AND last_sent_at IS NOT NULL", ann.AccountID()).Count(&sent)
	if sent != 1 {
		t.Fatal("the delivery was not recorded")
	}

	// The push service says Ann's subscription is gone: it is forgotten.
	ps.Answer(annEndpoint, http.StatusGone)
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
	bob.Must(200, "PUT", "/api/v1/push/subscription", bobBrowser.Subscription(bobEndpoint))
	bobID := bob.AccountID()
	bob.Must(204, "POST", "/api/v1/auth/signout", nil)
	if n := subscriptions(a, bobID); n != 0 {
		t.Fatalf("%d subscriptions of Bob after signing out on the device", n)
	}
}

// TestPushSubscriptionRefusals: who may subscribe, and with what.
func TestPushSubscriptionRefusals(t *testing.T) {
	a := apptest.New(t, withLocalPush)
	ps := pushtest.NewService(t, a.Push.PublicKey())
	endpoint, b := ps.Endpoint("x")
	good := b.Subscription(endpoint)
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
	b := pushtest.NewBrowser(t)
	keys := b.Subscription("")["keys"]
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
	ps := pushtest.NewService(t, a.Push.PublicKey())
	endpoint, b := ps.Endpoint("local")
	m := apptest.Member(t, a, "Di Local")
	if r := m.Do("PUT", "/api/v1/push/subscription", b.Subscription(endpoint)); r.Status != 400 || !strings.Contains(r.Body, "https") {
		t.Fatalf("a local http endpoint: %d %s", r.Status, r.Body)
	}
	sub, err := push.ParseSubscription(mustJSON(t, b.Subscription(endpoint)), true)
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
	if n := len(ps.Received(endpoint)); n != 0 {
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
	b := pushtest.NewBrowser(&testing.T{})
	f.Add(mustJSON(&testing.T{}, b.Subscription("https://fcm.googleapis.com/fcm/send/x")), false)
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
