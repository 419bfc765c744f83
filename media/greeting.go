package media

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/pion/rtp"
)

// OpusPackets splits an Ogg/Opus file into its Opus packets, skipping the
// OpusHead and OpusTags headers. Packets may span pages (lacing value 255).
func OpusPackets(ogg []byte) ([][]byte, error) {
	var packets [][]byte
	var partial []byte
	for off := 0; off < len(ogg); {
		if len(ogg)-off < 27 || string(ogg[off:off+4]) != "OggS" {
			return nil, fmt.Errorf("ogg: no page at byte %d", off)
		}
		nseg := int(ogg[off+26])
		if len(ogg)-off < 27+nseg {
			return nil, errors.New("ogg: truncated segment table")
		}
		lacing := ogg[off+27 : off+27+nseg]
		body := off + 27 + nseg
		for _, l := range lacing {
			if body+int(l) > len(ogg) {
				return nil, errors.New("ogg: truncated page")
			}
			partial = append(partial, ogg[body:body+int(l)]...)
			body += int(l)
			if l < 255 {
				packets = append(packets, partial)
				partial = nil
			}
		}
		off = body
	}
	if len(packets) < 2 || string(packets[0][:min(8, len(packets[0]))]) != "OpusHead" {
		return nil, errors.New("ogg: not an Opus stream")
	}
	return packets[2:], nil
}

// opusFrameDuration reads a packet's duration from its TOC byte (RFC 6716
// section 3.1), defaulting to 20 ms.
func opusFrameDuration(pkt []byte) time.Duration {
	if len(pkt) == 0 {
		return 20 * time.Millisecond
	}
	config := pkt[0] >> 3
	var frame time.Duration
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = []time.Duration{10, 20, 40, 60}[config%4] * time.Millisecond
	case config < 16: // hybrid: 10, 20 ms
		frame = []time.Duration{10, 20}[config%2] * time.Millisecond
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []time.Duration{2500 * time.Microsecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}[config%4]
	}
	switch pkt[0] & 3 {
	case 1, 2:
		frame *= 2
	case 3:
		if len(pkt) > 1 {
			frame *= time.Duration(pkt[1] & 0x3f)
		}
	}
	return frame
}

// PlayOpus sends Opus packets into a track in real time, as RTP, until they
// run out or ctx ends.
func PlayOpus(ctx context.Context, track TrackWriter, packets [][]byte) error {
	ssrc := binary.BigEndian.Uint32([]byte{0x6c, 0x6d, 0x67, 0x72})
	var seq uint16
	var ts uint32
	next := time.Now()
	for _, p := range packets {
		d := opusFrameDuration(p)
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: seq, Timestamp: ts, SSRC: ssrc, Marker: seq == 0}, Payload: p}
		if err := track.WriteRTP(pkt); err != nil {
			return err
		}
		seq++
		ts += uint32(d.Seconds() * 48000)
		next = next.Add(d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Until(next)):
		}
	}
	return nil
}
