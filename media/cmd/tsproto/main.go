// Command tsproto writes media/client/messages.gen.ts, the TypeScript twins
// of the signaling payloads listed in media/tsproto.Payloads:
//
//	go generate ./media/...        (or: go run ./media/cmd/tsproto)
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/livemall/livemall/media/tsproto"
)

func main() {
	out := flag.String("o", "", "file to write (default: media/client/messages.gen.ts of this module)")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "tsproto:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := tsproto.ModuleRoot(wd)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(root, "media", "client", "messages.gen.ts")
	}
	ts, err := tsproto.Generate(root)
	if err != nil {
		return err
	}
	return os.WriteFile(out, ts, 0o644)
}
