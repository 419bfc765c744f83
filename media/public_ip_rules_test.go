package media

import (
	"reflect"
	"testing"

	"github.com/pion/webrtc/v4"
)

// TestPublicIPRules: public IPs are appended as host candidates of each
// private address only (never of loopback, which is not among the locals),
// a public IP that is the node's own address adds nothing, and a public IP
// that is not IPv4 is refused.
func TestPublicIPRules(t *testing.T) {
	rule := func(local string, external ...string) webrtc.ICEAddressRewriteRule {
		return webrtc.ICEAddressRewriteRule{External: external, Local: local, AsCandidateType: webrtc.ICECandidateTypeHost, Mode: webrtc.ICEAddressRewriteAppend}
	}
	for _, tt := range []struct {
		name           string
		public, locals []string
		want           []webrtc.ICEAddressRewriteRule
	}{
		{"behind a 1:1 NAT", []string{"203.0.113.7"}, []string{"10.0.0.5"}, []webrtc.ICEAddressRewriteRule{rule("10.0.0.5", "203.0.113.7")}},
		{"two private addresses", []string{"203.0.113.7"}, []string{"10.0.0.5", "192.168.1.5"}, []webrtc.ICEAddressRewriteRule{rule("10.0.0.5", "203.0.113.7"), rule("192.168.1.5", "203.0.113.7")}},
		{"public IP is the node's own", []string{"10.93.0.12"}, []string{"10.93.0.12"}, nil},
		{"one own, one NAT", []string{"10.93.0.12", "203.0.113.7", "203.0.113.7"}, []string{"10.93.0.12"}, []webrtc.ICEAddressRewriteRule{rule("10.93.0.12", "203.0.113.7")}},
		{"no private address", []string{"203.0.113.7"}, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := publicIPRules(tt.public, tt.locals)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("publicIPRules(%v, %v) = %+v, %v; want %+v", tt.public, tt.locals, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"mall.example.com", "2001:db8::1", ""} {
		if _, err := publicIPRules([]string{bad}, []string{"10.0.0.5"}); err == nil {
			t.Errorf("public IP %q accepted", bad)
		}
	}
}
