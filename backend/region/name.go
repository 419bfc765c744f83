// Package region holds what every part agrees on about regions (a region
// is one PostgreSQL, one NATS cluster and its livemall nodes): the rule
// for a region's name, which goes into NATS subjects, stream names and
// database rows.
package region

// ValidName reports whether name can name a region: 1 to 32 lowercase
// ASCII letters, digits or '-'. Region names go into NATS subjects and
// database rows, so nothing else is allowed.
func ValidName(name string) bool {
	if name == "" || len(name) > 32 {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}
