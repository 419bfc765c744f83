package media

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// headerReuseFactory gives every peer connection a headerReuse.
type headerReuseFactory struct{}

func (headerReuseFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &headerReuse{}, nil
}

// headerReuse is the innermost reader of every upstream stream. pion's
// interceptors (NACK generator, receiver reports, congestion feedback)
// each look at a packet's header through its Attributes; given none, the
// first of them makes a map and parses a new header for every packet.
// headerReuse parses the header once into one header per stream and hands
// it up in one map per stream, so reading a packet allocates nothing.
// pion's interceptors copy what they keep out of the header; none keeps
// the header itself.
type headerReuse struct{ interceptor.NoOp }

// rtpHeaderKey is the key under which pion's Attributes cache a parsed
// header (unexported in pion; found once by asking it to cache one).
var rtpHeaderKey = func() any {
	a := interceptor.Attributes{}
	raw, _ := (&rtp.Header{Version: 2}).Marshal()
	if _, err := a.GetRTPHeader(raw); err != nil {
		panic("media: pion's attributes do not cache headers: " + err.Error())
	}
	for k := range a {
		return k
	}
	panic("media: pion's attributes do not cache headers")
}()

func (*headerReuse) BindRemoteStream(_ *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	attrs := interceptor.Attributes{}
	var header rtp.Header
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, got, err := reader.Read(b, a)
		if err != nil || got != nil {
			return n, got, err
		}
		clear(attrs)
		if _, perr := header.Unmarshal(b[:n]); perr == nil {
			attrs[rtpHeaderKey] = &header
		}
		return n, attrs, nil
	})
}
