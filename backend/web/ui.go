package web

import (
	"embed"
	"io/fs"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// dist holds the built web apps (dist/app, written by `npm run build`).
// Without a build only dist/.keep is there and a placeholder page is served.
//
//go:embed all:dist
var dist embed.FS

// placeholder is served in place of the apps when the UI was not built.
const placeholder = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>livemall: UI not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px}</style></head>
<body><h1>livemall is running, but its web UI is not built</h1>
<p>This binary was built without the web apps. Build them and the binary again with <code>make run</code>,
or by hand: <code>npm ci &amp;&amp; npm run build &amp;&amp; go build ./backend/cmd/livemall</code>.</p>
<p>The JSON API is up: see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p></body></html>`

// apps maps a path prefix to the index page of the app that serves it.
var apps = []struct{ prefix, index string }{
	{"/desk", "agentdesk/ui/index.html"},
	{"/phone", "directory/ui/index.html"},
	{"/", "mall/ui/index.html"},
}

// UIBuilt reports whether the binary embeds the built web apps.
func UIBuilt() bool {
	_, err := fs.Stat(dist, "dist/app/mall/ui/index.html")
	return err == nil
}

// ServeUI registers the web apps on app: hashed assets with long cache
// headers, and each app's index page (no caching) for its paths, so that
// client-side routes survive a reload. Call it after the API routes.
func ServeUI(app *fiber.App) {
	files, _ := fs.Sub(dist, "dist/app")
	built := UIBuilt()
	app.Get("/*", func(c *fiber.Ctx) error {
		p := c.Path()
		if strings.HasPrefix(p, "/api/") {
			return fiber.NewError(fiber.StatusNotFound, p)
		}
		if !built {
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Type("html")
			return c.SendString(placeholder)
		}
		name := strings.TrimPrefix(path.Clean(p), "/")
		if name != "" && !strings.HasSuffix(name, ".html") {
			if data, err := fs.ReadFile(files, name); err == nil {
				switch {
				case strings.HasPrefix(name, "assets/"):
					c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
				case path.Base(name) == "sw.js":
					// A service worker is checked for updates on each visit; a
					// cached copy would keep an old worker a day longer.
					c.Set(fiber.HeaderCacheControl, "no-cache")
				default:
					c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
				}
				c.Set(fiber.HeaderContentType, contentType(name))
				return c.Send(data)
			}
			if strings.HasPrefix(name, "assets/") {
				return fiber.NewError(fiber.StatusNotFound, p)
			}
		}
		for _, a := range apps {
			if a.prefix == "/" || p == a.prefix || strings.HasPrefix(p, a.prefix+"/") {
				data, err := fs.ReadFile(files, a.index)
				if err != nil {
					return fiber.NewError(fiber.StatusNotFound, p)
				}
				c.Set(fiber.HeaderCacheControl, "no-cache")
				c.Type("html")
				return c.Send(data)
			}
		}
		return fiber.NewError(fiber.StatusNotFound, p)
	})
}

// contentType is the Content-Type of a built file: web app manifests get
// theirs (Go's mime table does not know .webmanifest), everything else the
// usual one for its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".webmanifest":
		return "application/manifest+json"
	case ".js":
		return "text/javascript; charset=utf-8"
	}
	if t := utils.GetMIME(path.Ext(name)); t != "" {
		return t
	}
	return fiber.MIMEOctetStream
}
