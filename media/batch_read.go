package media

import (
	"encoding/binary"
	"net/netip"
)

// The kernel's socket address families (AF_INET, AF_INET6 on Linux) and
// the lengths of their addresses (sockaddr_in, sockaddr_in6).
const (
	familyInet4      = 2
	familyInet6      = 10
	sizeSockaddrIn4  = 16
	sizeSockaddrIn6  = 28
	sizeSockaddrName = sizeSockaddrIn6
)

// addrPortOfSockaddr reads the sender's address of a received datagram
// from the kernel's socket address (the first namelen bytes of name):
// family in host order, port in network order, then the IPv4 address, or
// the flow label and IPv6 address. An IPv4-mapped IPv6 address comes back
// as IPv4. It reports false for another family, a length short of the
// family's address, or port 0 (no UDP sender sends from port 0).
func addrPortOfSockaddr(name []byte) (netip.AddrPort, bool) {
	if len(name) < 2 {
		return netip.AddrPort{}, false
	}
	var ap netip.AddrPort
	switch binary.NativeEndian.Uint16(name) {
	case familyInet4:
		if len(name) < sizeSockaddrIn4 {
			return netip.AddrPort{}, false
		}
		ap = netip.AddrPortFrom(netip.AddrFrom4([4]byte(name[4:8])), binary.BigEndian.Uint16(name[2:4]))
	case familyInet6:
		if len(name) < sizeSockaddrIn6 {
			return netip.AddrPort{}, false
		}
		ap = netip.AddrPortFrom(netip.AddrFrom16([16]byte(name[8:24])).Unmap(), binary.BigEndian.Uint16(name[2:4]))
	default:
		return netip.AddrPort{}, false
	}
	if ap.Port() == 0 {
		return netip.AddrPort{}, false
	}
	return ap, true
}
