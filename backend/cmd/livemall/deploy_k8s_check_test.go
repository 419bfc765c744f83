package main

// The Kubernetes part of the deploy checker (deploy_check_test.go).

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
