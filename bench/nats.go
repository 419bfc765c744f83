package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// natsServer is the NATS (with JetStream) that several bench nodes share,
// run inside the bench process on a loopback port.
type natsServer struct {
	ns  *server.Server
	url string
}

// startNATS starts a NATS server with JetStream storing under dir.
func startNATS(dir string) (*natsServer, error) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: filepath.Join(dir, "nats"), NoSigs: true, NoLog: true})
	if err != nil {
		return nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("the shared NATS server did not start")
	}
	return &natsServer{ns: ns, url: ns.ClientURL()}, nil
}

func (n *natsServer) stop() { n.ns.Shutdown() }

// loadAverage is the machine's one-minute load average ("?" when unknown):
// CPU figures are reported next to it, since other work shares the cores.
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(raw))[0]
}
