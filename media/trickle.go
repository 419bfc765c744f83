package media

import (
	"encoding/json"
	"fmt"

	"github.com/pion/webrtc/v4"
)

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
