package mall_test

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Keep test output to failures and counts: start-up logs are noise here.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
