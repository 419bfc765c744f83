package media

import (
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
)

// historySize is how many of a sender's latest video packets the node
// keeps to answer retransmission requests (NACK) of its receivers: about
// two seconds of 720p video.
const historySize = 512

// history is a sender's latest upstream video packets, kept where they
// were read: the upstream reader reads each packet straight into the next
// slot, so keeping a packet for retransmission costs no copy and no
// allocation, and every receiver's request is answered from the one copy.
// (pion's NACK responder copied every packet for every downstream track.)
type history struct {
	slots [historySize]historySlot
	// next is the slot the reader fills next; only the reader touches it.
	next uint32
	// bySeq maps a sequence number (mod historySize) to the slot that
	// holds it, plus one (0: none). A stale entry points at a slot whose
	// sequence number no longer matches.
	bySeq [historySize]atomic.Uint32
}

// historySlot is one packet. The reader holds mu while it fills the slot;
// a resend holds it for reading while it writes the packet out, and skips
// a slot being filled: by then the packet it held is the oldest one, too
// old to be worth sending.
type historySlot struct {
	mu  sync.RWMutex
	buf [maxDatagram]byte
	n   int
	seq uint16
	ok  bool
}

// fill takes the next slot for writing: read into the returned buffer,
// then call done with the packet's length and sequence number, ok false
// when the read or the parse failed. Only one goroutine may fill.
func (h *history) fill() (buf []byte, slot uint32) {
	slot = h.next % historySize
	h.next++
	s := &h.slots[slot]
	s.mu.Lock()
	s.ok = false
	return s.buf[:], slot
}

// done ends the filling of slot.
func (h *history) done(slot uint32, n int, seq uint16, ok bool) {
	s := &h.slots[slot]
	s.n, s.seq, s.ok = n, seq, ok
	s.mu.Unlock()
	if ok {
		h.bySeq[uint32(seq)%historySize].Store(slot + 1)
	}
}

// resend parses the packet with sequence number seq into pkt and calls
// send with it while the packet's bytes are held, if the history still
// has it. It reports whether it did.
func (h *history) resend(seq uint16, pkt *rtp.Packet, send func(*rtp.Packet)) bool {
	at := h.bySeq[uint32(seq)%historySize].Load()
	if at == 0 {
		return false
	}
	s := &h.slots[at-1]
	if !s.mu.TryRLock() {
		return false
	}
	defer s.mu.RUnlock()
	if !s.ok || s.seq != seq || pkt.Unmarshal(s.buf[:s.n]) != nil {
		return false
	}
	send(pkt)
	return true
}
