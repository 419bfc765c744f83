package media

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/livemall/livemall/backend/auth"
)

// sendQueue is how many messages may wait for a slow connection before it
// is dropped: a browser that cannot keep up must not hold the node back.
// The queue holds memory only while messages wait (an idle connection
// keeps none).
const sendQueue = 256

// Conn is one device's signaling connection as the slices see it.
type Conn struct {
	// ID is unique per connection, across nodes.
	ID string
	// AccountID is the signed-in account that opened the connection.
	AccountID string
	// DeviceID is the browser's device id ("" when it sent none).
	DeviceID string
	// Guest is the mall guest's hash when nobody is signed in (AccountID is
	// then ""): guests may only call a store.
	Guest string
	// Role is the account's role when the connection opened ("" for a
	// guest), and StoreID the store of a staff member's account (0 for
	// none): what the open hooks need without reading the account again.
	Role    auth.Role
	StoreID int64

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	values map[string]any

	// queued holds what waits for the writer. The writer is a goroutine
	// that runs only while messages wait (writing says it runs): an idle
	// connection has none. out writes one message to the socket; it is
	// nil until the socket is served (tests queue without a socket).
	qmu     sync.Mutex
	queued  []Message
	writing bool
	out     func(Message) error
}

func newConn(id, accountID, deviceID string) *Conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &Conn{ID: id, AccountID: accountID, DeviceID: deviceID, ctx: ctx, cancel: cancel, values: map[string]any{}}
}

// Context is canceled when the connection closes.
func (c *Conn) Context() context.Context { return c.ctx }

// Send queues a message for the device. It never blocks: when the queue is
// full the connection is closed and Send reports false.
func (c *Conn) Send(m Message) bool {
	m.V = ProtocolVersion
	select {
	case <-c.ctx.Done():
		return false
	default:
	}
	c.qmu.Lock()
	if len(c.queued) >= sendQueue {
		c.qmu.Unlock()
		c.cancel()
		return false
	}
	c.queued = append(c.queued, m)
	start := !c.writing && c.out != nil
	if start {
		c.writing = true
	}
	c.qmu.Unlock()
	if start {
		go c.drain()
	}
	return true
}

// drain writes what waits, in order, until nothing does, and then ends.
// A write that fails closes the connection (the queue is left to the
// garbage collector with it).
func (c *Conn) drain() {
	for {
		c.qmu.Lock()
		batch := c.queued
		c.queued = nil
		if len(batch) == 0 || c.ctx.Err() != nil {
			c.writing = false
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		for _, m := range batch {
			if err := c.out(m); err != nil {
				c.cancel()
				return
			}
		}
	}
}

// startWriting sends first, then whatever was queued while the
// connection had no writer, through out: the hello goes first even when
// a message for the device arrived from the bus while the connection was
// being opened.
func (c *Conn) startWriting(first Message, out func(Message) error) {
	first.V = ProtocolVersion
	c.qmu.Lock()
	c.queued = append([]Message{first}, c.queued...)
	c.out = out
	start := !c.writing
	c.writing = true
	c.qmu.Unlock()
	if start {
		go c.drain()
	}
}

// takeQueued returns what waits for the writer, in order, and empties
// the queue.
func (c *Conn) takeQueued() []Message {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	out := c.queued
	c.queued = nil
	return out
}

// SendData queues a message of the given type with data encoded as JSON.
func (c *Conn) SendData(typ string, data any) bool {
	raw, err := json.Marshal(data)
	if err != nil {
		return false
	}
	return c.Send(Message{Type: typ, Data: raw})
}

// Set stores a value on the connection for the slices' handlers.
func (c *Conn) Set(key string, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values[key] = v
}

// Get returns a value stored with Set, or nil.
func (c *Conn) Get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[key]
}
