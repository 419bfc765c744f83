// Package web holds what every slice's HTTP handlers share: the Fiber app
// with its middleware, the JSON error vocabulary on the wire, strict JSON
// body decoding, CSRF and Origin checks, and the embedded web apps.
package web

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/livemall/livemall/backend/apperr"
)

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries an apperr code and a message for the user.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// fiberCodes maps the statuses Fiber itself produces to apperr codes.
var fiberCodes = map[int]string{
	fiber.StatusBadRequest:            apperr.Invalid,
	fiber.StatusNotFound:              apperr.NotFound,
	fiber.StatusMethodNotAllowed:      apperr.Invalid,
	fiber.StatusRequestEntityTooLarge: apperr.TooLarge,
	fiber.StatusTooManyRequests:       apperr.RateLimited,
	fiber.StatusUnauthorized:          apperr.Unauthorized,
	fiber.StatusForbidden:             apperr.Forbidden,
	fiber.StatusUnsupportedMediaType:  apperr.Invalid,
}

// ErrorHandler answers every error returned by a handler as JSON
// {"error":{"code","message"}} with the status of its code. Internal errors
// are logged with their detail and shown as "internal error".
func ErrorHandler(c *fiber.Ctx, err error) error {
	status, body := Describe(err)
	if d := apperr.RetryAfter(err); d > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int((d+time.Second-1)/time.Second)))
	}
	if status >= 500 && apperr.Code(err) == apperr.Internal {
		slog.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	return c.Status(status).JSON(body)
}

// Describe returns the status and JSON body an error is answered with.
func Describe(err error) (int, ErrorBody) {
	var fe *fiber.Error
	if errors.As(err, &fe) && apperr.Code(err) == apperr.Internal {
		code, ok := fiberCodes[fe.Code]
		if !ok {
			code = apperr.Internal
		}
		msg := fe.Message
		switch fe.Code {
		case fiber.StatusRequestEntityTooLarge:
			msg = "request body is too large"
		case fiber.StatusNotFound:
			msg = "no such resource: " + msg
		}
		if code == apperr.Internal {
			msg = "internal error"
		}
		return fe.Code, ErrorBody{ErrorDetail{Code: code, Message: msg}}
	}
	return apperr.Status(err), ErrorBody{ErrorDetail{Code: apperr.Code(err), Message: apperr.Message(err)}}
}
