package media

import (
	"os"
	"testing"
	"time"
)

func TestOpusPacketsOfTheDefaultGreeting(t *testing.T) {
	data, err := os.ReadFile("../directory/greetings/default.ogg")
	if err != nil {
		t.Fatal(err)
	}
	pkts, err := OpusPackets(data)
	if err != nil {
		t.Fatal(err)
	}
	var total time.Duration
	for _, p := range pkts {
		total += opusFrameDuration(p)
	}
	if total < 4*time.Second || total > 12*time.Second {
		t.Fatalf("greeting lasts %v over %d packets", total, len(pkts))
	}
	for _, bad := range [][]byte{nil, []byte("OggS"), []byte("RIFF0000"), data[:40]} {
		if _, err := OpusPackets(bad); err == nil {
			t.Fatalf("OpusPackets(%q…) accepted a broken file", bad[:min(len(bad), 8)])
		}
	}
}

func FuzzOpusPackets(f *testing.F) {
	f.Add([]byte("OggS\x00\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts, err := OpusPackets(data)
		if err == nil {
			for _, p := range pkts {
				opusFrameDuration(p)
			}
		}
	})
}
