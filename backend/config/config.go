// Package config holds the settings of the livemall command: built-in
// defaults, overridden by LIVEMALL_* environment variables, overridden by
// flags. Slices never read the environment; they get plain structs from here.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
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
	// Demo seeds the demo mall when the database is empty and prints the
	// demo staff's enrollment links.
	Demo bool
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Addr:            ":8080",
		DataDir:         "./data",
		AuthRateLimit:   30,
		ShutdownTimeout: 4 * time.Second,
	}
}

// Bind registers the flags of cfg on fs, with cfg's current values (defaults
// already overridden by the environment) as the flag defaults.
func (cfg *Config) Bind(fs *flag.FlagSet) {
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "HTTP listen address (env LIVEMALL_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory for SQLite, embedded NATS and files (env LIVEMALL_DATA)")
	fs.StringVar(&cfg.DatabaseURL, "database-url", cfg.DatabaseURL, "PostgreSQL URL postgres://…; empty uses SQLite in the data dir (env LIVEMALL_DATABASE_URL)")
	fs.StringVar(&cfg.NATSURL, "nats-url", cfg.NATSURL, "external NATS URL nats://…; empty embeds a NATS server (env LIVEMALL_NATS_URL)")
	fs.StringVar(&cfg.PublicURL, "public-url", cfg.PublicURL, "origin browsers use, e.g. https://mall.example.com (env LIVEMALL_PUBLIC_URL)")
	fs.Func("trusted-proxy", "address of a trusted reverse proxy; repeatable (env LIVEMALL_TRUSTED_PROXIES, comma-separated)", func(s string) error {
		cfg.TrustedProxies = append(cfg.TrustedProxies, s)
		return nil
	})
	fs.IntVar(&cfg.AuthRateLimit, "auth-rate-limit", cfg.AuthRateLimit, "sign-up/sign-in requests per minute per client address (env LIVEMALL_AUTH_RATE_LIMIT)")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "time allowed for in-flight requests at shutdown")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed the demo mall if the database is empty and print demo enrollment links (env LIVEMALL_DEMO)")
}

// ApplyEnv overrides cfg with the LIVEMALL_* variables that getenv returns.
func (cfg *Config) ApplyEnv(getenv func(string) string) error {
	str := map[string]*string{
		"LIVEMALL_ADDR":         &cfg.Addr,
		"LIVEMALL_DATA":         &cfg.DataDir,
		"LIVEMALL_DATABASE_URL": &cfg.DatabaseURL,
		"LIVEMALL_NATS_URL":     &cfg.NATSURL,
		"LIVEMALL_PUBLIC_URL":   &cfg.PublicURL,
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
	if cfg.AuthRateLimit < 1 {
		return errors.New("--auth-rate-limit must be at least 1")
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
				return fmt.Errorf("--trusted-proxy %q is not an IP address or CIDR range", p)
			}
		}
	}
	return nil
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
