// Package config holds the settings of the livemall command: built-in
// defaults, overridden by LIVEMALL_* environment variables, overridden by
// flags. Slices never read the environment; they get plain structs from here.
package config

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/livemall/livemall/backend/bus"
	"github.com/livemall/livemall/backend/limits"
	"github.com/livemall/livemall/backend/region"
)

// The media engines (--media-engine).
const (
	MediaEnginePion = "pion"
	MediaEngineLite = "lite"
)

// Config is everything `livemall serve` and the other subcommands need.
type Config struct {
	// Addr is the HTTP listen address.
	Addr string
	// DataDir holds the SQLite database, the embedded NATS store and files.
	DataDir string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite.
	DatabaseURL string
	// NATSURL selects an external NATS; empty means the embedded server.
	NATSURL string
	// NATSReplicas is how many copies JetStream keeps of every bucket and
	// stream the app creates: 1 alone, 3 in a NATS cluster.
	NATSReplicas int
	// NATSRoutes are the cluster addresses (nats://host:6222) of the other
	// nodes' embedded NATS servers: with them the embedded servers form one
	// JetStream cluster. Not with NATSURL.
	NATSRoutes []string
	// NATSClusterAddr is where the embedded server listens for routes
	// (default ":6222" when NATSRoutes are given).
	NATSClusterAddr string
	// NATSClusterName names the embedded cluster (default "livemall").
	NATSClusterName string
	// PublicURL is the origin browsers use (scheme://host[:port]). It is the
	// WebAuthn relying party origin, the allowed Origin for state-changing
	// requests and the base of printed links. Empty means
	// http://localhost:<port of Addr>.
	PublicURL string
	// TrustedProxies are proxy addresses whose X-Forwarded-For is believed
	// when keying rate limits on the client address.
	TrustedProxies []string
	// AuthRateLimit is how many sign-up or sign-in requests one client address
	// may make per minute.
	AuthRateLimit int
	// ShutdownTimeout bounds the wait for in-flight requests on SIGTERM.
	ShutdownTimeout time.Duration
	// Node names this node in presence records (default: the host name).
	Node string
	// PresenceTTL is how long a device stays online without a heartbeat.
	PresenceTTL time.Duration
	// Heartbeat is how often devices heartbeat; shorter than PresenceTTL.
	Heartbeat time.Duration
	// LookupCacheTTL is the longest a node keeps a number's route for
	// look-ups (directory.Config.RouteCacheTTL); dials always read it.
	LookupCacheTTL time.Duration
	// NumberBlockStart is the first number handed out (12 digits) when
	// NumberBlocks is empty.
	NumberBlockStart int64
	// Region names the region this node serves (lowercase letters, digits
	// and "-", at most 32): its database, its NATS cluster, the home of the
	// accounts made on it. One region needs nothing else.
	Region string
	// NumberBlocks is the plan of which region owns which numbers,
	// "REGION=FIRST-LAST,…", the same on every node of every region; empty
	// gives Region the whole number space, handed out from NumberBlockStart.
	NumberBlocks string
	// SMTPURL sends mail through an SMTP server (smtp://user:pass@host:port);
	// empty writes mail to the outbox in the data dir.
	SMTPURL string
	// MailFrom is the sender of outgoing mail.
	MailFrom string
	// RingTimeout is how long a call rings before the mailbox answers.
	RingTimeout time.Duration
	// AgentRingTimeout is how long an agent's desk rings before the shopper
	// is offered to the next agent.
	AgentRingTimeout time.Duration
	// WrapUp is the time after a call an agent is held out of routing.
	WrapUp time.Duration
	// TURNAddr is the UDP address of the built-in TURN server; empty turns
	// it off.
	TURNAddr string
	// TURNPublicIP is the relay address the TURN server announces.
	TURNPublicIP string
	// TURNSecret signs the short-lived TURN credentials; nodes share it.
	// Empty takes the secret from ClusterSecret, else from NATS (the
	// lm_secrets bucket), so the nodes of one NATS agree.
	TURNSecret string
	// ClusterSecret is one secret (at least 32 characters) every node of a
	// deployment is given: the TURN credential secret and the CSRF key are
	// derived from it (HKDF-SHA256), so nodes agree without NATS. Empty
	// leaves them to TURNSecret and NATS.
	ClusterSecret string
	// VAPIDPublicKey and VAPIDPrivateKey, both or neither, are the Web Push
	// key pair (base64url P-256); neither keeps the pair the first node
	// made in the database.
	VAPIDPublicKey, VAPIDPrivateKey string
	// VAPIDSubject is the contact push services may write to about this
	// server (mailto: or https:).
	VAPIDSubject string
	// PushAllowLocalEndpoints accepts push subscriptions on http:// and
	// local addresses: local testing only, else the server would post
	// wherever a client points it.
	PushAllowLocalEndpoints bool
	// TURNAllowPrivate lets TURN relay to private addresses (local tests).
	TURNAllowPrivate bool
	// TURNTLSCert and TURNTLSKey, both or neither, are the PEM files of
	// TURN over TLS ("turns:"), served on TURNTLSAddr.
	TURNTLSCert, TURNTLSKey string
	// TURNTLSAddr is the TCP address of TURN over TLS (default ":5349").
	TURNTLSAddr string
	// TURNRelayPorts is the UDP port range "MIN-MAX" TURN relays are
	// allocated from, so a container or firewall can publish them; empty
	// lets the system pick any free port.
	TURNRelayPorts string
	// WebRTCLoopback offers loopback ICE candidates (single-host setups).
	WebRTCLoopback bool
	// MediaUDPPort carries all WebRTC media of the node on one UDP port;
	// 0 gives each connection a port of its own.
	MediaUDPPort int
	// MediaTCPPort offers ICE-TCP on one TCP port for clients without
	// UDP; 0 offers none.
	MediaTCPPort int
	// PublicIPs are the node's public IPv4 addresses behind a 1:1 NAT,
	// announced in the media candidates.
	PublicIPs []string
	// MediaEngine carries WebRTC media: "lite" (the node's own transport,
	// cheaper per packet; the default) or "pion" (pion's peer
	// connections); both take UDP and, with MediaTCPPort, ICE-TCP.
	MediaEngine string
	// StripeSecretKey turns on Stripe payments (sk_…) unless Payments says
	// offline.
	StripeSecretKey string
	// StripePublishableKey is handed to browsers (pk_…).
	StripePublishableKey string
	// StripeWebhookSecret checks Stripe's webhook signatures (whsec_…).
	StripeWebhookSecret string
	// StripeAPIURL points at another Stripe API (stripe-mock in tests).
	StripeAPIURL string
	// Payments chooses the payment provider: "stripe" (needs the Stripe keys)
	// or "offline" (test payments, nothing is charged). Empty means offline
	// with --demo, stripe when a Stripe secret key is set, and otherwise
	// Validate refuses to start: offline payments are never chosen silently.
	Payments string
	// PaymentHold is how long an unconfirmed payment attempt holds its stock
	// before its PaymentIntent is canceled and the stock released.
	PaymentHold time.Duration
	// MetricsAddr is the listen address of the Prometheus /metrics endpoint,
	// apart from the public port; empty turns it off.
	MetricsAddr string
	// Demo seeds the demo mall when the database is empty and prints the
	// demo staff's enrollment links.
	Demo bool
	// Limits are the abuse limits counted in NATS (no flags: the numbers
	// are documented in limits.Default; benchmarks turn them off).
	Limits limits.Rules
}

// MinClusterSecret is the shortest --cluster-secret Validate accepts.
const MinClusterSecret = 32

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Addr:             ":8080",
		DataDir:          "./data",
		NATSReplicas:     1,
		AuthRateLimit:    30,
		ShutdownTimeout:  4 * time.Second,
		PresenceTTL:      60 * time.Second,
		Heartbeat:        20 * time.Second,
		LookupCacheTTL:   5 * time.Second,
		NumberBlockStart: 200000000000,
		Region:           "local",
		MediaEngine:      MediaEngineLite,
		MailFrom:         "livemall <no-reply@livemall.localhost>",
		RingTimeout:      25 * time.Second,
		AgentRingTimeout: 15 * time.Second,
		WrapUp:           30 * time.Second,
		TURNAddr:         ":3478",
		TURNTLSAddr:      ":5349",
		WebRTCLoopback:   true,
		PaymentHold:      15 * time.Minute,
		MetricsAddr:      "127.0.0.1:9464",
		Limits:           limits.Default(),
	}
}

// Bind registers the flags of cfg on fs, with cfg's current values (defaults
// already overridden by the environment) as the flag defaults.
func (cfg *Config) Bind(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP listen address (env LIVEMALL_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory for SQLite, embedded NATS and files (env LIVEMALL_DATA)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL postgres://…; empty uses SQLite in the data dir (env LIVEMALL_DATABASE_URL)")
	fs.StringVar(&cfg.NATSURL, "nats-url", cfg.NATSURL, "external NATS URL nats://…; empty embeds a NATS server (env LIVEMALL_NATS_URL)")
	fs.IntVar(&cfg.NATSReplicas, "nats-replicas", cfg.NATSReplicas, "copies JetStream keeps of each bucket and stream: 1 alone, 3 in a NATS cluster (env LIVEMALL_NATS_REPLICAS)")
	fs.Func("nats-routes", "comma-separated cluster addresses nats://host:6222 of the other nodes' embedded NATS, forming one JetStream cluster; repeatable (env LIVEMALL_NATS_ROUTES)", func(s string) error {
		cfg.NATSRoutes = append(cfg.NATSRoutes, splitList(s)...)
		return nil
	})
	fs.StringVar(&cfg.NATSClusterAddr, "nats-cluster-addr", cfg.NATSClusterAddr, "where the embedded NATS listens for routes from the other nodes; default :6222 with --nats-routes (env LIVEMALL_NATS_CLUSTER_ADDR)")
	fs.StringVar(&cfg.NATSClusterName, "nats-cluster-name", cfg.NATSClusterName, "name of the embedded NATS cluster, the same on every node (env LIVEMALL_NATS_CLUSTER_NAME)")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "origin browsers use, e.g. https://mall.example.com (env LIVEMALL_PUBLIC_URL)")
	fs.Func("trusted-proxy", "address of a trusted reverse proxy; repeatable (env LIVEMALL_TRUSTED_PROXIES, comma-separated)", func(s string) error {
		cfg.TrustedProxies = append(cfg.TrustedProxies, s)
		return nil
	})
	fs.Func("trusted-proxies", "comma-separated addresses or CIDR ranges of trusted reverse proxies, whose X-Forwarded-For and X-Forwarded-Proto are believed (env LIVEMALL_TRUSTED_PROXIES)", func(s string) error {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.TrustedProxies = append(cfg.TrustedProxies, p)
			}
		}
		return nil
	})
	fs.IntVar(&cfg.AuthRateLimit, "auth-rate-limit", cfg.AuthRateLimit, "sign-up/sign-in requests per minute per client address (env LIVEMALL_AUTH_RATE_LIMIT)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "time allowed for in-flight requests at shutdown")
	fs.StringVar(&cfg.Node, "node", cfg.Node, "name of this node in presence (env LIVEMALL_NODE; default: host name)")
	fs.DurationVar(&cfg.PresenceTTL, "presence-ttl", cfg.PresenceTTL, "how long a device stays online without a heartbeat (env LIVEMALL_PRESENCE_TTL)")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat-interval", cfg.Heartbeat, "how often devices heartbeat (env LIVEMALL_HEARTBEAT_INTERVAL)")
	fs.DurationVar(&cfg.LookupCacheTTL, "lookup-cache-ttl", cfg.LookupCacheTTL, "longest a node keeps a number's route for look-ups and a store's agents for routing; changes are announced at once, this bounds the rest (env LIVEMALL_LOOKUP_CACHE_TTL)")
	fs.Int64Var(&cfg.NumberBlockStart, "number-block-start", cfg.NumberBlockStart, "first number handed out, 12 digits (env LIVEMALL_NUMBER_BLOCK_START)")
	fs.StringVar(&cfg.Region, "region", cfg.Region, "region this node serves: lowercase letters, digits and -, at most 32 (env LIVEMALL_REGION)")
	fs.StringVar(&cfg.NumberBlocks, "number-blocks", cfg.NumberBlocks, "which region owns which numbers, REGION=FIRST-LAST,… (12-digit numbers), the same on every node of every region; empty gives --region every number (env LIVEMALL_NUMBER_BLOCKS)")
	fs.StringVar(&cfg.SMTPURL, "smtp-url", cfg.SMTPURL, "SMTP server for outgoing mail, smtp://user:pass@host:587; empty writes to DATA/outbox (env LIVEMALL_SMTP_URL)")
	fs.StringVar(&cfg.MailFrom, "mail-from", cfg.MailFrom, "sender of outgoing mail (env LIVEMALL_MAIL_FROM)")
	fs.DurationVar(&cfg.RingTimeout, "ring-timeout", cfg.RingTimeout, "how long a call rings before the mailbox answers (env LIVEMALL_RING_TIMEOUT)")
	fs.DurationVar(&cfg.AgentRingTimeout, "agent-ring-timeout", cfg.AgentRingTimeout, "how long an agent's desk rings before the shopper goes to the next agent (env LIVEMALL_AGENT_RING_TIMEOUT)")
	fs.DurationVar(&cfg.WrapUp, "wrap-up", cfg.WrapUp, "time after a call an agent is held out of routing (env LIVEMALL_WRAP_UP)")
	fs.StringVar(&cfg.TURNAddr, "turn-addr", cfg.TURNAddr, "UDP address of the built-in TURN server; empty turns it off (env LIVEMALL_TURN_ADDR)")
	fs.StringVar(&cfg.TURNPublicIP, "turn-public-ip", cfg.TURNPublicIP, "relay IP the TURN server announces (env LIVEMALL_TURN_PUBLIC_IP)")
	fs.StringVar(&cfg.TURNSecret, "turn-secret", cfg.TURNSecret, "secret shared by all nodes to sign TURN credentials (env LIVEMALL_TURN_SECRET)")
	fs.StringVar(&cfg.TURNTLSCert, "turn-tls-cert", cfg.TURNTLSCert, "PEM certificate chain for TURN over TLS (turns:), with --turn-tls-key (env LIVEMALL_TURN_TLS_CERT)")
	fs.StringVar(&cfg.TURNTLSKey, "turn-tls-key", cfg.TURNTLSKey, "PEM private key for TURN over TLS, with --turn-tls-cert (env LIVEMALL_TURN_TLS_KEY)")
	fs.StringVar(&cfg.TURNTLSAddr, "turn-tls-addr", cfg.TURNTLSAddr, "TCP address of TURN over TLS when it has a certificate (env LIVEMALL_TURN_TLS_ADDR)")
	fs.StringVar(&cfg.TURNRelayPorts, "turn-relay-ports", cfg.TURNRelayPorts, "UDP port range MIN-MAX of TURN relays, e.g. 49160-49200, for containers and firewalls that publish them; empty picks any free port (env LIVEMALL_TURN_RELAY_PORTS)")
	fs.StringVar(&cfg.ClusterSecret, "cluster-secret", cfg.ClusterSecret, "one secret of at least 32 characters, the same on every node, from which the TURN and CSRF keys are derived (env LIVEMALL_CLUSTER_SECRET)")
	fs.StringVar(&cfg.VAPIDPublicKey, "vapid-public-key", cfg.VAPIDPublicKey, "Web Push VAPID public key (base64url P-256), with --vapid-private-key; empty keeps the pair made at the first start in the database (env LIVEMALL_VAPID_PUBLIC_KEY)")
	fs.StringVar(&cfg.VAPIDPrivateKey, "vapid-private-key", cfg.VAPIDPrivateKey, "Web Push VAPID private key (base64url), with --vapid-public-key (env LIVEMALL_VAPID_PRIVATE_KEY)")
	fs.StringVar(&cfg.VAPIDSubject, "vapid-subject", cfg.VAPIDSubject, "contact push services may write to about this server, mailto:you@example.com or an https URL (env LIVEMALL_VAPID_SUBJECT)")
	fs.BoolVar(&cfg.TURNAllowPrivate, "turn-allow-private", cfg.TURNAllowPrivate, "let TURN relay to private and loopback addresses: local testing only")
	fs.BoolVar(&cfg.PushAllowLocalEndpoints, "push-allow-local-endpoints", cfg.PushAllowLocalEndpoints, "accept push subscriptions on http:// and local addresses: local testing only (the server posts to them)")
	fs.BoolVar(&cfg.WebRTCLoopback, "webrtc-loopback", cfg.WebRTCLoopback, "offer loopback ICE candidates (single-host setups)")
	fs.IntVar(&cfg.MediaUDPPort, "media-udp-port", cfg.MediaUDPPort, "one UDP port for all WebRTC media of this node; 0 uses a port per connection (env LIVEMALL_MEDIA_UDP_PORT)")
	fs.StringVar(&cfg.MediaEngine, "media-engine", cfg.MediaEngine, "what carries WebRTC media: lite (the node's own transport, cheaper per packet) or pion (pion's peer connections); both take UDP and ICE-TCP (env LIVEMALL_MEDIA_ENGINE)")
	fs.IntVar(&cfg.MediaTCPPort, "media-tcp-port", cfg.MediaTCPPort, "TCP port for WebRTC media (ICE-TCP) when a client's UDP is blocked; 0 turns it off (env LIVEMALL_MEDIA_TCP_PORT)")
	fs.Func("public-ip", "public IPv4 address of this node behind a 1:1 NAT, announced to clients; repeatable or comma-separated (env LIVEMALL_PUBLIC_IP)", func(s string) error {
		cfg.PublicIPs = append(cfg.PublicIPs, splitList(s)...)
		return nil
	})
	fs.StringVar(&cfg.StripeSecretKey, "stripe-secret-key", cfg.StripeSecretKey, "Stripe secret key; turns on Stripe payments unless --payments offline (env LIVEMALL_STRIPE_SECRET_KEY)")
	fs.StringVar(&cfg.StripePublishableKey, "stripe-publishable-key", cfg.StripePublishableKey, "Stripe publishable key (env LIVEMALL_STRIPE_PUBLISHABLE_KEY)")
	fs.StringVar(&cfg.StripeWebhookSecret, "stripe-webhook-secret", cfg.StripeWebhookSecret, "Stripe webhook signing secret (env LIVEMALL_STRIPE_WEBHOOK_SECRET)")
	fs.StringVar(&cfg.StripeAPIURL, "stripe-api-url", cfg.StripeAPIURL, "another Stripe API server, e.g. stripe-mock (env LIVEMALL_STRIPE_API_URL)")
	fs.StringVar(&cfg.Payments, "payments", cfg.Payments, "payment provider: stripe or offline (test payments, nothing charged); default stripe with a Stripe key, offline with --demo (env LIVEMALL_PAYMENTS)")
	fs.DurationVar(&cfg.PaymentHold, "payment-hold", cfg.PaymentHold, "how long an unconfirmed payment holds its stock before it is canceled (env LIVEMALL_PAYMENT_HOLD)")
	fs.StringVar(&cfg.MetricsAddr, "metrics-addr", cfg.MetricsAddr, "listen address of Prometheus /metrics, apart from the public port; empty turns it off (env LIVEMALL_METRICS_ADDR)")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed the demo mall if the database is empty and print demo enrollment links (env LIVEMALL_DEMO)")
}

// ApplyEnv overrides cfg with the LIVEMALL_* variables that getenv returns.
func (cfg *Config) ApplyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"LIVEMALL_ADDR":              &cfg.Addr,
		"LIVEMALL_DATA":              &cfg.DataDir,
		"LIVEMALL_DATABASE_URL":      &cfg.DatabaseURL,
		"LIVEMALL_NATS_URL":          &cfg.NATSURL,
		"LIVEMALL_PUBLIC_URL":        &cfg.PublicURL,
		"LIVEMALL_NODE":              &cfg.Node,
		"LIVEMALL_SMTP_URL":          &cfg.SMTPURL,
		"LIVEMALL_MAIL_FROM":         &cfg.MailFrom,
		"LIVEMALL_TURN_ADDR":         &cfg.TURNAddr,
		"LIVEMALL_TURN_PUBLIC_IP":    &cfg.TURNPublicIP,
		"LIVEMALL_TURN_SECRET":       &cfg.TURNSecret,
		"LIVEMALL_TURN_TLS_CERT":     &cfg.TURNTLSCert,
		"LIVEMALL_TURN_TLS_KEY":      &cfg.TURNTLSKey,
		"LIVEMALL_TURN_RELAY_PORTS":  &cfg.TURNRelayPorts,
		"LIVEMALL_TURN_TLS_ADDR":     &cfg.TURNTLSAddr,
		"LIVEMALL_PAYMENTS":          &cfg.Payments,
		"LIVEMALL_METRICS_ADDR":      &cfg.MetricsAddr,
		"LIVEMALL_NATS_CLUSTER_ADDR": &cfg.NATSClusterAddr,
		"LIVEMALL_NATS_CLUSTER_NAME": &cfg.NATSClusterName,
		"LIVEMALL_CLUSTER_SECRET":    &cfg.ClusterSecret,
		"LIVEMALL_VAPID_PUBLIC_KEY":  &cfg.VAPIDPublicKey,
		"LIVEMALL_VAPID_PRIVATE_KEY": &cfg.VAPIDPrivateKey,
		"LIVEMALL_VAPID_SUBJECT":     &cfg.VAPIDSubject,
		"LIVEMALL_REGION":            &cfg.Region,
		"LIVEMALL_MEDIA_ENGINE":      &cfg.MediaEngine,
		"LIVEMALL_NUMBER_BLOCKS":     &cfg.NumberBlocks,
	}
	// The Stripe settings, as their flags' help promises.
	str["LIVEMALL_STRIPE_SECRET_KEY"] = &cfg.StripeSecretKey
	str["LIVEMALL_STRIPE_PUBLISHABLE_KEY"] = &cfg.StripePublishableKey
	str["LIVEMALL_STRIPE_WEBHOOK_SECRET"] = &cfg.StripeWebhookSecret
	str["LIVEMALL_STRIPE_API_URL"] = &cfg.StripeAPIURL
	durations := map[string]*time.Duration{
		"LIVEMALL_PRESENCE_TTL":       &cfg.PresenceTTL,
		"LIVEMALL_HEARTBEAT_INTERVAL": &cfg.Heartbeat,
		"LIVEMALL_LOOKUP_CACHE_TTL":   &cfg.LookupCacheTTL,
		"LIVEMALL_RING_TIMEOUT":       &cfg.RingTimeout,
		"LIVEMALL_AGENT_RING_TIMEOUT": &cfg.AgentRingTimeout,
		"LIVEMALL_WRAP_UP":            &cfg.WrapUp,
		"LIVEMALL_PAYMENT_HOLD":       &cfg.PaymentHold,
	}
	for k, p := range durations {
		if v := getenv(k); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s=%q: not a duration like 60s", k, v)
			}
			*p = d
		}
	}
	if v := getenv("LIVEMALL_NUMBER_BLOCK_START"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &cfg.NumberBlockStart); err != nil {
			return fmt.Errorf("LIVEMALL_NUMBER_BLOCK_START=%q: not a number", v)
		}
	}
	for k, p := range str {
		if v := getenv(k); v != "" {
			*p = v
		}
	}
	if v := getenv("LIVEMALL_TRUSTED_PROXIES"); v != "" {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.TrustedProxies = append(cfg.TrustedProxies, p)
			}
		}
	}
	if v := getenv("LIVEMALL_NATS_REPLICAS"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &cfg.NATSReplicas); err != nil {
			return fmt.Errorf("LIVEMALL_NATS_REPLICAS=%q: not a number", v)
		}
	}
	for k, p := range map[string]*int{"LIVEMALL_MEDIA_UDP_PORT": &cfg.MediaUDPPort, "LIVEMALL_MEDIA_TCP_PORT": &cfg.MediaTCPPort} {
		if v := getenv(k); v != "" {
			if _, err := fmt.Sscanf(v, "%d", p); err != nil {
				return fmt.Errorf("%s=%q: not a port number", k, v)
			}
		}
	}
	if v := getenv("LIVEMALL_NATS_ROUTES"); v != "" {
		cfg.NATSRoutes = append(cfg.NATSRoutes, splitList(v)...)
	}
	if v := getenv("LIVEMALL_PUBLIC_IP"); v != "" {
		cfg.PublicIPs = append(cfg.PublicIPs, splitList(v)...)
	}
	if v := getenv("LIVEMALL_AUTH_RATE_LIMIT"); v != "" {
		if _, err := fmt.Sscanf(v, "%d", &cfg.AuthRateLimit); err != nil {
			return fmt.Errorf("LIVEMALL_AUTH_RATE_LIMIT=%q: not a number", v)
		}
	}
	if v := getenv("LIVEMALL_DEMO"); v == "1" || v == "true" {
		cfg.Demo = true
	}
	return nil
}

// Validate checks the settings that can be checked before anything starts.
func (cfg *Config) Validate() error {
	if cfg.DataDir == "" {
		return errors.New("--data must not be empty")
	}
	if cfg.NATSReplicas < 1 || cfg.NATSReplicas > 5 {
		return fmt.Errorf("--nats-replicas %d must be 1 to 5 (JetStream's limit)", cfg.NATSReplicas)
	}
	if err := cfg.validateNATSCluster(); err != nil {
		return err
	}
	if cfg.AuthRateLimit < 1 {
		return errors.New("--auth-rate-limit must be at least 1")
	}
	if cfg.PresenceTTL < time.Second {
		return errors.New("--presence-ttl must be at least 1s")
	}
	if cfg.Heartbeat <= 0 || cfg.Heartbeat >= cfg.PresenceTTL {
		return fmt.Errorf("--heartbeat-interval %v must be positive and shorter than --presence-ttl %v", cfg.Heartbeat, cfg.PresenceTTL)
	}
	if cfg.LookupCacheTTL <= 0 || cfg.LookupCacheTTL > time.Hour {
		return fmt.Errorf("--lookup-cache-ttl %v must be positive and at most 1h", cfg.LookupCacheTTL)
	}
	if cfg.RingTimeout < time.Second {
		return errors.New("--ring-timeout must be at least 1s")
	}
	if cfg.AgentRingTimeout < time.Second {
		return errors.New("--agent-ring-timeout must be at least 1s")
	}
	if cfg.WrapUp < 0 {
		return errors.New("--wrap-up must not be negative")
	}
	if (cfg.VAPIDPublicKey == "") != (cfg.VAPIDPrivateKey == "") {
		return errors.New("give --vapid-public-key and --vapid-private-key together, or neither")
	}
	if cfg.VAPIDSubject != "" && !strings.HasPrefix(cfg.VAPIDSubject, "mailto:") && !strings.HasPrefix(cfg.VAPIDSubject, "https://") {
		return fmt.Errorf("--vapid-subject %q must be a mailto: or https:// URL", cfg.VAPIDSubject)
	}
	if cfg.NumberBlockStart < 200000000000 || cfg.NumberBlockStart > 999999999999 {
		return fmt.Errorf("--number-block-start %d must be a 12-digit number starting with 2–9", cfg.NumberBlockStart)
	}
	if !region.ValidName(cfg.Region) {
		return fmt.Errorf("--region %q must be 1 to 32 lowercase letters, digits or '-', like eu-west", cfg.Region)
	}
	for flagName, port := range map[string]int{"--media-udp-port": cfg.MediaUDPPort, "--media-tcp-port": cfg.MediaTCPPort} {
		if port < 0 || port > 65535 {
			return fmt.Errorf("%s %d must be a port number (1–65535), or 0", flagName, port)
		}
	}
	switch {
	case cfg.MediaEngine != MediaEnginePion && cfg.MediaEngine != MediaEngineLite:
		return fmt.Errorf("--media-engine %q must be pion or lite", cfg.MediaEngine)
	}
	if err := cfg.validateTURNTLS(); err != nil {
		return err
	}
	if _, _, err := cfg.RelayPortRange(); err != nil {
		return err
	}
	if cfg.ClusterSecret != "" && len(cfg.ClusterSecret) < MinClusterSecret {
		return fmt.Errorf("--cluster-secret must be at least %d characters (it has %d); make one with: openssl rand -base64 32", MinClusterSecret, len(cfg.ClusterSecret))
	}
	if cfg.ClusterSecret != "" && cfg.TURNSecret != "" {
		return errors.New("give --cluster-secret or --turn-secret, not both: the TURN secret is derived from the cluster secret")
	}
	for _, ip := range cfg.PublicIPs {
		if parsed := net.ParseIP(ip); parsed == nil || parsed.To4() == nil {
			return fmt.Errorf("--public-ip %q must be an IPv4 address like 203.0.113.7", ip)
		}
	}
	if cfg.Node == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "node"
		}
		cfg.Node = host
	}
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--public-url %q must be an origin like https://mall.example.com", cfg.PublicURL)
		}
		cfg.PublicURL = u.Scheme + "://" + u.Host
	}
	for _, p := range cfg.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				return fmt.Errorf("trusted proxy %q (--trusted-proxies, --trusted-proxy) is not an IP address or CIDR range", p)
			}
		}
	}
	return nil
}

// validateTURNTLS checks the TURN over TLS settings: both files or
// neither, readable, a certificate and key that belong together, and the
// TURN server on.
func (cfg *Config) validateTURNTLS() error {
	if cfg.TURNTLSCert == "" && cfg.TURNTLSKey == "" {
		return nil
	}
	if cfg.TURNTLSCert == "" || cfg.TURNTLSKey == "" {
		return errors.New("--turn-tls-cert and --turn-tls-key go together: give both or neither")
	}
	if cfg.TURNAddr == "" {
		return errors.New("--turn-tls-cert needs the TURN server on (--turn-addr)")
	}
	if _, _, err := net.SplitHostPort(cfg.TURNTLSAddr); err != nil {
		return fmt.Errorf("--turn-tls-addr %q must be an address like :5349", cfg.TURNTLSAddr)
	}
	for flagName, f := range map[string]string{"--turn-tls-cert": cfg.TURNTLSCert, "--turn-tls-key": cfg.TURNTLSKey} {
		if _, err := os.ReadFile(f); err != nil { //nolint:gosec // the operator names the file
			return fmt.Errorf("%s %s cannot be read: %w", flagName, f, err)
		}
	}
	if _, err := tls.LoadX509KeyPair(cfg.TURNTLSCert, cfg.TURNTLSKey); err != nil {
		return fmt.Errorf("--turn-tls-cert %s and --turn-tls-key %s are not a matching PEM certificate and key: %w", cfg.TURNTLSCert, cfg.TURNTLSKey, err)
	}
	return nil
}

// RelayPortRange parses TURNRelayPorts: both zero when it is empty, else
// the first and last port of the range. A range that starts below 1024,
// is reversed, or is anything but two port numbers is refused.
func (cfg *Config) RelayPortRange() (lo, hi uint16, err error) {
	if cfg.TURNRelayPorts == "" {
		return 0, 0, nil
	}
	bad := fmt.Errorf("--turn-relay-ports %q must be a UDP port range like 49160-49200 (1024–65535, first ≤ last)", cfg.TURNRelayPorts)
	a, b, ok := strings.Cut(cfg.TURNRelayPorts, "-")
	if !ok {
		return 0, 0, bad
	}
	first, err1 := strconv.ParseUint(a, 10, 16)
	last, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil || first < 1024 || first > last {
		return 0, 0, bad
	}
	if cfg.TURNAddr == "" {
		return 0, 0, errors.New("--turn-relay-ports needs the TURN server on (--turn-addr)")
	}
	return uint16(first), uint16(last), nil
}

// WithListenPort fills in PublicURL from the port the server really listens
// on, when no public URL was configured.
func (cfg *Config) WithListenPort(port int) {
	if cfg.PublicURL == "" {
		cfg.PublicURL = fmt.Sprintf("http://localhost:%d", port)
	}
}

// PublicURLForLinks returns the base of links printed by commands that do
// not listen themselves (enrollment links): the public URL, else
// http://localhost:<port of Addr>.
func (cfg *Config) PublicURLForLinks() string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	_, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil || port == "" || port == "0" {
		port = "8080"
	}
	return "http://localhost:" + port
}

// ChoosePayments settles Payments for `serve` (other subcommands take no
// payments and do not call it): an explicit choice is checked against the
// keys it needs; no choice follows the keys, or --demo; anything else is
// refused so that a shop never takes offline "payments" by accident.
func (cfg *Config) ChoosePayments() error {
	switch cfg.Payments {
	case "stripe":
		if cfg.StripeSecretKey == "" || cfg.StripeWebhookSecret == "" {
			return errors.New("--payments stripe needs --stripe-secret-key and --stripe-webhook-secret")
		}
	case "offline":
	case "":
		switch {
		case cfg.Demo:
			// The demo takes test payments even beside Stripe keys; trying
			// Stripe with the demo mall is --demo --payments stripe.
			cfg.Payments = "offline"
		case cfg.StripeSecretKey != "":
			cfg.Payments = "stripe"
			return cfg.ChoosePayments()
		default:
			return errors.New("no payment provider: give the Stripe keys (--stripe-secret-key, --stripe-webhook-secret), or --payments offline to take test payments that charge nothing, or --demo")
		}
	default:
		return fmt.Errorf("--payments %q: want stripe or offline", cfg.Payments)
	}
	if cfg.PaymentHold < time.Minute {
		return errors.New("--payment-hold must be at least 1m")
	}
	return nil
}

// StripeMode reports whether payments go through Stripe (after
// ChoosePayments). Without it (tests building a Config by hand) a Stripe
// secret key alone means Stripe.
func (cfg *Config) StripeMode() bool {
	return cfg.Payments == "stripe" || (cfg.Payments == "" && cfg.StripeSecretKey != "")
}

// validateNATSCluster checks the embedded cluster's flags: routes and an
// external NATS exclude each other, and the addresses must parse.
func (cfg *Config) validateNATSCluster() error {
	if len(cfg.NATSRoutes) == 0 {
		if cfg.NATSClusterAddr != "" {
			return errors.New("--nats-cluster-addr needs --nats-routes (the other nodes' embedded NATS)")
		}
		return nil
	}
	if cfg.NATSURL != "" {
		return errors.New("--nats-routes joins the embedded NATS servers into a cluster; --nats-url uses an external NATS: use one or the other")
	}
	if _, err := bus.ParseRoutes(cfg.NATSRoutes); err != nil {
		return fmt.Errorf("--nats-routes: %w", err)
	}
	if _, _, err := bus.ParseClusterAddr(cfg.NATSClusterAddr); err != nil {
		return fmt.Errorf("--nats-cluster-addr: %w", err)
	}
	if strings.ContainsAny(cfg.NATSClusterName, " .*>\t") {
		return fmt.Errorf("--nats-cluster-name %q must have no spaces, dots or wildcards", cfg.NATSClusterName)
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
