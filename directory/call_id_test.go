package directory

import "testing"

// TestCallIDsAreOneRoomsSubjectOnly: a callId a device sends becomes part
// of a NATS subject, so only the shape the server issues is taken; a space,
// a dot or a wildcard would name another subject, or many.
func TestCallIDsAreOneRoomsSubjectOnly(t *testing.T) {
	for i := 0; i < 20; i++ {
		if id := newCallID(); !isCallID(id) {
			t.Fatalf("issued id %q refused", id)
		}
	}
	bad := []string{"", " ", "call_", "call_1", "call_0123", "call_*", "call_>", "*", ">",
		"call_0123456789abcdef0123456.", "call_0123456789abcdef01234567.x", "call_0123456789ABCDEF01234567",
		"call_0123456789abcdef0123456 ", "msg_0123456789abcdef01234567", "call_0123456789abcdef012345678"}
	for _, id := range bad {
		if isCallID(id) {
			t.Errorf("%q taken as a call id", id)
		}
	}
}
