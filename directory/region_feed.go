package directory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/livemall/livemall/backend/bus"
)

// regionFeed is one kind of news regions share on JetStream alone — the
// directory's entries (region_directory.go) and presence
// (region_presence.go) are two. Each region publishes its own news to a
// stream placed in its own cluster, one message per member
// (MaxMsgsPerSubject 1), and keeps a merged stream, also in its cluster,
// that sources the other regions' own streams: JetStream carries the news
// through the gateways and, after a partition, resumes sourcing where it
// stopped. Every node reads the merged stream from its start and sweeps
// now and then to publish what moved. The two differ only in their names,
// in what a message holds and in how a sweep finds what to publish.
type regionFeed struct {
	bus  *bus.Bus
	plan NumberPlan
	// what names the news in stream descriptions and logs.
	what string
	// ownStream, mergedStream and subject name region's streams and the
	// subject of an account's message.
	ownStream, mergedStream func(region string) string
	subject                 func(region, accountID string) string
	// receive handles a message of the merged stream.
	receive func(jetstream.Msg)
	// reopened is told when the streams were (re)opened: what NATS held
	// may be lost, so everything is to be published again.
	reopened func()
	// sweep publishes what moved.
	sweep func(ctx context.Context)
	every time.Duration

	mu       sync.Mutex
	consumer jetstream.ConsumeContext
	started  bool // start ran: close waits for the sweeps

	kick chan struct{}
	stop chan struct{}
	done chan struct{}
}

// newRegionFeed readies f, whose names and hooks are set, to be opened
// and started.
func newRegionFeed(f *regionFeed) *regionFeed {
	f.kick, f.stop, f.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	return f
}

// open creates (or updates) the region's own and merged streams, reads
// the merged one from its start, tells reopened and asks for a sweep. It
// runs at start and after a NATS fault.
func (f *regionFeed) open(ctx context.Context) error {
	own := f.plan.Region
	placement := &jetstream.Placement{Cluster: own}
	if _, err := f.bus.Stream(ctx, jetstream.StreamConfig{Name: f.ownStream(own), Description: f.what + " of region " + own + "'s members",
		Subjects: []string{f.subject(own, "*")}, MaxMsgsPerSubject: 1, Placement: placement}, bus.Durable); err != nil {
		return err
	}
	var sources []*jetstream.StreamSource
	for _, name := range f.plan.Regions() {
		if name != own {
			sources = append(sources, &jetstream.StreamSource{Name: f.ownStream(name)})
		}
	}
	merged := f.mergedStream(own)
	st, err := f.bus.Stream(ctx, jetstream.StreamConfig{Name: merged, Description: f.what + " of every region's members but " + own + "'s",
		Sources: sources, MaxMsgsPerSubject: 1, Placement: placement}, bus.Durable)
	if err != nil {
		return err
	}
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return fmt.Errorf("read stream %s: %w", merged, err)
	}
	cc, err := cons.Consume(f.receive)
	if err != nil {
		return fmt.Errorf("read stream %s: %w", merged, err)
	}
	f.mu.Lock()
	if f.consumer != nil {
		f.consumer.Stop()
	}
	f.consumer = cc
	f.mu.Unlock()
	f.reopened()
	f.kickSweep()
	return nil
}

// start begins the sweeps and re-opens the streams after a NATS fault.
func (f *regionFeed) start() {
	f.mu.Lock()
	f.started = true
	f.mu.Unlock()
	go f.sweepLoop()
	f.bus.OnRecover("region "+f.what, f.open)
}

// close stops the sweeps and the reading.
func (f *regionFeed) close() {
	close(f.stop)
	f.mu.Lock()
	started := f.started
	f.mu.Unlock()
	if started {
		<-f.done
	}
	f.mu.Lock()
	if f.consumer != nil {
		f.consumer.Stop()
	}
	f.mu.Unlock()
}

// kickSweep asks for a sweep now.
func (f *regionFeed) kickSweep() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// sweepLoop sweeps at every interval, and at once when asked.
func (f *regionFeed) sweepLoop() {
	defer close(f.done)
	t := time.NewTicker(f.every)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		case <-f.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		f.sweep(ctx)
		cancel()
	}
}
