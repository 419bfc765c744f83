package media

// What the Go clients of the signaling (the test harness's and the
// bench's pion phones) share.

import (
	"encoding/json"
	"fmt"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// NewLoopbackClientAPI returns pion as the Go phones use it against a node
// on this machine: default codecs and interceptors, loopback candidates,
// no mDNS, over the networks given (UDP4 when none).
func NewLoopbackClientAPI(networks ...webrtc.NetworkType) *webrtc.API {
	if len(networks) == 0 {
		networks = []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	}
	m := &webrtc.MediaEngine{}
	m.RegisterDefaultCodecs()
	reg := &interceptor.Registry{}
	webrtc.RegisterDefaultInterceptors(m, reg)
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes(networks)
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se))
}

// AddTrickled is a Go client's handling of "rtc.candidate" from the
// server (the test harness's and the bench's pion phones): it adds the
// trickled candidate to the client's peer connection, which is nil until
// the call's offer came, and then there is nothing to add it to.
func AddTrickled(pc *webrtc.PeerConnection, data []byte) error {
	if pc == nil {
		return nil
	}
	var d RtcCandidateData
	if err := json.Unmarshal(data, &d); err != nil {
		return fmt.Errorf("rtc.candidate: %w", err)
	}
	return pc.AddICECandidate(d.Candidate)
}
