package app

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPI is the description of the HTTP API. TestOpenAPICoversRoutes fails
// when a registered route is missing from it.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(c *fiber.Ctx) error {
	c.Type("json")
	return c.Send(openAPI)
}
