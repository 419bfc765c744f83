package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// deployDir is the repository's deploy/ folder.
const deployDir = "../../../deploy"

// serveKnows asks the built binary which flags serve has.
func serveKnows(t *testing.T) known {
	t.Helper()
	out, err := exec.Command(binary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("serve --help: %v\n%s", err, out)
	}
	k := knownFrom(string(out))
	if !k.flags["addr"] || !k.flags["cluster-secret"] || !k.env["LIVEMALL_CLUSTER_SECRET"] {
		t.Fatalf("serve --help and config.ApplyEnv name no --addr / --cluster-secret: %v", k)
	}
	return k
}

func readDeploy(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deployDir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// k8sFiles reads every manifest of deploy/k8s.
func k8sFiles(t *testing.T) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(deployDir, "k8s", "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no deploy/k8s/*.yaml: %v", err)
	}
	files := map[string][]byte{}
	for _, p := range paths {
		files["k8s/"+filepath.Base(p)] = readDeploy(t, "k8s/"+filepath.Base(p))
	}
	return files
}

// exportedFamilies starts a real node (TURN on, the demo seeded so every
// store has its figures), makes one request and returns the metric
// families its /metrics exports, with their types.
func exportedFamilies(t *testing.T) map[string]string {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--demo", "--addr", "127.0.0.1:0", "--turn-addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--payments", "offline"}, dbFlags(t)...)...)
	stderr, _ := cmd.StderrPipe()
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addrs := make(chan [2]string, 1)
	go func() {
		var metrics string
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				continue
			}
			switch line.Msg {
			case "metrics":
				metrics = "http://" + line.Addr
			case "serving":
				addrs <- [2]string{"http://" + line.Addr, metrics}
			}
		}
	}()
	var base, metrics string
	select {
	case a := <-addrs:
		base, metrics = a[0], a[1]
	case <-time.After(60 * time.Second):
		t.Fatal("livemall serve did not start within 60s")
	}
	if res, err := http.Get(base + "/readyz"); err != nil || res.StatusCode != 200 {
		t.Fatalf("readyz: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	res, err := http.Get(metrics + "/metrics")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("scrape: %v %v", res, err)
	}
	defer res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	out := map[string]string{}
	for name, f := range fams {
		out[name] = f.GetType().String()
	}
	return out
}

// TestDeployManifestsNameOnlyRealFlags reads deploy/: the Dockerfile, the
// sample env file, compose.yaml and every manifest of deploy/k8s name only
// flags and LIVEMALL_* variables that `livemall serve` has; their ports
// (EXPOSE, published ports, container and host ports, probes, Service
// targetPorts) are the ports the settings of the same manifest give the
// node; every node gets LIVEMALL_CLUSTER_SECRET and none a TURN secret of
// its own; and every metric the Grafana dashboard and the Prometheus
// alerts name is exported by a running node. The bad cases prove the
// checker refuses what it should.
func TestDeployManifestsNameOnlyRealFlags(t *testing.T) {
	k := serveKnows(t)
	image, problems := checkDockerfile(readDeploy(t, "Dockerfile"), k)
	problems = append(problems, checkEnvFile(readDeploy(t, "livemall.env"), k)...)
	problems = append(problems, checkCompose(readDeploy(t, "compose.yaml"), image, k)...)
	problems = append(problems, checkK8s(k8sFiles(t), image, k)...)
	problems = append(problems, checkText("caddy/Caddyfile", readDeploy(t, "caddy/Caddyfile"), k)...)
	for _, p := range problems {
		t.Error(p)
	}
	// The balancer of compose.yaml sends to the nodes' HTTP port and
	// checks their readiness.
	caddy := string(readDeploy(t, "caddy/Caddyfile"))
	for _, want := range []string{"livemall-1:8080", "livemall-2:8080", "livemall-3:8080", "health_uri /readyz"} {
		if !strings.Contains(caddy, want) {
			t.Errorf("caddy/Caddyfile: no %q", want)
		}
	}

	t.Run("metrics of the dashboard and alerts exist", func(t *testing.T) {
		dash, err := dashboardMetrics(readDeploy(t, "grafana/livemall.json"))
		if err != nil {
			t.Fatal(err)
		}
		alerts, err := alertMetrics(readDeploy(t, "prometheus/alerts.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		families := exportedFamilies(t)
		if missing := missingMetrics(dash, families); len(missing) > 0 {
			t.Errorf("grafana/livemall.json names metrics no node exports: %v", missing)
		}
		if missing := missingMetrics(alerts, families); len(missing) > 0 {
			t.Errorf("prometheus/alerts.yaml names metrics no node exports: %v", missing)
		}
		for _, name := range []string{"livemall_calls_active", "livemall_sfu_packets_in_total", "livemall_signaling_sockets", "livemall_turn_allocations", "livemall_queue_wait_to_ring_seconds"} {
			if !strings.Contains(strings.Join(dash, " "), name) {
				t.Errorf("the dashboard shows no %s", name)
			}
		}
		if missing := missingMetrics([]string{"livemall_made_up_total", "livemall_sfu_rooms_bucket"}, families); len(missing) != 2 {
			t.Errorf("made-up metrics not refused: missing = %v", missing)
		}
	})

	t.Run("bad manifests are refused", func(t *testing.T) {
		const dockerfileOK = "FROM scratch\nENV LIVEMALL_ADDR=:8080 LIVEMALL_METRICS_ADDR=:9464 LIVEMALL_MEDIA_UDP_PORT=50000 LIVEMALL_MEDIA_TCP_PORT=50000 LIVEMALL_TURN_ADDR=:3478\nEXPOSE 8080/tcp 9464/tcp 50000/udp 50000/tcp 3478/udp 3478/tcp\nCMD [\"serve\"]\n"
		goodImage, p := checkDockerfile([]byte(dockerfileOK), k)
		if len(p) > 0 {
			t.Fatalf("a good Dockerfile refused: %v", p)
		}
		composeNode := func(env, ports string) string {
			return "services:\n  livemall-1:\n    image: livemall:latest\n    environment:\n      LIVEMALL_CLUSTER_SECRET: ${LIVEMALL_CLUSTER_SECRET:?set it}\n" + env +
				"    ports:\n" + ports
		}
		const goodPorts = "      - \"50000:50000/udp\"\n      - \"50000:50000/tcp\"\n      - \"3478:3478/udp\"\n      - \"3478:3478/tcp\"\n"
		if p := checkCompose([]byte(composeNode("", goodPorts)), goodImage, k); len(p) > 0 {
			t.Fatalf("a good compose file refused: %v", p)
		}
		k8sNode := func(env, ports, probes string) map[string][]byte {
			return map[string][]byte{"k8s/d.yaml": []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: livemall}
spec:
  template:
    metadata:
      labels: {app: livemall}
    spec:
      containers:
        - name: livemall
          image: livemall:1
          envFrom: [{secretRef: {name: livemall}}]
` + env + ports + probes + `---
apiVersion: v1
kind: Secret
metadata: {name: livemall}
stringData: {LIVEMALL_CLUSTER_SECRET: "0123456789abcdef0123456789abcdef"}
---
apiVersion: v1
kind: Service
metadata: {name: livemall}
spec:
  selector: {app: livemall}
  ports: [{name: http, port: 80, targetPort: http}]
`)}
		}
		const k8sPorts = `          ports:
            - {name: http, containerPort: 8080}
            - {name: metrics, containerPort: 9464}
            - {name: media-udp, containerPort: 50000, hostPort: 50000, protocol: UDP}
            - {name: media-tcp, containerPort: 50000, hostPort: 50000}
            - {name: turn, containerPort: 3478, hostPort: 3478, protocol: UDP}
            - {name: turn-tcp, containerPort: 3478, hostPort: 3478}
`
		const k8sProbes = `          livenessProbe: {httpGet: {path: /healthz, port: http}}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
`
		if p := checkK8s(k8sNode("", k8sPorts, k8sProbes), goodImage, k); len(p) > 0 {
			t.Fatalf("good k8s manifests refused: %v", p)
		}
		tests := []struct {
			name  string
			check func() []string
			want  string
		}{
			{"Dockerfile with a made-up variable", func() []string {
				_, p := checkDockerfile([]byte(strings.Replace(dockerfileOK, "LIVEMALL_ADDR", "LIVEMALL_LISTEN", 1)), k)
				return p
			}, "LIVEMALL_LISTEN is not a setting"},
			{"Dockerfile exposing a port nothing listens on", func() []string {
				_, p := checkDockerfile([]byte(strings.Replace(dockerfileOK, "8080/tcp", "8081/tcp", 1)), k)
				return p
			}, "EXPOSE 8081/tcp"},
			{"Dockerfile with a media port not exposed", func() []string {
				_, p := checkDockerfile([]byte(strings.Replace(dockerfileOK, " 50000/udp", "", 1)), k)
				return p
			}, "listens on 50000/udp (media (--media-udp-port)) without EXPOSE"},
			{"Dockerfile with a made-up flag", func() []string {
				_, p := checkDockerfile([]byte(strings.Replace(dockerfileOK, `["serve"]`, `["serve", "--media-port", "5"]`, 1)), k)
				return p
			}, "flag --media-port is not a flag of livemall serve"},
			{"sample env file with a typo", func() []string {
				return checkEnvFile([]byte("# LIVEMALL_NATS_REPLICA=3\n"), k)
			}, "LIVEMALL_NATS_REPLICA is not a setting"},
			{"compose with a made-up variable", func() []string {
				return checkCompose([]byte(composeNode("      LIVEMALL_MEDIA_PORT: \"50000\"\n", goodPorts)), goodImage, k)
			}, "LIVEMALL_MEDIA_PORT is not a setting"},
			{"compose with a made-up flag", func() []string {
				return checkCompose([]byte(strings.Replace(composeNode("", goodPorts), "    ports:", "    command: [\"serve\", \"--udp-port\", \"50000\"]\n    ports:", 1)), goodImage, k)
			}, "flag --udp-port is not a flag"},
			{"compose publishing the wrong media port", func() []string {
				return checkCompose([]byte(composeNode("", strings.Replace(goodPorts, "50000:50000/udp", "50001:50001/udp", 1))), goodImage, k)
			}, "publishes 50001/udp, but the node listens on"},
			{"compose mapping the media port to another number", func() []string {
				return checkCompose([]byte(composeNode("", strings.Replace(goodPorts, "50000:50000/tcp", "40000:50000/tcp", 1))), goodImage, k)
			}, "as 40000 outside"},
			{"compose not publishing TURN", func() []string {
				return checkCompose([]byte(composeNode("", strings.Replace(goodPorts, "      - \"3478:3478/udp\"\n", "", 1))), goodImage, k)
			}, "turn (--turn-addr) 3478/udp is not published"},
			{"compose with a node-own TURN secret", func() []string {
				return checkCompose([]byte(composeNode("      LIVEMALL_TURN_SECRET: abc\n", goodPorts)), goodImage, k)
			}, "sets the TURN secret itself"},
			{"compose without the cluster secret", func() []string {
				return checkCompose([]byte(strings.Replace(composeNode("", goodPorts), "      LIVEMALL_CLUSTER_SECRET: ${LIVEMALL_CLUSTER_SECRET:?set it}\n", "      LIVEMALL_NODE: a\n", 1)), goodImage, k)
			}, "no LIVEMALL_CLUSTER_SECRET"},
			{"k8s with a made-up variable", func() []string {
				return checkK8s(k8sNode("          env: [{name: LIVEMALL_PUBLIC_ADDRESS, value: 1.2.3.4}]\n", k8sPorts, k8sProbes), goodImage, k)
			}, "LIVEMALL_PUBLIC_ADDRESS is not a setting"},
			{"k8s with a made-up flag", func() []string {
				return checkK8s(k8sNode("          args: [serve, --replicas, \"3\"]\n", k8sPorts, k8sProbes), goodImage, k)
			}, "flag --replicas is not a flag"},
			{"k8s container port nothing listens on", func() []string {
				return checkK8s(k8sNode("", strings.Replace(k8sPorts, "containerPort: 8080", "containerPort: 8000", 1), k8sProbes), goodImage, k)
			}, "containerPort 8000/tcp"},
			{"k8s media port without hostPort", func() []string {
				return checkK8s(k8sNode("", strings.Replace(k8sPorts, "containerPort: 50000, hostPort: 50000, protocol: UDP", "containerPort: 50000, protocol: UDP", 1), k8sProbes), goodImage, k)
			}, "needs hostPort 50000"},
			{"k8s probe on the metrics port", func() []string {
				return checkK8s(k8sNode("", k8sPorts, strings.Replace(k8sProbes, "path: /readyz, port: http", "path: /readyz, port: 9464", 1)), goodImage, k)
			}, "readinessProbe port 9464 is not the node's HTTP port"},
			{"k8s readiness on /healthz", func() []string {
				return checkK8s(k8sNode("", k8sPorts, strings.Replace(k8sProbes, "/readyz", "/healthz", 1)), goodImage, k)
			}, "readinessProbe on /healthz, want /readyz"},
			{"k8s Service targeting a port nobody declared", func() []string {
				files := k8sNode("", k8sPorts, k8sProbes)
				files["k8s/d.yaml"] = []byte(strings.Replace(string(files["k8s/d.yaml"]), "targetPort: http", "targetPort: web", 1))
				return checkK8s(files, goodImage, k)
			}, `targets "web"`},
			{"k8s ConfigMap with a made-up key", func() []string {
				files := k8sNode("", k8sPorts, k8sProbes)
				files["k8s/d.yaml"] = []byte(strings.Replace(string(files["k8s/d.yaml"]), "stringData: {", "stringData: {LIVEMALL_TURN_KEY: x, ", 1))
				return checkK8s(files, goodImage, k)
			}, "sets LIVEMALL_TURN_KEY, not a setting"},
			{"k8s port setting that moves the node off its declared port", func() []string {
				return checkK8s(k8sNode("          env: [{name: LIVEMALL_MEDIA_UDP_PORT, value: \"50100\"}]\n", k8sPorts, k8sProbes), goodImage, k)
			}, "listens on 50100/udp (media (--media-udp-port)) without a containerPort"},
			{"dashboard naming no metric", func() []string {
				_, err := dashboardMetrics([]byte(`{"panels":[{"targets":[{"expr":"up"}]}]}`))
				return []string{errString(err)}
			}, "no query names a livemall_ metric"},
			{"alert without an expr", func() []string {
				_, err := alertMetrics([]byte("groups: [{rules: [{alert: X}]}]\n"))
				return []string{errString(err)}
			}, "a rule without alert or expr"},
			{"compose with relay ports unpublished", func() []string {
				return checkCompose([]byte(composeNode("      LIVEMALL_TURN_RELAY_PORTS: \"49160-49162\"\n", goodPorts+"      - \"49160-49161:49160-49161/udp\"\n")), goodImage, k)
			}, "turn relay (--turn-relay-ports) 49162/udp is not published"},
			{"compose with relay ports moved outside", func() []string {
				return checkCompose([]byte(composeNode("      LIVEMALL_TURN_RELAY_PORTS: \"49160-49161\"\n", goodPorts+"      - \"39160-39161:49160-49161/udp\"\n")), goodImage, k)
			}, "publishes turn relay (--turn-relay-ports) 49160/udp as 39160 outside"},
			{"compose with ranges of different lengths", func() []string {
				return checkCompose([]byte(composeNode("", goodPorts+"      - \"49160-49170:49160-49161/udp\"\n")), goodImage, k)
			}, "differ in length"},
			{"compose with a reversed range", func() []string {
				return checkCompose([]byte(composeNode("", goodPorts+"      - \"49161-49160/udp\"\n")), goodImage, k)
			}, "not a port range N-M"},
			{"compose with a bad relay range", func() []string {
				return checkCompose([]byte(composeNode("      LIVEMALL_TURN_RELAY_PORTS: \"80\"\n", goodPorts)), goodImage, k)
			}, "--turn-relay-ports \"80\""},
			{"k8s relay ports without hostPorts", func() []string {
				return checkK8s(k8sNode("          env: [{name: LIVEMALL_TURN_RELAY_PORTS, value: \"49160-49160\"}]\n", k8sPorts, k8sProbes), goodImage, k)
			}, "listens on 49160/udp (turn relay (--turn-relay-ports)) without a containerPort"},
			{"compose that is not YAML", func() []string {
				return checkCompose([]byte("services: [\n"), goodImage, k)
			}, "compose.yaml: yaml:"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := tt.check()
				if !strings.Contains(strings.Join(got, "\n"), tt.want) {
					t.Fatalf("problems %q, want one with %q", got, tt.want)
				}
			})
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzDeployChecker: whatever the manifests hold, the checker reports
// problems and never panics.
func FuzzDeployChecker(f *testing.F) {
	for _, seed := range []string{"services:\n  a:\n    image: livemall\n    ports: [\"1:2/udp\", {target: 3}]\n",
		"kind: Deployment\nspec: {template: {spec: {containers: [{image: livemall, ports: [{containerPort: 1}]}]}}}\n---\nkind: Service\nspec: {selector: {a: b}}\n",
		"FROM x\nENV A\nEXPOSE 1/sctp\nCMD serve --x\n", `{"panels":[{"expr":"livemall_x_bucket"}]}`} {
		f.Add([]byte(seed))
	}
	k := known{flags: map[string]bool{"addr": true}, env: map[string]bool{"LIVEMALL_ADDR": true}}
	f.Fuzz(func(t *testing.T, src []byte) {
		image, _ := checkDockerfile(src, k)
		checkCompose(src, image, k)
		checkK8s(map[string][]byte{"k8s/f.yaml": src}, image, k)
		dashboardMetrics(src)
		alertMetrics(src)
		checkEnvFile(src, k)
	})
}
