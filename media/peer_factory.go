package media

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/transport/v5/stdnet"
	"github.com/pion/webrtc/v4"
)

// certificateRenewal is how long before its expiry the node's DTLS
// certificate is replaced (pion's certificates last a month).
const certificateRenewal = 7 * 24 * time.Hour

// peerFactory makes the node's server-side peer connections. What a
// connection needs that does not depend on its call is made once per
// node rather than once per connection, where it cost a tenth of a dial's
// CPU: the list of network interfaces (a pion ICE agent otherwise lists
// them anew, over netlink, for each connection) and the DTLS certificate
// (otherwise a new ECDSA key and self-signed certificate for each), which
// is renewed a week before it expires. One certificate per process is
// what Janus and mediasoup do too: it only authenticates the DTLS
// handshake, whose keys are ephemeral per connection, and its
// fingerprint reaches the client through the authenticated signaling.
type peerFactory struct {
	api *webrtc.API
	// lite, when set, carries the participants instead of pion's peer
	// connections (SFUConfig.LiteTransport).
	lite *liteEngine

	mu   sync.Mutex
	cert *webrtc.Certificate
}

// newPeerFactory builds the API from the engine, interceptors and settings,
// with one interface list for every connection. The node binds its media
// sockets to the addresses it has at start (listenMediaUDP); the list is
// taken at the same moment.
func newPeerFactory(m *webrtc.MediaEngine, reg *interceptor.Registry, se webrtc.SettingEngine) (*peerFactory, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, fmt.Errorf("list network interfaces: %w", err)
	}
	se.SetNet(n)
	return &peerFactory{api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))}, nil
}

// newPeerConnection opens a peer connection with the node's certificate.
func (f *peerFactory) newPeerConnection() (*webrtc.PeerConnection, error) {
	cert, err := f.certificate(time.Now())
	if err != nil {
		return nil, err
	}
	return f.api.NewPeerConnection(webrtc.Configuration{Certificates: []webrtc.Certificate{*cert}})
}

// certificate returns the node's DTLS certificate, made anew when there is
// none or the one there is expires within certificateRenewal of now.
func (f *peerFactory) certificate(now time.Time) (*webrtc.Certificate, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.cert != nil && f.cert.Expires().Sub(now) > certificateRenewal {
		return f.cert, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("DTLS key: %w", err)
	}
	cert, err := webrtc.GenerateCertificate(key)
	if err != nil {
		return nil, fmt.Errorf("DTLS certificate: %w", err)
	}
	f.cert = cert
	return cert, nil
}
