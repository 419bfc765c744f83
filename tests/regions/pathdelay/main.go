// Command pathdelay relays TCP connections with a fixed one-way delay in
// each direction: the stand-in for tc netem on kernels built without it,
// so that scripts/regions.sh can still put a distance between regions (on
// the NATS gateway connections, the only traffic between them). Test
// machines only.
//
//	pathdelay -path 127.0.0.1:7302=10.94.0.12:7222@20ms [-path …]
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strings"
	"time"
)

// path is one relay: connections to listen are carried to target, every
// byte held for delay in each direction.
type path struct {
	listen, target string
	delay          time.Duration
}

// parsePath reads LISTEN=TARGET@DELAY.
func parsePath(s string) (path, error) {
	l, rest, ok1 := strings.Cut(s, "=")
	t, d, ok2 := strings.Cut(rest, "@")
	if !ok1 || !ok2 {
		return path{}, fmt.Errorf("path %q must look like LISTEN=TARGET@DELAY", s)
	}
	delay, err := time.ParseDuration(d)
	if err != nil || delay < 0 {
		return path{}, fmt.Errorf("path %q: delay %q is not a duration like 20ms", s, d)
	}
	for _, hp := range []string{l, t} {
		if _, _, err := net.SplitHostPort(hp); err != nil {
			return path{}, fmt.Errorf("path %q: %v", s, err)
		}
	}
	return path{listen: l, target: t, delay: delay}, nil
}

func main() {
	var paths []path
	flag.Func("path", "LISTEN=TARGET@DELAY, repeatable", func(s string) error {
		p, err := parsePath(s)
		paths = append(paths, p)
		return err
	})
	flag.Parse()
	if len(paths) == 0 {
		fmt.Fprintln(os.Stderr, "pathdelay: give at least one -path LISTEN=TARGET@DELAY")
		os.Exit(2)
	}
	for _, p := range paths {
		ln, err := net.Listen("tcp", p.listen)
		if err != nil {
			log.Fatalf("pathdelay: %v", err)
		}
		go serve(ln, p)
	}
	select {}
}

// serve accepts connections and relays each to the path's target.
func serve(ln net.Listener, p path) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("pathdelay: accept on %s: %v", p.listen, err)
			return
		}
		go func() {
			t, err := net.DialTimeout("tcp", p.target, 5*time.Second)
			if err != nil {
				c.Close()
				return
			}
			go pump(t, c, p.delay)
			pump(c, t, p.delay)
		}()
	}
}

// chunk is bytes read at a time, to be written at due.
type chunk struct {
	b   []byte
	due time.Time
}

// pump copies from src to dst, each chunk written delay after it was
// read, in order; it closes both ends when either side ends.
func pump(dst, src net.Conn, delay time.Duration) {
	q := make(chan chunk, 4096)
	go func() {
		defer dst.Close()
		for ch := range q {
			time.Sleep(time.Until(ch.due))
			if _, err := dst.Write(ch.b); err != nil {
				for range q {
				}
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			q <- chunk{b: append([]byte(nil), buf[:n]...), due: time.Now().Add(delay)}
		}
		if err != nil {
			if err != io.EOF {
				src.Close()
			}
			close(q)
			return
		}
	}
}
