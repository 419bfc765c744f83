package auth

import (
	"regexp"
	"strings"
	"testing"
)

func TestDescribeUserAgent(t *testing.T) {
	tests := []struct{ name, ua, kind, label string }{
		{"firefox linux", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0", "computer", "Firefox on Linux"},
		{"chrome android phone", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36", "phone", "Chrome on Android"},
		{"chrome android tablet", "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "tablet", "Chrome on Android"},
		{"safari ipad", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "tablet", "Safari on iPadOS"},
		{"safari iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "phone", "Safari on iOS"},
		{"chrome on iphone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0 Mobile/15E148 Safari/604.1", "phone", "Chrome on iOS"},
		{"edge windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0", "computer", "Edge on Windows"},
		{"safari mac", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "computer", "Safari on macOS"},
		{"headless chromium", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36", "computer", "Chrome on Linux"},
		{"chromebook", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "computer", "Chrome on ChromeOS"},
		// Bad or odd input still gets an answer from the fixed vocabulary.
		{"empty", "", "computer", "Web browser"},
		{"curl", "curl/8.5.0", "computer", "Web browser"},
		{"markup", "<script>alert(1)</script>", "computer", "Web browser"},
		{"invalid utf-8", "\xff\xfe Firefox/1 \xc3", "computer", "Firefox"},
		{"control characters", "Firefox/1\r\nSet-Cookie: x=1", "computer", "Firefox"},
		{"clue past 512 bytes ignored", strings.Repeat("a", 600) + " Firefox/130.0 (Windows)", "computer", "Web browser"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, label := DescribeUserAgent(tt.ua)
			if kind != tt.kind || label != tt.label {
				t.Fatalf("got %q %q, want %q %q", kind, label, tt.kind, tt.label)
			}
		})
	}
}

// labelWords are the only words a device label is made of.
var labelWords = regexp.MustCompile(`^(Web browser|Edge|Opera|Samsung Internet|Firefox|Chrome|Safari)( on (Windows|iPadOS|iOS|Android|ChromeOS|macOS|Linux))?$`)

func FuzzDescribeUserAgent(f *testing.F) {
	for _, s := range []string{"", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) Safari/604.1", "Android Mobile Chrome/1", "\x00", strings.Repeat("Edg/", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		kind, label := DescribeUserAgent(ua)
		if kind != DevicePhone && kind != DeviceTablet && kind != DeviceComputer {
			t.Fatalf("kind %q for %q", kind, ua)
		}
		if !labelWords.MatchString(label) {
			t.Fatalf("label %q for %q is not from the vocabulary", label, ua)
		}
	})
}

func TestParseDeviceID(t *testing.T) {
	for _, bad := range []string{"../../etc", "short", "a b c d e f g h", strings.Repeat("a", 65), "dev\x00ice-id", "déviceéid"} {
		if _, err := ParseDeviceID(bad); err == nil {
			t.Errorf("ParseDeviceID(%q) accepted", bad)
		}
	}
	for _, ok := range []string{"", "0123456789abcdef0123456789abcdef", "family-tablet"} {
		if got, err := ParseDeviceID(ok); err != nil || got != ok {
			t.Errorf("ParseDeviceID(%q) = %q, %v", ok, got, err)
		}
	}
}
