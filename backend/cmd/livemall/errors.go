package main

import (
	"context"

	"github.com/livemall/livemall/backend/app"
	"github.com/livemall/livemall/backend/apperr"
	"github.com/livemall/livemall/backend/config"
)

// errorText is the message of an apperr for the terminal, or the error
// itself for anything else.
func errorText(err error) string {
	if apperr.Code(err) != apperr.Internal {
		return apperr.Message(err)
	}
	return err.Error()
}

// withServices runs a command's work on the services of cfg, closing the
// database after. Links the work prints point where people reach the
// server (cfg.PublicURLForLinks), which it sets as cfg.PublicURL.
func withServices(ctx context.Context, cfg *config.Config, run func(svc *app.Services) error) error {
	cfg.PublicURL = cfg.PublicURLForLinks()
	svc, err := app.OpenServices(ctx, *cfg)
	if err != nil {
		return err
	}
	defer svc.DB.Close()
	return run(svc)
}
