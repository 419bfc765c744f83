package web

import "testing"

// TestBuiltFilesContentType checks the types the installable apps need:
// browsers ignore a manifest or refuse a service worker served as
// something else.
func TestBuiltFilesContentType(t *testing.T) {
	for name, want := range map[string]string{
		"phone/manifest.webmanifest": "application/manifest+json",
		"desk/sw.js":                 "text/javascript; charset=utf-8",
		"assets/phone-abc.js":        "text/javascript; charset=utf-8",
		"phone/icon-192.png":         "image/png",
		"assets/phone-abc.css":       "text/css",
		"phone/unknown.zzz":          "application/octet-stream",
	} {
		if got := contentType(name); got != want {
			t.Errorf("contentType(%q) = %q, want %q", name, got, want)
		}
	}
}
