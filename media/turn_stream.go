package media

// The TURN server's TCP and TLS listeners: bounded, so that connections
// that cost nothing to open cannot use up the process's file descriptors.

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	// turnMaxStreamConns bounds the TCP (and, apart, the TLS) connections
	// the TURN server holds: each costs a file descriptor, which the
	// process shares with everything else, and a connection costs nothing
	// to open before it authenticates.
	turnMaxStreamConns = 4096
	// turnStreamIdle closes a TCP or TLS connection that sent nothing for
	// longer than an allocation lives without a refresh (10 minutes, RFC
	// 8656): it holds no allocation any more.
	turnStreamIdle = 11 * time.Minute
	// turnTLSHandshakeTimeout bounds the TLS handshake of a connection.
	turnTLSHandshakeTimeout = 10 * time.Second
)

// turnStreamListener accepts the TURN server's TCP or TLS connections
// within bounds: at most turnMaxStreamConns at once (more are closed at
// once), each closed after idle without a byte, and with TLS only those
// whose handshake finished within handshake: the listener does the
// handshakes itself, apart, because pion's server neither closes a
// connection whose handshake failed nor accepts the next one meanwhile.
// tlsConfig nil serves plain TCP.
type turnStreamListener struct {
	net.Listener
	tlsConfig *tls.Config
	slots     chan struct{}
	idle      time.Duration
	handshake time.Duration
	log       *slog.Logger

	ready chan net.Conn // TLS connections whose handshake is done
	done  chan struct{} // closed when the underlying listener fails
	err   error         // why, set before done is closed
}

func newTURNStreamListener(l net.Listener, tlsConfig *tls.Config, log *slog.Logger) *turnStreamListener {
	return newTURNStreamListenerWithin(l, tlsConfig, log, turnMaxStreamConns, turnStreamIdle, turnTLSHandshakeTimeout)
}

func newTURNStreamListenerWithin(l net.Listener, tlsConfig *tls.Config, log *slog.Logger, maxConns int, idle, handshake time.Duration) *turnStreamListener {
	sl := &turnStreamListener{Listener: l, tlsConfig: tlsConfig, slots: make(chan struct{}, maxConns),
		idle: idle, handshake: handshake, log: log,
		ready: make(chan net.Conn), done: make(chan struct{})}
	if tlsConfig != nil {
		go sl.handshakeLoop()
	}
	return sl
}

// Accept returns the next connection that fits in the bounds (with TLS,
// whose handshake is done).
func (l *turnStreamListener) Accept() (net.Conn, error) {
	if l.tlsConfig != nil {
		select {
		case c := <-l.ready:
			return c, nil
		case <-l.done:
			return nil, l.err
		}
	}
	for {
		c, err := l.accept()
		if c != nil || err != nil {
			return c, err
		}
	}
}

// accept takes the next connection and a slot for it; it returns nil and
// no error when there was no slot (the connection is closed).
func (l *turnStreamListener) accept() (*turnStreamConn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.slots <- struct{}{}:
	default:
		l.log.Warn("turn connection refused", "reason", "too many connections", "client", addrString(c.RemoteAddr()), "max", cap(l.slots))
		_ = c.Close()
		return nil, nil
	}
	return &turnStreamConn{Conn: c, idle: l.idle, release: func() { <-l.slots }}, nil
}

// handshakeLoop accepts TLS connections and shakes hands with each apart,
// handing those that succeed to Accept and closing the others.
func (l *turnStreamListener) handshakeLoop() {
	for {
		c, err := l.accept()
		if err != nil {
			l.err = err
			close(l.done)
			return
		}
		if c == nil {
			continue
		}
		go func() {
			tc := tls.Server(c, l.tlsConfig)
			ctx, cancel := context.WithTimeout(context.Background(), l.handshake)
			err := tc.HandshakeContext(ctx)
			cancel()
			if err != nil {
				l.log.Debug("turn TLS handshake failed", "client", addrString(c.RemoteAddr()), "err", err)
				_ = c.Close()
				return
			}
			select {
			case l.ready <- tc:
			case <-l.done:
				_ = tc.Close()
			}
		}()
	}
}

// turnStreamConn is one accepted connection: each read is bounded by the
// idle time, and closing it frees its slot.
type turnStreamConn struct {
	net.Conn
	idle    time.Duration
	release func()
	once    sync.Once
}

func (c *turnStreamConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *turnStreamConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
