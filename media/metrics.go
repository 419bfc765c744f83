package media

import (
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/prometheus/client_golang/prometheus"
)

// Collectors groups the metrics a part of a slice exports, so the wiring
// registers each part with one call. Scrapes read counters the hot paths
// keep with atomics: exporting costs the media nothing.
type Collectors []prometheus.Collector

// Describe sends the descriptions of every collector.
func (cs Collectors) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range cs {
		c.Describe(ch)
	}
}

// Collect sends the metrics of every collector.
func (cs Collectors) Collect(ch chan<- prometheus.Metric) {
	for _, c := range cs {
		c.Collect(ch)
	}
}

// sfuStats are the SFU's media counters, kept by the stats interceptor on
// every peer connection of the node: one atomic add per packet, no locks,
// no allocations.
type sfuStats struct {
	packetsIn     atomic.Uint64 // RTP packets received from devices
	packetsOut    atomic.Uint64 // RTP packets sent to devices
	lost          atomic.Uint64 // gaps in the sequence numbers of received streams
	nacksReceived atomic.Uint64 // packets devices asked to be sent again
	nacksSent     atomic.Uint64 // packets the node asked devices to send again
}

// Collector exports the SFU's rooms and media counters:
// livemall_sfu_rooms, livemall_sfu_packets_in_total,
// livemall_sfu_packets_out_total, livemall_sfu_packets_lost_total,
// livemall_sfu_nacks_received_total and livemall_sfu_nacks_sent_total.
func (s *SFU) Collector() prometheus.Collector {
	counter := func(name, help string, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	return Collectors{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livemall_sfu_rooms", Help: "Rooms (calls) open on this node's SFU."},
			func() float64 { return float64(s.RoomCount()) }),
		counter("livemall_sfu_packets_in_total", "RTP packets devices sent to the SFU.", &s.stats.packetsIn),
		counter("livemall_sfu_packets_out_total", "RTP packets the SFU sent to devices.", &s.stats.packetsOut),
		counter("livemall_sfu_packets_lost_total", "RTP packets missing from the streams devices sent (sequence gaps on arrival).", &s.stats.lost),
		counter("livemall_sfu_nacks_received_total", "Packets devices asked the SFU to send again (RTCP NACK).", &s.stats.nacksReceived),
		counter("livemall_sfu_nacks_sent_total", "Packets the SFU asked devices to send again (RTCP NACK).", &s.stats.nacksSent),
	}
}

// statsInterceptorFactory gives every peer connection an interceptor that
// counts into one sfuStats.
type statsInterceptorFactory struct{ stats *sfuStats }

func (f statsInterceptorFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &statsInterceptor{stats: f.stats}, nil
}

// statsInterceptor counts RTP in and out, sequence gaps and NACKs.
type statsInterceptor struct {
	interceptor.NoOp
	stats *sfuStats
}

// maxCountedGap bounds the gap counted as loss: a larger jump is a stream
// that restarted (or a forged packet), not thousands of lost ones.
const maxCountedGap = 1000

func (i *statsInterceptor) BindRemoteStream(_ *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	// last holds the highest sequence number seen plus 1<<16 once one
	// arrived; atomic because pion may read one stream from more than one
	// goroutine over its life.
	var last atomic.Uint32
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil || n < 4 {
			return n, attr, err
		}
		i.stats.packetsIn.Add(1)
		seq := uint16(b[2])<<8 | uint16(b[3])
		prev := last.Load()
		if prev == 0 {
			last.Store(1<<16 | uint32(seq))
			return n, attr, err
		}
		if diff := seq - uint16(prev); diff != 0 && diff < 0x8000 { // newer (mod 2^16)
			if diff > 1 && diff <= maxCountedGap {
				i.stats.lost.Add(uint64(diff - 1))
			}
			last.Store(1<<16 | uint32(seq))
		}
		return n, attr, err
	})
}

func (i *statsInterceptor) BindLocalStream(_ *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		n, err := writer.Write(h, payload, a)
		if err == nil {
			i.stats.packetsOut.Add(1)
		}
		return n, err
	})
}

func (i *statsInterceptor) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, attr, err := reader.Read(b, a)
		if err != nil {
			return n, attr, err
		}
		if attr == nil {
			attr = interceptor.Attributes{}
		}
		// Parsed once per batch and cached for pion's own readers.
		if pkts, perr := attr.GetRTCPPackets(b[:n]); perr == nil {
			i.stats.nacksReceived.Add(nackCount(pkts))
		}
		return n, attr, err
	})
}

func (i *statsInterceptor) BindRTCPWriter(writer interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		n, err := writer.Write(pkts, a)
		if err == nil {
			i.stats.nacksSent.Add(nackCount(pkts))
		}
		return n, err
	})
}

// nackCount is how many packets the NACKs among pkts ask for.
func nackCount(pkts []rtcp.Packet) uint64 {
	var n uint64
	for _, p := range pkts {
		if nack, ok := p.(*rtcp.TransportLayerNack); ok {
			for _, pair := range nack.Nacks {
				n += uint64(len(pair.PacketList()))
			}
		}
	}
	return n
}

// Collector exports the open signaling sockets of this node:
// livemall_signaling_sockets. It counts at scrape time, so opening and
// closing sockets pays nothing for it.
func (s *Signaling) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livemall_signaling_sockets", Help: "Signaling WebSockets open on this node."},
		func() float64 {
			n := 0
			s.conns.Range(func(_, _ any) bool { n++; return true })
			return float64(n)
		})
}

// Collector exports the TURN server's live relay allocations:
// livemall_turn_allocations.
func (t *TURNServer) Collector() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "livemall_turn_allocations", Help: "Relay allocations open on this node's TURN server."},
		func() float64 {
			t.mu.Lock()
			defer t.mu.Unlock()
			n := 0
			for _, c := range t.allocs {
				n += c
			}
			return float64(n)
		})
}
