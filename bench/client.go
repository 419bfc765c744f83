package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/descope/virtualwebauthn"
	"github.com/fasthttp/websocket"
)

// node is a livemall server the bench talks to: requests go to addr
// (127.0.0.1:port) with the Host and Origin of its public URL.
type node struct {
	addr   string // 127.0.0.1:port
	origin string // http://localhost:port
	http   *http.Client
}

func newNode(addr string) *node {
	_, port, _ := net.SplitHostPort(addr)
	d := &net.Dialer{}
	tr := &http.Transport{
		DialContext:         func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) },
		MaxIdleConnsPerHost: 64,
	}
	return &node{addr: addr, origin: "http://localhost:" + port, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// member is a signed-up account with its session.
type member struct {
	n         *node
	name      string
	session   string
	csrf      string
	accountID string
	number    string
}

// do sends a request with the member's cookies and returns status and body.
func (m *member) do(method, path string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, m.n.origin+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", m.n.origin)
	var cookies []string
	if m.session != "" {
		cookies = append(cookies, "lm_session="+m.session)
	}
	if m.csrf != "" {
		cookies = append(cookies, "lm_csrf="+m.csrf)
		req.Header.Set("X-CSRF-Token", m.csrf)
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	res, err := m.n.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	for _, c := range res.Cookies() {
		switch c.Name {
		case "lm_session":
			m.session = c.Value
		case "lm_csrf":
			m.csrf = c.Value
		}
	}
	raw, err := io.ReadAll(res.Body)
	return res.StatusCode, raw, err
}

// must sends a request and decodes the answer into v unless the status is
// not want.
func (m *member) must(want int, method, path string, body, v any) error {
	st, raw, err := m.do(method, path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if st != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, path, st, want, raw)
	}
	if v != nil {
		return json.Unmarshal(raw, v)
	}
	return nil
}

// signUp creates a member with a virtual passkey, as the tests do, and
// reads back their account id and number.
func (n *node) signUp(name, email string) (*member, error) {
	m := &member{n: n, name: name}
	begin := map[string]string{"name": name, "email": email, "birthDate": "1990-01-01", "address": "1 Bench St, Springfield"}
	if err := m.registerPasskey("/api/v1/auth/signup", begin, 201); err != nil {
		return nil, err
	}
	var me struct {
		Numbers []struct{ Number string }
	}
	if err := m.must(200, "GET", "/api/v1/directory/me", nil, &me); err != nil {
		return nil, err
	}
	id, err := m.signedInAs()
	if err != nil {
		return nil, err
	}
	if len(me.Numbers) == 0 || id == "" {
		return nil, fmt.Errorf("sign-up of %s gave no number or account", name)
	}
	m.number, m.accountID = me.Numbers[0].Number, id
	return m, nil
}

// registerPasskey registers a virtual passkey as a browser does: it takes
// the CSRF cookie, posts begin (with the begin body) under base, creates
// the passkey the options ask for and posts it to finish, which must answer
// finishStatus (the session cookie comes with that answer).
func (m *member) registerPasskey(base string, begin any, finishStatus int) error {
	if err := m.must(200, "GET", "/api/v1/csrf", nil, nil); err != nil {
		return err
	}
	var b struct {
		Ceremony string          `json:"ceremony"`
		Options  json.RawMessage `json:"options"`
	}
	if err := m.must(200, "POST", base+"/begin", begin, &b); err != nil {
		return err
	}
	opts, err := virtualwebauthn.ParseAttestationOptions(string(b.Options))
	if err != nil {
		return err
	}
	authr := virtualwebauthn.NewAuthenticator()
	authr.Options.UserHandle = []byte(opts.UserID)
	rp := virtualwebauthn.RelyingParty{Name: "livemall", ID: "localhost", Origin: m.n.origin}
	cred := json.RawMessage(virtualwebauthn.CreateAttestationResponse(rp, authr, newCredential(), *opts))
	return m.must(finishStatus, "POST", base+"/finish", map[string]any{"ceremony": b.Ceremony, "credential": cred}, nil)
}

// signedInAs reads back the id of the signed-in account (GET /api/v1/me).
func (m *member) signedInAs() (string, error) {
	var session struct {
		Account struct{ ID string }
	}
	err := m.must(200, "GET", "/api/v1/me", nil, &session)
	return session.Account.ID, err
}

// signUpMany signs up count members named prefix-i, eight at a time.
func (n *node) signUpMany(prefix string, count int) ([]*member, error) {
	out := make([]*member, count)
	err := inParallel(8, count, func(i int) (err error) {
		out[i], err = n.signUp(fmt.Sprintf("Bench %s %d", prefix, i), fmt.Sprintf("%s-%d@bench.example.com", prefix, i))
		return err
	})
	return out, err
}

// signUpTwo signs up two groups of members (see signUpMany): na named
// a-i and nb named b-i.
func (n *node) signUpTwo(a string, na int, b string, nb int) (as, bs []*member, err error) {
	if as, err = n.signUpMany(a, na); err != nil {
		return nil, nil, err
	}
	if bs, err = n.signUpMany(b, nb); err != nil {
		return nil, nil, err
	}
	return as, bs, nil
}

// inParallel runs do(0) … do(count-1) on workers goroutines, each taking
// the next i, and returns the error of the lowest i that failed, if any.
func inParallel(workers, count int, do func(i int) error) error {
	errs := make([]error, count)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				errs[i] = do(i)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// newCredential returns a virtual passkey whose public key coordinates are
// full length (virtualwebauthn drops leading zero bytes; see the app
// harness).
func newCredential() virtualwebauthn.Credential {
	for {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		if len(k.X.Bytes()) != 32 || len(k.Y.Bytes()) != 32 {
			continue
		}
		der, _ := x509.MarshalPKCS8PrivateKey(k)
		return virtualwebauthn.NewCredentialWithImportedKey(virtualwebauthn.KeyTypeEC2, der)
	}
}

// sources spreads outgoing connections over 127.0.0.1–127.0.0.(n) so that
// no source address runs out of ephemeral ports (28,000 each).
type sources struct {
	n    int
	base int // the addresses are 127.0.0.(base+1) to 127.0.0.(base+n)
	next atomic.Int64
}

// dialer returns a dialer bound to the next source address; with n 0,
// one bound to none (for nodes off the loopback, as the regions').
func (s *sources) dialer() *net.Dialer {
	if s.n == 0 {
		return &net.Dialer{}
	}
	i := int(s.next.Add(1)-1) % max(1, s.n)
	return sourceDialer(s.base + 1 + i)
}

// openSocket connects the member's device to the node's signaling socket
// from one of src's addresses and reads the hello. The server attaches
// every socket of the member's session to the one device it issued at
// sign-up, so several sockets of a member are several connections (tabs)
// of that device; name only labels errors.
func (m *member) openSocket(name string, src *sources) (*websocket.Conn, error) {
	return m.n.openSignaling(name, "lm_session="+m.session, src)
}

// openSignaling opens the node's signaling socket with the given cookie (a
// member's session or a mall guest's) from one of src's addresses, and
// reads the hello. The connection attaches to the device the server bound
// to the cookie; name only labels errors.
func (n *node) openSignaling(name, cookie string, src *sources) (*websocket.Conn, error) {
	d := src.dialer()
	wd := websocket.Dialer{
		NetDial:          func(_, _ string) (net.Conn, error) { return d.Dial("tcp", n.addr) },
		HandshakeTimeout: 15 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  1024,
	}
	h := http.Header{}
	h.Set("Origin", n.origin)
	h.Set("Cookie", cookie)
	url := "ws" + strings.TrimPrefix(n.origin, "http") + "/api/v1/ws"
	conn, res, err := wd.Dial(url, h)
	if err != nil {
		if res != nil {
			body, _ := io.ReadAll(res.Body)
			return nil, fmt.Errorf("open socket %s: %w (%d %s)", name, err, res.StatusCode, body)
		}
		return nil, fmt.Errorf("open socket %s: %w", name, err)
	}
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	var hello struct{ Type string }
	if err := conn.ReadJSON(&hello); err != nil || hello.Type != "hello" {
		conn.Close()
		return nil, fmt.Errorf("no hello on socket %s (%v, %q)", name, err, hello.Type)
	}
	conn.SetReadDeadline(time.Time{})
	return conn, nil
}

// wsMessage is a signaling message as the bench reads it.
type wsMessage struct {
	Type string          `json:"type"`
	V    int             `json:"v"`
	Data json.RawMessage `json:"data,omitempty"`
}

// encodeMessage builds a signaling message.
func encodeMessage(typ string, data any) []byte {
	var raw json.RawMessage
	if data != nil {
		raw, _ = json.Marshal(data)
	}
	out, _ := json.Marshal(wsMessage{Type: typ, V: 1, Data: raw})
	return out
}

func numCPU() int { return runtime.NumCPU() }

func runQuiet(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, out)
	}
	return nil
}

// awaitOnline waits until m's look-up of number finds its party online
// (any state but offline), or d passes.
func awaitOnline(m *member, number string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		var res struct{ State string }
		err := m.must(200, "GET", "/api/v1/numbers/"+number, nil, &res)
		if err == nil && res.State != "" && res.State != "offline" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s was not online after %v (state %q, %v)", number, d, res.State, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
