package media

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Hand-wired media whose sender can change: a call that is transferred
// puts the shopper on hold (their patches stopped: they hear and send to
// nobody), then patches them to another agent. The receiver must see one
// continuous stream whoever sends, or its jitter buffer takes the new
// sender's sequence numbers for a jump and drops the picture; so a patch
// goes through the receiver's main slot (outTrack), which rewrites
// sequence numbers and timestamps on every change of sender, and no
// device renegotiates.

// PatchTo sends this participant's media into the other's main downstream
// tracks, in place of whoever sent there before, and asks for a keyframe
// so the picture starts at once. The other must be wired by hand (no role
// in the room's forwarding). Stopping the patch leaves the other silent
// (on hold) until the next patch.
func (p *Participant) PatchTo(other *Participant) (stop func()) {
	other.main.audio.setSource(p)
	other.main.video.setSource(p)
	other.mu.Lock()
	other.keyframeSource = p
	other.mu.Unlock()
	audio, video := other.main.audio, other.main.video
	remove := p.AddSink(func(kind webrtc.RTPCodecType, pkt *rtp.Packet) {
		o := audio
		if kind == webrtc.RTPCodecTypeVideo {
			o = video
		}
		o.forward(p, pkt)
	})
	p.RequestKeyframe()
	return func() {
		remove()
		// The next patch, even from p again, starts a fresh run of
		// sequence numbers after the last one sent.
		for _, o := range []*outTrack{audio, video} {
			o.mu.Lock()
			if o.src == p {
				o.src = nil
			}
			o.mu.Unlock()
		}
	}
}
