// Package migrations holds livemall's versioned SQL migrations, one folder per
// SQL dialect, embedded in the binary. Both folders carry the same versions;
// where the dialects differ, the difference lives here and nowhere else.
package migrations

import "embed"

// FS holds sqlite/*.sql and postgres/*.sql in goose's annotated format.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
