package main

import (
	"strings"
	"testing"
	"time"
)

func TestPathBadCases(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"127.0.0.1:7301", "must look like"},
		{"127.0.0.1:7301=10.0.0.1:7222", "must look like"},
		{"127.0.0.1:7301=10.0.0.1:7222@soon", "not a duration"},
		{"127.0.0.1:7301=10.0.0.1:7222@-5ms", "not a duration"},
		{"127.0.0.1=10.0.0.1:7222@5ms", "missing port"},
		{"127.0.0.1:7301=10.0.0.1@5ms", "missing port"},
	} {
		if _, err := parsePath(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parsePath(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	p, err := parsePath("127.0.0.1:7301=10.94.0.11:7222@20ms")
	if err != nil || p.listen != "127.0.0.1:7301" || p.target != "10.94.0.11:7222" || p.delay != 20*time.Millisecond {
		t.Fatalf("a good path: %+v %v", p, err)
	}
}
