package main

// The checker behind TestDeployManifestsNameOnlyRealFlags: it reads the
// manifests of deploy/ and reports every livemall flag or LIVEMALL_*
// variable that `livemall serve` does not know, every port that does not
// match the settings the same manifest gives the node, and every metric a
// dashboard or alert names that a node does not export. Each check takes
// the bytes of a file, so the bad-case table feeds it made-up manifests.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/livemall/livemall/backend/config"
)

// known is what `livemall serve` accepts: its flags (from --help) and the
// variables config.ApplyEnv reads.
type known struct {
	flags map[string]bool
	env   map[string]bool
}

var helpFlag = regexp.MustCompile(`(?m)^\s+-([a-z0-9][a-z0-9-]*)`)

// knownFrom parses the output of `livemall serve --help` and asks
// config.ApplyEnv which variables it reads.
func knownFrom(help string) known {
	k := known{flags: map[string]bool{}, env: map[string]bool{}}
	for _, m := range helpFlag.FindAllStringSubmatch(help, -1) {
		k.flags[m[1]] = true
	}
	cfg := config.Default()
	cfg.ApplyEnv(func(name string) string { k.env[name] = true; return "" })
	return k
}

// node is one livemall container as a manifest describes it: its
// variables (image defaults first) and its serve arguments.
type node struct {
	where string
	env   map[string]string
	args  []string
}

// portSet is what a node listens on, "8080/tcp" → what it is.
type portSet map[string]string

// ports resolves the node's settings with the real config code (defaults,
// then the variables, then the flags) and returns its ports. A flag serve
// does not know is an error, as it would be at start.
func (n node) ports(k known) (portSet, []string) {
	var problems []string
	cfg := config.Default()
	if err := cfg.ApplyEnv(func(name string) string { return n.env[name] }); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", n.where, err))
	}
	args := n.args
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "-"); ok {
			name = strings.TrimPrefix(name, "-")
			name, _, _ = strings.Cut(name, "=")
			if !k.flags[name] {
				problems = append(problems, fmt.Sprintf("%s: flag --%s is not a flag of livemall serve", n.where, name))
			}
		}
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Bind(fs)
	if err := fs.Parse(args); err != nil && len(problems) == 0 {
		problems = append(problems, fmt.Sprintf("%s: serve %v: %v", n.where, args, err))
	}
	out := portSet{}
	add := func(addr, proto, what string) {
		if addr == "" {
			return
		}
		_, p, err := net.SplitHostPort(addr)
		if err != nil || p == "" || p == "0" {
			problems = append(problems, fmt.Sprintf("%s: %s %q has no fixed port", n.where, what, addr))
			return
		}
		out[p+"/"+proto] = what
	}
	add(cfg.Addr, "tcp", "http (--addr)")
	add(cfg.MetricsAddr, "tcp", "metrics (--metrics-addr)")
	add(cfg.TURNAddr, "udp", "turn (--turn-addr)")
	add(cfg.TURNAddr, "tcp", "turn over TCP (--turn-addr)")
	if cfg.TURNTLSCert != "" {
		add(cfg.TURNTLSAddr, "tcp", "turn over TLS (--turn-tls-addr)")
	}
	if cfg.MediaUDPPort > 0 {
		out[strconv.Itoa(cfg.MediaUDPPort)+"/udp"] = "media (--media-udp-port)"
	}
	if cfg.MediaTCPPort > 0 {
		out[strconv.Itoa(cfg.MediaTCPPort)+"/tcp"] = "media (--media-tcp-port)"
	}
	if lo, hi, err := cfg.RelayPortRange(); err != nil {
		problems = append(problems, fmt.Sprintf("%s: %v", n.where, err))
	} else if hi != 0 {
		for p := int(lo); p <= int(hi); p++ {
			out[strconv.Itoa(p)+"/udp"] = "turn relay (--turn-relay-ports)"
		}
	}
	if n.env["LIVEMALL_TURN_SECRET"] != "" || slices.ContainsFunc(args, func(a string) bool { return strings.Contains(a, "turn-secret") }) {
		problems = append(problems, fmt.Sprintf("%s: sets the TURN secret itself; deployments give every node LIVEMALL_CLUSTER_SECRET only", n.where))
	}
	if cfg.ClusterSecret == "" {
		problems = append(problems, fmt.Sprintf("%s: no LIVEMALL_CLUSTER_SECRET: the nodes would not share their TURN and CSRF keys", n.where))
	}
	return out, problems
}

// mustPublish reports whether a port of the node must be reachable from
// outside with the same number (media and TURN: candidates announce it).
func mustPublish(what string) bool {
	return strings.HasPrefix(what, "media") || strings.HasPrefix(what, "turn")
}

// checkEnvNames reports LIVEMALL_* names in vars that serve does not read.
func checkEnvNames(where string, vars map[string]string, k known) []string {
	var problems []string
	for _, name := range sortedKeys(vars) {
		if strings.HasPrefix(name, "LIVEMALL_") && !k.env[name] {
			problems = append(problems, fmt.Sprintf("%s: %s is not a setting of livemall serve", where, name))
		}
	}
	return problems
}

var livemallVar = regexp.MustCompile(`\bLIVEMALL_[A-Z0-9_]+`)

// checkText reports every LIVEMALL_* name anywhere in src (comments,
// interpolations) that serve does not read.
func checkText(where string, src []byte, k known) []string {
	var problems []string
	seen := map[string]bool{}
	for _, name := range livemallVar.FindAllString(string(src), -1) {
		if !k.env[name] && !seen[name] {
			seen[name] = true
			problems = append(problems, fmt.Sprintf("%s: %s is not a setting of livemall serve", where, name))
		}
	}
	return problems
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate resolves compose's ${VAR:-default} to the default, and
// ${VAR:?message} to a stand-in: what a node gets when the operator sets
// only what compose requires.
func interpolate(s string) string {
	return interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		switch {
		case strings.HasSuffix(p[2], "-"):
			return p[3]
		case strings.HasSuffix(p[2], "?"):
			return "required-value-given-by-the-operator-" + strings.Repeat("x", 32)
		}
		return ""
	})
}

// dockerfile is what the image sets: its ENV defaults, EXPOSE ports and
// serve arguments.
type dockerfile struct {
	env    map[string]string
	expose []string // "8080/tcp"
	args   []string
}

var dockerInstr = regexp.MustCompile(`^(?i)(ENV|EXPOSE|CMD|ENTRYPOINT|FROM)\s+(.*)$`)

// parseDockerfile reads the instructions of the last stage (the image).
func parseDockerfile(src []byte) (dockerfile, []string) {
	var d dockerfile
	var problems []string
	var lines []string
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") && cur.Len() == 0 {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur.WriteString(strings.TrimSuffix(line, "\\") + " ")
			continue
		}
		cur.WriteString(line)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	for _, line := range lines {
		m := dockerInstr.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch strings.ToUpper(m[1]) {
		case "FROM":
			d = dockerfile{}
		case "ENV":
			d.env = map[string]string{}
			for _, kv := range strings.Fields(m[2]) {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					problems = append(problems, fmt.Sprintf("Dockerfile: ENV %q: want KEY=VALUE", kv))
					continue
				}
				d.env[k] = strings.Trim(v, `"`)
			}
		case "EXPOSE":
			for _, p := range strings.Fields(m[2]) {
				if !strings.Contains(p, "/") {
					p += "/tcp"
				}
				d.expose = append(d.expose, strings.ToLower(p))
			}
		case "CMD", "ENTRYPOINT":
			var args []string
			if json.Unmarshal([]byte(m[2]), &args) != nil {
				args = strings.Fields(m[2])
			}
			if strings.ToUpper(m[1]) == "CMD" {
				d.args = args
			}
		}
	}
	if d.env == nil {
		d.env = map[string]string{}
	}
	return d, problems
}

// checkDockerfile: the image's variables and flags exist, and it exposes
// exactly the ports its defaults listen on.
func checkDockerfile(src []byte, k known) (dockerfile, []string) {
	d, problems := parseDockerfile(src)
	problems = append(problems, checkText("Dockerfile", src, k)...)
	ports, p := node{where: "Dockerfile", env: d.env, args: d.args}.ports(k)
	for _, msg := range p {
		if !strings.Contains(msg, "LIVEMALL_CLUSTER_SECRET") { // the image has no secret; deployments give it
			problems = append(problems, msg)
		}
	}
	for _, e := range d.expose {
		if _, ok := ports[e]; !ok {
			problems = append(problems, fmt.Sprintf("Dockerfile: EXPOSE %s, but the image's settings listen on %v", e, sortedKeys(ports)))
		}
	}
	for _, p := range sortedKeys(ports) {
		if !slices.Contains(d.expose, p) {
			problems = append(problems, fmt.Sprintf("Dockerfile: listens on %s (%s) without EXPOSE", p, ports[p]))
		}
	}
	return d, problems
}

// checkEnvFile: every variable of the sample env file, set or commented
// out, is one serve reads.
func checkEnvFile(src []byte, k known) []string {
	return checkText("livemall.env", src, k)
}

// isLivemall reports whether an image is livemall's (or, in compose, a
// service built from deploy/Dockerfile).
func isLivemall(image string, build any) bool {
	return strings.Contains(image, "livemall") || build != nil
}

// composeFile is the part of compose.yaml the checks read.
type composeFile struct {
	Services map[string]struct {
		Image       string `yaml:"image"`
		Build       any    `yaml:"build"`
		Command     any    `yaml:"command"`
		Environment any    `yaml:"environment"`
		Ports       []any  `yaml:"ports"`
	} `yaml:"services"`
}

// checkCompose: the livemall services' variables and flags exist; every
// published port is one the node listens on; the media and TURN ports are
// published with the same number outside.
func checkCompose(src []byte, image dockerfile, k known) []string {
	problems := checkText("compose.yaml", src, k)
	var f composeFile
	if err := yaml.Unmarshal(src, &f); err != nil {
		return append(problems, fmt.Sprintf("compose.yaml: %v", err))
	}
	if len(f.Services) == 0 {
		return append(problems, "compose.yaml: no services")
	}
	nodes := 0
	for _, name := range sortedKeys(f.Services) {
		s := f.Services[name]
		if !isLivemall(s.Image, s.Build) {
			continue
		}
		nodes++
		where := "compose.yaml service " + name
		env := map[string]string{}
		for k, v := range image.env {
			env[k] = v
		}
		vars, err := stringMap(s.Environment)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: environment: %v", where, err))
		}
		problems = append(problems, checkEnvNames(where, vars, k)...)
		for k, v := range vars {
			env[k] = interpolate(v)
		}
		args := image.args
		if s.Command != nil {
			if args, err = stringList(s.Command); err != nil {
				problems = append(problems, fmt.Sprintf("%s: command: %v", where, err))
			}
		}
		listens, p := node{where: where, env: env, args: args}.ports(k)
		problems = append(problems, p...)
		published := map[string]bool{}
		for _, raw := range s.Ports {
			entries, err := composePorts(raw)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: ports: %v", where, err))
				continue
			}
			for _, e := range entries {
				key := e.container + "/" + e.proto
				what, ok := listens[key]
				switch {
				case !ok:
					problems = append(problems, fmt.Sprintf("%s: publishes %s, but the node listens on %v", where, key, sortedKeys(listens)))
				case mustPublish(what) && e.host != e.container:
					problems = append(problems, fmt.Sprintf("%s: publishes %s %s as %s outside; candidates announce %s, so both must be the same", where, what, key, e.host, e.container))
				}
				published[key] = true
			}
		}
		for _, p := range sortedKeys(listens) {
			if mustPublish(listens[p]) && !published[p] {
				problems = append(problems, fmt.Sprintf("%s: %s %s is not published: clients could not reach it", where, listens[p], p))
			}
		}
	}
	if nodes == 0 {
		problems = append(problems, "compose.yaml: no livemall service")
	}
	return problems
}

// publishedPort is one port of a compose ports entry.
type publishedPort struct{ host, container, proto string }

// composePorts parses a compose ports entry, short
// ("[ip:]host:container[/proto]", where host and container may be equal
// ranges like "49160-49199:49160-49199/udp") or long ({target, published,
// protocol}), into its ports.
func composePorts(raw any) ([]publishedPort, error) {
	var host, container, proto string
	switch v := raw.(type) {
	case map[string]any:
		container, host, proto = fmt.Sprint(v["target"]), fmt.Sprint(v["published"]), "tcp"
		if p, ok := v["protocol"].(string); ok {
			proto = p
		}
		if v["published"] == nil {
			host = ""
		}
	case string, int:
		s := fmt.Sprint(v)
		proto = "tcp"
		if i := strings.LastIndex(s, "/"); i >= 0 {
			s, proto = s[:i], s[i+1:]
		}
		parts := strings.Split(s, ":")
		container = parts[len(parts)-1]
		if len(parts) > 1 {
			host = parts[len(parts)-2]
		}
	default:
		return nil, fmt.Errorf("entry %v: want \"host:container/proto\" or a mapping", raw)
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("entry %v: protocol %q", raw, proto)
	}
	first, last, err := portRange(container)
	if err != nil {
		return nil, fmt.Errorf("entry %v: container port %q: %v", raw, container, err)
	}
	hostFirst := -1
	if host != "" {
		hf, hl, err := portRange(host)
		if err != nil {
			return nil, fmt.Errorf("entry %v: host port %q: %v", raw, host, err)
		}
		if hl-hf != last-first {
			return nil, fmt.Errorf("entry %v: host range %q and container range %q differ in length", raw, host, container)
		}
		hostFirst = hf
	}
	var out []publishedPort
	for p := first; p <= last; p++ {
		e := publishedPort{container: strconv.Itoa(p), proto: proto}
		if hostFirst >= 0 {
			e.host = strconv.Itoa(hostFirst + p - first)
		}
		out = append(out, e)
	}
	return out, nil
}

// portRange parses "N" or "N-M" (N ≤ M), the port syntax of compose.
func portRange(s string) (first, last int, err error) {
	a, b, isRange := strings.Cut(s, "-")
	if first, err = strconv.Atoi(a); err != nil || first < 1 || first > 65535 {
		return 0, 0, errors.New("not a port number or range")
	}
	last = first
	if isRange {
		if last, err = strconv.Atoi(b); err != nil || last < first || last > 65535 {
			return 0, 0, errors.New("not a port range N-M with N ≤ M")
		}
	}
	return first, last, nil
}

var metricName = regexp.MustCompile(`\blivemall_[a-z0-9_]+`)

// dashboardMetrics returns the livemall_* metrics the dashboard's queries
// (panel targets and template variables) name.
func dashboardMetrics(src []byte) ([]string, error) {
	var doc any
	if err := json.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("livemall.json: %w", err)
	}
	var names []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "query" || k == "definition") {
					names = append(names, metricName.FindAllString(s, -1)...)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	if len(names) == 0 {
		return nil, fmt.Errorf("livemall.json: no query names a livemall_ metric")
	}
	return names, nil
}

// alertMetrics returns the livemall_* metrics the alerting rules' exprs
// name.
func alertMetrics(src []byte) ([]string, error) {
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(src, &f); err != nil {
		return nil, fmt.Errorf("alerts.yaml: %w", err)
	}
	var names []string
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" {
				return nil, fmt.Errorf("alerts.yaml: a rule without alert or expr: %+v", r)
			}
			names = append(names, metricName.FindAllString(r.Expr, -1)...)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("alerts.yaml: no rule names a livemall_ metric")
	}
	return names, nil
}

// missingMetrics returns the names no exported family accounts for;
// families maps each exported family to its type. A histogram's _bucket,
// _sum and _count (a summary's _sum and _count) belong to its family.
func missingMetrics(names []string, families map[string]string) []string {
	var missing []string
	for _, n := range names {
		base := n
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			b, ok := strings.CutSuffix(n, suffix)
			if ok && (families[b] == "HISTOGRAM" || (families[b] == "SUMMARY" && suffix != "_bucket")) {
				base = b
			}
		}
		if families[base] == "" && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	return missing
}

// stringMap reads compose's environment: a mapping or a list of KEY=VALUE.
func stringMap(v any) (map[string]string, error) {
	out := map[string]string{}
	switch v := v.(type) {
	case nil:
	case map[string]any:
		for k, x := range v {
			if x == nil {
				out[k] = ""
			} else {
				out[k] = fmt.Sprint(x)
			}
		}
	case []any:
		for _, x := range v {
			k, val, _ := strings.Cut(fmt.Sprint(x), "=")
			out[k] = val
		}
	default:
		return nil, fmt.Errorf("want a mapping or a list, got %T", v)
	}
	return out, nil
}

// stringList reads a compose command: a list or a shell-split string.
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return strings.Fields(v), nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, fmt.Sprint(x))
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list or a string, got %T", v)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
