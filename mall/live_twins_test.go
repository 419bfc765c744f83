package mall_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livemall/livemall/mall"
)

// tsFields lists the field names of the TypeScript interface name in the
// file.
func tsFields(t *testing.T, file, name string) []string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)export interface ` + name + ` (?:extends \w+ )?\{(.*?)\n\}`).FindSubmatch(src)
	if m == nil {
		t.Fatalf("%s declares no interface %s", file, name)
	}
	var out []string
	for _, f := range regexp.MustCompile(`(?m)^\s+(\w+)\??:`).FindAllSubmatch(m[1], -1) {
		out = append(out, string(f[1]))
	}
	slices.Sort(out)
	return out
}

// jsonFields lists the JSON names of a Go struct's fields.
func jsonFields(v any) []string {
	var out []string
	rt := reflect.TypeOf(v)
	for i := range rt.NumField() {
		if tag := strings.Split(rt.Field(i).Tag.Get("json"), ",")[0]; tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	slices.Sort(out)
	return out
}

// TestLiveSkylineTypeScriptTwinsMatchGo: the live stream's messages and
// the queue view have the same fields in Go and in the mall's TypeScript.
func TestLiveSkylineTypeScriptTwinsMatchGo(t *testing.T) {
	for _, c := range []struct {
		goType        any
		file, tsIface string
	}{
		{mall.StoreLive{}, "ui/liveStores.tsx", "StoreLive"},
		{mall.LiveEvent{}, "ui/liveStores.tsx", "LiveEvent"},
		{mall.QueueView{}, "ui/shopApi.ts", "StoreQueue"},
	} {
		if g, ts := jsonFields(c.goType), tsFields(t, c.file, c.tsIface); !slices.Equal(g, ts) {
			t.Errorf("%T has fields %v, %s %s has %v", c.goType, g, c.file, c.tsIface, ts)
		}
	}
}
