package media_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/livemall/livemall/media/tsproto"
)

// TestTypeScriptSignalingTypesMatchGo regenerates the TypeScript twins of
// the signaling payloads in memory and fails when the committed
// client/messages.gen.ts differs from what the Go structs say.
func TestTypeScriptSignalingTypesMatchGo(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root, err := tsproto.ModuleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	want, err := tsproto.Generate(root)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("client/messages.gen.ts")
	if err != nil {
		t.Fatalf("%v: run go generate ./media/...", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("media/client/messages.gen.ts is out of date with the Go structs: run go generate ./media/...\nfirst difference at line %d:\n  committed: %q\n  from Go:   %q", i+1, gl, wl)
		}
	}
}

// TestSignalingPayloadListCoversProtocol fails when tsproto.Payloads and
// media.Protocol do not name the same messages.
func TestSignalingPayloadListCoversProtocol(t *testing.T) {
	saved := tsproto.Payloads
	defer func() { tsproto.Payloads = saved }()
	tsproto.Payloads = saved[1:]
	if _, err := tsproto.Generate("."); err == nil || !strings.Contains(err.Error(), "does not list") {
		t.Fatalf("a list missing %q generated (err %v)", saved[0].Type, err)
	}
	tsproto.Payloads = append(append([]tsproto.Payload{}, saved...), tsproto.Payload{Type: "made.up", Direction: saved[0].Direction})
	if _, err := tsproto.Generate("."); err == nil || !strings.Contains(err.Error(), "does not have") {
		t.Fatalf("a list with a message Protocol lacks generated (err %v)", err)
	}
	tsproto.Payloads = append(append([]tsproto.Payload{}, saved...), saved[0])
	if _, err := tsproto.Generate("."); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("a list naming a message twice generated (err %v)", err)
	}
}
