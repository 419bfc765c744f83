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
	if cfg.MediaUDPPort > 0 {
		out[strconv.Itoa(cfg.MediaUDPPort)+"/udp"] = "media (--media-udp-port)"
	}
	if cfg.MediaTCPPort > 0 {
		out[strconv.Itoa(cfg.MediaTCPPort)+"/tcp"] = "media (--media-tcp-port)"
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
			host, container, proto, err := composePort(raw)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: ports: %v", where, err))
				continue
			}
			key := container + "/" + proto
			what, ok := listens[key]
			switch {
			case !ok:
				problems = append(problems, fmt.Sprintf("%s: publishes %s, but the node listens on %v", where, key, sortedKeys(listens)))
			case mustPublish(what) && host != container:
				problems = append(problems, fmt.Sprintf("%s: publishes %s %s as %s outside; candidates announce %s, so both must be the same", where, what, key, host, container))
			}
			published[key] = true
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

// composePort parses a compose ports entry, short ("[ip:]host:container[/proto]")
// or long ({target, published, protocol}).
func composePort(raw any) (host, container, proto string, err error) {
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
		return "", "", "", fmt.Errorf("entry %v: want \"host:container/proto\" or a mapping", raw)
	}
	if _, err := strconv.Atoi(container); err != nil {
		return "", "", "", fmt.Errorf("entry %v: container port %q is not a number (ranges are not used here)", raw, container)
	}
	proto = strings.ToLower(proto)
	if proto != "tcp" && proto != "udp" {
		return "", "", "", fmt.Errorf("entry %v: protocol %q", raw, proto)
	}
	return host, container, proto, nil
}

// k8sObject is the part of a Kubernetes object the checks read.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name        string            `yaml:"name"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Selector yaml.Node `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []k8sContainer `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
		Ports []struct {
			Name       string    `yaml:"name"`
			Port       int       `yaml:"port"`
			TargetPort yaml.Node `yaml:"targetPort"`
			Protocol   string    `yaml:"protocol"`
		} `yaml:"ports"`
	} `yaml:"spec"`
}

type k8sContainer struct {
	Name    string   `yaml:"name"`
	Image   string   `yaml:"image"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
		SecretRef *struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
		HostPort      int    `yaml:"hostPort"`
		Protocol      string `yaml:"protocol"`
	} `yaml:"ports"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
}

type k8sProbe struct {
	HTTPGet *struct {
		Path string    `yaml:"path"`
		Port yaml.Node `yaml:"port"`
	} `yaml:"httpGet"`
}

// checkK8s checks the manifests of deploy/k8s (file name → bytes, each
// possibly several documents): the livemall containers' variables (also
// through envFrom ConfigMaps and Secrets) and flags exist; their container
// ports, hostPorts, probes and the Services' targetPorts match the ports
// the settings give.
func checkK8s(files map[string][]byte, image dockerfile, k known) []string {
	var problems []string
	var objs []k8sObject
	var where []string // where[i] names objs[i]
	for _, name := range sortedKeys(files) {
		problems = append(problems, checkText(name, files[name], k)...)
		dec := yaml.NewDecoder(bytes.NewReader(files[name]))
		for i := 0; ; i++ {
			var o k8sObject
			err := dec.Decode(&o)
			if err == io.EOF {
				break
			}
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: document %d: %v", name, i+1, err))
				break
			}
			if o.Kind != "" {
				objs = append(objs, o)
				where = append(where, fmt.Sprintf("%s %s/%s", name, o.Kind, o.Metadata.Name))
			}
		}
	}
	maps := map[string]map[string]string{} // "ConfigMap/name" → data
	for _, o := range objs {
		switch o.Kind {
		case "ConfigMap":
			maps["ConfigMap/"+o.Metadata.Name] = o.Data
		case "Secret":
			m := map[string]string{}
			for k, v := range o.Data {
				m[k] = v
			}
			for k, v := range o.StringData {
				m[k] = v
			}
			maps["Secret/"+o.Metadata.Name] = m
		}
	}
	type podPorts struct {
		labels map[string]string
		byName map[string]string // port name → "8080/tcp"
		listen portSet
	}
	var pods []podPorts
	nodes := 0
	for i := range objs {
		o := &objs[i]
		for _, c := range o.Spec.Template.Spec.Containers {
			if !isLivemall(c.Image, nil) {
				continue
			}
			nodes++
			at := where[i] + " container " + c.Name
			env := map[string]string{}
			for name, v := range image.env {
				env[name] = v
			}
			for _, ef := range c.EnvFrom {
				ref := ""
				switch {
				case ef.ConfigMapRef != nil:
					ref = "ConfigMap/" + ef.ConfigMapRef.Name
				case ef.SecretRef != nil:
					ref = "Secret/" + ef.SecretRef.Name
				}
				data, ok := maps[ref]
				if !ok {
					problems = append(problems, fmt.Sprintf("%s: envFrom %s is in none of the manifests", at, ref))
					continue
				}
				for name, v := range data {
					if !k.env[name] {
						problems = append(problems, fmt.Sprintf("%s: envFrom %s sets %s, not a setting of livemall serve", at, ref, name))
					}
					env[name] = v
				}
			}
			for _, e := range c.Env {
				if strings.HasPrefix(e.Name, "LIVEMALL_") && !k.env[e.Name] {
					problems = append(problems, fmt.Sprintf("%s: %s is not a setting of livemall serve", at, e.Name))
				}
				env[e.Name] = e.Value
				if e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
					env[e.Name] = map[string]string{"status.hostIP": "192.0.2.10", "status.podIP": "10.1.2.3"}[e.ValueFrom.FieldRef.FieldPath]
					if env[e.Name] == "" {
						env[e.Name] = "pod-name"
					}
				}
			}
			args := image.args
			if len(c.Command) > 0 || len(c.Args) > 0 {
				args = c.Args
			}
			listens, p := node{where: at, env: env, args: args}.ports(k)
			problems = append(problems, p...)
			pp := podPorts{labels: o.Spec.Template.Metadata.Labels, byName: map[string]string{}, listen: listens}
			declared := map[string]bool{}
			for _, cp := range c.Ports {
				key := strconv.Itoa(cp.ContainerPort) + "/" + strings.ToLower(cmpOr(cp.Protocol, "TCP"))
				what, ok := listens[key]
				switch {
				case !ok:
					problems = append(problems, fmt.Sprintf("%s: containerPort %s, but the node listens on %v", at, key, sortedKeys(listens)))
				case mustPublish(what) && cp.HostPort != cp.ContainerPort:
					problems = append(problems, fmt.Sprintf("%s: %s %s needs hostPort %d (candidates announce the node's IP and this port), has %d", at, what, key, cp.ContainerPort, cp.HostPort))
				}
				declared[key] = true
				if cp.Name != "" {
					pp.byName[cp.Name] = key
				}
			}
			for _, p := range sortedKeys(listens) {
				if !declared[p] {
					problems = append(problems, fmt.Sprintf("%s: listens on %s (%s) without a containerPort", at, p, listens[p]))
				}
			}
			httpPort := ""
			for p, what := range listens {
				if strings.HasPrefix(what, "http") {
					httpPort = p
				}
			}
			for _, pr := range []struct {
				name  string
				probe *k8sProbe
				paths []string
			}{{"startupProbe", c.StartupProbe, []string{"/healthz"}}, {"livenessProbe", c.LivenessProbe, []string{"/healthz"}}, {"readinessProbe", c.ReadinessProbe, []string{"/readyz"}}} {
				if pr.probe == nil || pr.probe.HTTPGet == nil {
					if pr.name != "startupProbe" {
						problems = append(problems, fmt.Sprintf("%s: no %s on %s", at, pr.name, pr.paths[0]))
					}
					continue
				}
				if !slices.Contains(pr.paths, pr.probe.HTTPGet.Path) {
					problems = append(problems, fmt.Sprintf("%s: %s on %s, want %s", at, pr.name, pr.probe.HTTPGet.Path, pr.paths[0]))
				}
				if got := resolvePort(pr.probe.HTTPGet.Port, pp.byName, "tcp"); got != httpPort {
					problems = append(problems, fmt.Sprintf("%s: %s port %s is not the node's HTTP port %s", at, pr.name, pr.probe.HTTPGet.Port.Value, httpPort))
				}
			}
			pods = append(pods, pp)
		}
	}
	for i := range objs {
		o := &objs[i]
		if o.Kind != "Service" || o.Spec.Selector.Kind == 0 {
			continue
		}
		var sel map[string]string
		if err := o.Spec.Selector.Decode(&sel); err != nil {
			continue
		}
		for _, pp := range pods {
			if !selects(sel, pp.labels) {
				continue
			}
			for _, sp := range o.Spec.Ports {
				proto := strings.ToLower(cmpOr(sp.Protocol, "TCP"))
				target := resolvePort(sp.TargetPort, pp.byName, proto)
				if sp.TargetPort.Kind == 0 {
					target = strconv.Itoa(sp.Port) + "/" + proto
				}
				if _, ok := pp.listen[target]; !ok {
					problems = append(problems, fmt.Sprintf("%s: port %s targets %q, which the livemall pods do not listen on (%v)", where[i], sp.Name, sp.TargetPort.Value, sortedKeys(pp.listen)))
				}
			}
			if p := o.Metadata.Annotations["prometheus.io/port"]; p != "" {
				if pp.listen[p+"/tcp"] == "" || !strings.HasPrefix(pp.listen[p+"/tcp"], "metrics") {
					problems = append(problems, fmt.Sprintf("%s: prometheus.io/port %s is not the metrics port", where[i], p))
				}
			}
		}
	}
	if nodes == 0 {
		problems = append(problems, "deploy/k8s: no livemall container")
	}
	return problems
}

// resolvePort turns a port reference (a number or a container port's
// name) into "8080/tcp"; "" when a name is unknown.
func resolvePort(n yaml.Node, byName map[string]string, proto string) string {
	if n.Kind == 0 {
		return ""
	}
	if _, err := strconv.Atoi(n.Value); err == nil {
		return n.Value + "/" + proto
	}
	return byName[n.Value]
}

// selects reports whether a Service's selector matches the pod labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
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
