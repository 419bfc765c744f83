package config

import (
	"flag"
	"github.com/livemall/livemall/backend/region"
	"io"
	"strings"
	"testing"
)

func parse(t *testing.T, env map[string]string, args ...string) (Config, error) {
	t.Helper()
	cfg := Default()
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		return cfg, err
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Bind(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestDefaultsThenEnvThenFlags(t *testing.T) {
	cfg, err := parse(t, nil)
	if err != nil || cfg.Addr != ":8080" || cfg.DataDir != "./data" || cfg.DatabaseURL != "" || cfg.NATSURL != "" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	env := map[string]string{"LIVEMALL_ADDR": ":9000", "LIVEMALL_DATA": "/srv/lm", "LIVEMALL_DATABASE_URL": "postgres://db/lm", "LIVEMALL_TRUSTED_PROXIES": "10.0.0.1, 10.0.1.0/24"}
	cfg, err = parse(t, env)
	if err != nil || cfg.Addr != ":9000" || cfg.DataDir != "/srv/lm" || cfg.DatabaseURL != "postgres://db/lm" || len(cfg.TrustedProxies) != 2 {
		t.Fatalf("env: %+v %v", cfg, err)
	}
	cfg, err = parse(t, env, "--addr", ":7000", "--public-url", "https://mall.example.com/")
	if err != nil || cfg.Addr != ":7000" || cfg.DataDir != "/srv/lm" || cfg.PublicURL != "https://mall.example.com" {
		t.Fatalf("flags over env: %+v %v", cfg, err)
	}
	if got := cfg.PublicURLForLinks(); got != "https://mall.example.com" {
		t.Fatalf("links base = %q", got)
	}
	cfg, _ = parse(t, nil, "--addr", "127.0.0.1:9999")
	if got := cfg.PublicURLForLinks(); got != "http://localhost:9999" {
		t.Fatalf("links base without public URL = %q", got)
	}
	cfg.WithListenPort(4321)
	if cfg.PublicURL != "http://localhost:4321" {
		t.Fatalf("public URL from the listen port = %q", cfg.PublicURL)
	}
}

func TestBadSettingsAreRefused(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"public URL with a path", nil, []string{"--public-url", "https://x.example/mall"}, "must be an origin"},
		{"public URL without scheme", nil, []string{"--public-url", "mall.example.com"}, "must be an origin"},
		{"bad proxy", nil, []string{"--trusted-proxy", "proxy.local"}, "not an IP address"},
		{"bad proxy in a list", nil, []string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, `trusted proxy "proxy.local"`},
		{"zero rate limit", nil, []string{"--auth-rate-limit", "0"}, "at least 1"},
		{"zero lookup cache TTL", nil, []string{"--lookup-cache-ttl", "0s"}, "--lookup-cache-ttl 0s must be positive"},
		{"lookup cache TTL over an hour", map[string]string{"LIVEMALL_LOOKUP_CACHE_TTL": "2h"}, nil, "--lookup-cache-ttl 2h0m0s must be positive and at most 1h"},
		{"rate limit env not a number", map[string]string{"LIVEMALL_AUTH_RATE_LIMIT": "many"}, nil, "not a number"},
		{"empty data dir", nil, []string{"--data", ""}, "must not be empty"},
		{"negative media UDP port", nil, []string{"--media-udp-port", "-1"}, "--media-udp-port -1"},
		{"media UDP port too high", nil, []string{"--media-udp-port", "70000"}, "--media-udp-port 70000"},
		{"media TCP port too high", nil, []string{"--media-tcp-port", "65536"}, "--media-tcp-port 65536"},
		{"unknown media engine", nil, []string{"--media-engine", "janus"}, `--media-engine "janus" must be pion or lite`},
		{"media engine env unknown", map[string]string{"LIVEMALL_MEDIA_ENGINE": "LITE"}, nil, `--media-engine "LITE"`},
		{"media port env not a number", map[string]string{"LIVEMALL_MEDIA_TCP_PORT": "tcp"}, nil, "LIVEMALL_MEDIA_TCP_PORT=\"tcp\": not a port number"},
		{"public IP a host name", nil, []string{"--public-ip", "mall.example.com"}, `--public-ip "mall.example.com"`},
		{"public IP IPv6", nil, []string{"--public-ip", "2001:db8::1"}, "IPv4"},
		{"zero NATS replicas", nil, []string{"--nats-replicas", "0"}, "--nats-replicas 0 must be 1 to 5"},
		{"six NATS replicas", nil, []string{"--nats-replicas", "6"}, "--nats-replicas 6"},
		{"NATS replicas env not a number", map[string]string{"LIVEMALL_NATS_REPLICAS": "three"}, nil, `LIVEMALL_NATS_REPLICAS="three": not a number`},
		{"NATS routes with an external NATS", nil, []string{"--nats-url", "nats://n1:4222", "--nats-routes", "nats://b:6222"}, "use one or the other"},
		{"NATS routes env with an external NATS", map[string]string{"LIVEMALL_NATS_ROUTES": "nats://b:6222", "LIVEMALL_NATS_URL": "nats://n1:4222"}, nil, "use one or the other"},
		{"NATS route not a URL", nil, []string{"--nats-routes", "b:6222"}, `NATS route "b:6222" must look like nats://host:6222`},
		{"NATS route http", nil, []string{"--nats-routes", "nats://a:6222,http://b:6222"}, `NATS route "http://b:6222"`},
		{"NATS route without port", nil, []string{"--nats-routes", "nats://b"}, "want host:port"},
		{"NATS route port 0", nil, []string{"--nats-routes", "nats://b:0"}, "must be 1 to 65535"},
		{"NATS route with a user", nil, []string{"--nats-routes", "nats://u:p@b:6222"}, "must look like"},
		{"NATS cluster address bad port", nil, []string{"--nats-routes", "nats://b:6222", "--nats-cluster-addr", ":70000"}, `--nats-cluster-addr: NATS cluster address ":70000"`},
		{"NATS cluster address without routes", nil, []string{"--nats-cluster-addr", ":6222"}, "--nats-cluster-addr needs --nats-routes"},
		{"NATS cluster name with a dot", nil, []string{"--nats-routes", "nats://b:6222", "--nats-cluster-name", "shop.one"}, "--nats-cluster-name"},
		{"cluster secret too short", nil, []string{"--cluster-secret", "short"}, "--cluster-secret must be at least 32 characters (it has 5)"},
		{"cluster secret env too short", map[string]string{"LIVEMALL_CLUSTER_SECRET": "0123456789abcdef0123456789abcde"}, nil, "at least 32 characters (it has 31)"},
		{"cluster and TURN secret both", nil, []string{"--cluster-secret", "0123456789abcdef0123456789abcdef", "--turn-secret", "x"}, "not both"},
		{"public IP in env list bad", map[string]string{"LIVEMALL_PUBLIC_IP": "203.0.113.7,300.1.1.1"}, nil, `--public-ip "300.1.1.1"`},
		{"TURN TLS cert without key", nil, []string{"--turn-tls-cert", "testdata/turn-cert.pem"}, "--turn-tls-cert and --turn-tls-key go together"},
		{"TURN TLS key without cert in env", map[string]string{"LIVEMALL_TURN_TLS_KEY": "testdata/turn-key.pem"}, nil, "give both or neither"},
		{"TURN TLS cert unreadable", nil, []string{"--turn-tls-cert", "testdata/missing.pem", "--turn-tls-key", "testdata/turn-key.pem"}, "--turn-tls-cert testdata/missing.pem cannot be read"},
		{"TURN TLS key unreadable", nil, []string{"--turn-tls-cert", "testdata/turn-cert.pem", "--turn-tls-key", "testdata"}, "--turn-tls-key testdata cannot be read"},
		{"TURN TLS key of another certificate", nil, []string{"--turn-tls-cert", "testdata/turn-cert.pem", "--turn-tls-key", "testdata/other-key.pem"}, "not a matching PEM certificate and key"},
		{"TURN TLS files not PEM", nil, []string{"--turn-tls-cert", "config_test.go", "--turn-tls-key", "config_test.go"}, "not a matching PEM certificate and key"},
		{"TURN relay ports without a dash", nil, []string{"--turn-relay-ports", "49160"}, `--turn-relay-ports "49160" must be a UDP port range`},
		{"TURN relay ports reversed", nil, []string{"--turn-relay-ports", "49200-49160"}, `--turn-relay-ports "49200-49160"`},
		{"TURN relay ports privileged", nil, []string{"--turn-relay-ports", "80-90"}, `--turn-relay-ports "80-90"`},
		{"TURN relay ports beyond 65535", nil, []string{"--turn-relay-ports", "60000-70000"}, `--turn-relay-ports "60000-70000"`},
		{"TURN relay ports not numbers", nil, []string{"--turn-relay-ports", "a-b"}, `--turn-relay-ports "a-b"`},
		{"TURN relay ports without TURN", nil, []string{"--turn-addr", "", "--turn-relay-ports", "49160-49200"}, "--turn-relay-ports needs the TURN server on"},
		{"VAPID public key alone", nil, []string{"--vapid-public-key", "x"}, "give --vapid-public-key and --vapid-private-key together"},
		{"VAPID private key alone", nil, []string{"--vapid-private-key", "x"}, "give --vapid-public-key and --vapid-private-key together"},
		{"VAPID subject not a contact", nil, []string{"--vapid-subject", "ops@example.com"}, "must be a mailto: or https:// URL"},
		{"region with capitals", nil, []string{"--region", "EU"}, `--region "EU" must be 1 to 32 lowercase letters`},
		{"region empty", nil, []string{"--region", ""}, `--region "" must be`},
		{"region too long", nil, []string{"--region", strings.Repeat("a", 33)}, "must be 1 to 32"},
		{"region with a dot", map[string]string{"LIVEMALL_REGION": "eu.west"}, nil, `--region "eu.west"`},
		{"region with a NATS wildcard", nil, []string{"--region", "eu>"}, `--region "eu>"`},
		{"region with a space", nil, []string{"--region", "eu west"}, `--region "eu west"`},
		{"TURN TLS without TURN", nil, []string{"--turn-addr", "", "--turn-tls-cert", "testdata/turn-cert.pem", "--turn-tls-key", "testdata/turn-key.pem"}, "needs the TURN server on"},
		{"TURN TLS address without port", nil, []string{"--turn-tls-addr", "5349", "--turn-tls-cert", "testdata/turn-cert.pem", "--turn-tls-key", "testdata/turn-key.pem"}, `--turn-tls-addr "5349"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, tt.env, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTURNTLSSettings: a matching certificate and key, from flags or the
// environment, pass; the TLS address defaults to the standard :5349.
func TestTURNTLSSettings(t *testing.T) {
	cfg, err := parse(t, nil, "--turn-tls-cert", "testdata/turn-cert.pem", "--turn-tls-key", "testdata/turn-key.pem")
	if err != nil || cfg.TURNTLSAddr != ":5349" {
		t.Fatalf("flags: addr %q, err %v", cfg.TURNTLSAddr, err)
	}
	env := map[string]string{"LIVEMALL_TURN_TLS_CERT": "testdata/turn-cert.pem", "LIVEMALL_TURN_TLS_KEY": "testdata/turn-key.pem", "LIVEMALL_TURN_TLS_ADDR": "127.0.0.1:15349"}
	cfg, err = parse(t, env)
	if err != nil || cfg.TURNTLSCert != "testdata/turn-cert.pem" || cfg.TURNTLSKey != "testdata/turn-key.pem" || cfg.TURNTLSAddr != "127.0.0.1:15349" {
		t.Fatalf("env: %q %q %q, err %v", cfg.TURNTLSCert, cfg.TURNTLSKey, cfg.TURNTLSAddr, err)
	}
}

// TestTURNRelayPortRange: a range from the flag or LIVEMALL_TURN_RELAY_PORTS
// parses to its first and last port; none means any free port.
func TestTURNRelayPortRange(t *testing.T) {
	cfg, err := parse(t, nil)
	if lo, hi, rerr := cfg.RelayPortRange(); err != nil || rerr != nil || lo != 0 || hi != 0 {
		t.Fatalf("default: %d-%d, %v %v", lo, hi, err, rerr)
	}
	cfg, err = parse(t, nil, "--turn-relay-ports", "49160-49200")
	if lo, hi, rerr := cfg.RelayPortRange(); err != nil || rerr != nil || lo != 49160 || hi != 49200 {
		t.Fatalf("flag: %d-%d, %v %v", lo, hi, err, rerr)
	}
	cfg, err = parse(t, map[string]string{"LIVEMALL_TURN_RELAY_PORTS": "50000-50000"})
	if lo, hi, rerr := cfg.RelayPortRange(); err != nil || rerr != nil || lo != 50000 || hi != 50000 {
		t.Fatalf("env: %d-%d, %v %v", lo, hi, err, rerr)
	}
}

// TestNATSClusterSettings: routes come from the repeatable, comma-separated
// flag and from LIVEMALL_NATS_ROUTES; the cluster address and name from
// their flags or environment.
func TestNATSClusterSettings(t *testing.T) {
	cfg, err := parse(t, map[string]string{"LIVEMALL_NATS_ROUTES": "nats://a:6222", "LIVEMALL_NATS_CLUSTER_NAME": "shop"},
		"--nats-routes", "nats://b:6222, nats://c:6222", "--nats-cluster-addr", "10.0.0.2:7222", "--nats-replicas", "3")
	want := "nats://a:6222 nats://b:6222 nats://c:6222"
	if err != nil || strings.Join(cfg.NATSRoutes, " ") != want || cfg.NATSClusterAddr != "10.0.0.2:7222" || cfg.NATSClusterName != "shop" || cfg.NATSReplicas != 3 {
		t.Fatalf("cluster settings %q %q %q %d (%v)", cfg.NATSRoutes, cfg.NATSClusterAddr, cfg.NATSClusterName, cfg.NATSReplicas, err)
	}
}

func TestStripeSettingsComeFromTheEnvironmentToo(t *testing.T) {
	env := map[string]string{"LIVEMALL_STRIPE_SECRET_KEY": "sk_test_env", "LIVEMALL_STRIPE_PUBLISHABLE_KEY": "pk_test_env",
		"LIVEMALL_STRIPE_WEBHOOK_SECRET": "whsec_env", "LIVEMALL_STRIPE_API_URL": "http://127.0.0.1:12111"}
	cfg, err := parse(t, env)
	if err != nil || cfg.StripeSecretKey != "sk_test_env" || cfg.StripePublishableKey != "pk_test_env" || cfg.StripeWebhookSecret != "whsec_env" || cfg.StripeAPIURL != "http://127.0.0.1:12111" {
		t.Fatalf("stripe env: %+v %v", cfg, err)
	}
	if err := cfg.ChoosePayments(); err != nil || cfg.Payments != "stripe" || !cfg.StripeMode() {
		t.Fatalf("keys from the environment choose Stripe: %q %v", cfg.Payments, err)
	}
	// --demo implies offline test payments, even beside the keys; an explicit
	// choice wins.
	demo, err := parse(t, env, "--demo")
	if err != nil || demo.ChoosePayments() != nil || demo.Payments != "offline" || demo.StripeMode() {
		t.Fatalf("--demo with Stripe keys: %q %v", demo.Payments, err)
	}
	demo, err = parse(t, env, "--demo", "--payments", "stripe")
	if err != nil || demo.ChoosePayments() != nil || !demo.StripeMode() {
		t.Fatalf("--demo --payments stripe: %q %v", demo.Payments, err)
	}
}

// TestTrustedProxiesTakesAList: --trusted-proxies takes a comma-separated
// list of addresses and CIDR ranges, adding to the repeatable
// --trusted-proxy and to LIVEMALL_TRUSTED_PROXIES.
func TestTrustedProxiesTakesAList(t *testing.T) {
	cfg, err := parse(t, map[string]string{"LIVEMALL_TRUSTED_PROXIES": "192.0.2.1"},
		"--trusted-proxies", "10.0.0.0/8, 192.0.2.7,,2001:db8::/32", "--trusted-proxy", "198.51.100.3")
	want := []string{"192.0.2.1", "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "198.51.100.3"}
	if err != nil || strings.Join(cfg.TrustedProxies, " ") != strings.Join(want, " ") {
		t.Fatalf("trusted proxies %q (%v), want %q", cfg.TrustedProxies, err, want)
	}
}

// TestMediaSettingsComeFromFlagsAndTheEnvironment: the media ports and
// public IPs are read from LIVEMALL_* and flags; public IPs add up.
func TestMediaSettingsComeFromFlagsAndTheEnvironment(t *testing.T) {
	cfg, err := parse(t, map[string]string{"LIVEMALL_MEDIA_UDP_PORT": "50000", "LIVEMALL_PUBLIC_IP": "203.0.113.7"},
		"--media-tcp-port", "50001", "--public-ip", "198.51.100.2, 198.51.100.3")
	if err != nil || cfg.MediaUDPPort != 50000 || cfg.MediaTCPPort != 50001 {
		t.Fatalf("media ports %d/%d (%v), want 50000/50001", cfg.MediaUDPPort, cfg.MediaTCPPort, err)
	}
	if got, want := strings.Join(cfg.PublicIPs, " "), "203.0.113.7 198.51.100.2 198.51.100.3"; got != want {
		t.Fatalf("public IPs %q, want %q", got, want)
	}
}

// TestRegionComesFromFlagsAndTheEnvironment: one region, "local", unless
// told; the environment, then the flag, name another, and the number plan
// passes through as written (the directory parses it at start).
func TestRegionComesFromFlagsAndTheEnvironment(t *testing.T) {
	cfg, err := parse(t, nil)
	if err != nil || cfg.Region != "local" || cfg.NumberBlocks != "" {
		t.Fatalf("defaults: region %q blocks %q %v", cfg.Region, cfg.NumberBlocks, err)
	}
	env := map[string]string{"LIVEMALL_REGION": "eu-west", "LIVEMALL_NUMBER_BLOCKS": "eu-west=200000000000-299999999999"}
	cfg, err = parse(t, env)
	if err != nil || cfg.Region != "eu-west" || cfg.NumberBlocks != "eu-west=200000000000-299999999999" {
		t.Fatalf("env: region %q blocks %q %v", cfg.Region, cfg.NumberBlocks, err)
	}
	cfg, err = parse(t, env, "--region", "us-2")
	if err != nil || cfg.Region != "us-2" {
		t.Fatalf("flag over env: region %q %v", cfg.Region, err)
	}
	for _, ok := range []string{"a", "0", "eu-west-1", strings.Repeat("z", 32)} {
		if !region.ValidName(ok) {
			t.Errorf("region.ValidName(%q) = false", ok)
		}
	}
}
