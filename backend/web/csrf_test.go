package web

import (
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestSameOrigin(t *testing.T) {
	const public = "https://mall.example.com"
	tests := []struct {
		name           string
		origin, site   string
		host, protocol string
		want           bool
	}{
		{"public origin", "https://mall.example.com", "", "internal:8080", "http", true},
		{"request's own host", "http://localhost:8080", "", "localhost:8080", "http", true},
		{"other host", "https://evil.example", "", "mall.example.com", "https", false},
		{"other scheme", "https://localhost:8080", "", "localhost:8080", "http", false},
		{"other port", "https://mall.example.com:444", "", "mall.example.com", "https", false},
		{"null", "null", "", "mall.example.com", "https", false},
		{"garbage", "::::", "", "mall.example.com", "https", false},
		{"no origin, same-origin fetch", "", "same-origin", "mall.example.com", "https", true},
		{"no origin, cross-site fetch", "", "cross-site", "mall.example.com", "https", false},
		{"no origin, same-site fetch", "", "same-site", "mall.example.com", "https", false},
		{"no headers (non-browser client)", "", "", "mall.example.com", "https", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := fiber.New()
			var got bool
			app.Post("/", func(c *fiber.Ctx) error { got = SameOrigin(c, public); return nil })
			req := httptest.NewRequest("POST", tt.protocol+"://"+tt.host+"/", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				req.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if _, err := app.Test(req, -1); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("SameOrigin = %v, want %v", got, tt.want)
			}
		})
	}
}
