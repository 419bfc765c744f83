package directory

import _ "embed"

// defaultGreeting is what callers hear before leaving a message when the
// callee recorded no greeting of their own (spoken text, then a tone).
//
//go:embed greetings/default.ogg
var defaultGreeting []byte
