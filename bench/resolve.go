package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the ceiling
	"github.com/valyala/fasthttp"
	_ "modernc.org/sqlite" // database/sql driver "sqlite" for the ceiling
)

// runResolve measures GET /api/v1/numbers/{n} (signed in, existing
// numbers) through the whole node, then the two ceilings: a bare Fiber
// handler returning a constant, and a bare Fiber handler running the
// number lookup with database/sql on the same database.
func runResolve(o options) (*report, error) {
	r := newReport("resolve")
	r.set("database", o.dialect(), "")
	r.set("workers", o.workers, "")
	r.set("window_s", o.duration.Seconds(), "s")
	args := o.nodeArgs()
	srv, err := startChild("node", args, o.workDir, o.pin)
	if err != nil {
		return nil, err
	}
	n := newNode(srv.Addr)
	members, err := n.signUpMany("resolve", min(20, 2*o.workers))
	if err != nil {
		srv.stop()
		return nil, err
	}
	numbers := make([]string, len(members))
	for i, m := range members {
		numbers[i] = m.number
	}
	cookie := "lm_session=" + members[0].session
	node := hammer(srv, cookie, numbers, o)
	n.http.CloseIdleConnections()
	srv.stop()
	if node.ok == 0 {
		return nil, fmt.Errorf("no resolve succeeded (%d errors): see %s", node.errors, srv.log)
	}

	cons, err := startChild("const", childArgs{}, o.workDir, o.pin)
	if err != nil {
		return nil, err
	}
	bare := hammer(cons, "", numbers, o)
	cons.stop()

	args.CPUProfile = "" // the profile is the node's
	sqlSrv, err := startChild("sql", args, o.workDir, o.pin)
	if err != nil {
		return nil, err
	}
	driver := hammer(sqlSrv, "", numbers, o)
	sqlSrv.stop()

	for _, x := range []struct {
		name string
		h    *hammered
	}{{"node", node}, {"bare_const", bare}, {"bare_driver", driver}} {
		r.set(x.name+"_req_per_s", x.h.rps(), "req/s")
		r.setLatency(x.name, &x.h.lat)
		r.set(x.name+"_server_cpu_us_per_req", micros(x.h.cpu, x.h.ok), "µs")
		if x.h.errors > 0 {
			r.set(x.name+"_errors", x.h.errors, "")
		}
	}
	rd, rc := ratio(node.rps(), driver.rps()), ratio(node.rps(), bare.rps())
	r.set("ratio_to_bare_driver", rd, "×")
	r.set("ratio_to_bare_const", rc, "×")
	r.target("resolve", rd >= 0.8, "node/bare-driver throughput %.2f× (target ≥ 0.8× on %s)", rd, o.dialect())
	return r, nil
}

// hammered is one phase's outcome.
type hammered struct {
	ok, errors int64
	elapsed    time.Duration
	cpu        time.Duration
	lat        latencies
}

func (h *hammered) rps() float64 { return float64(h.ok) / h.elapsed.Seconds() }

// hammer runs o.workers clients resolving random numbers against srv for
// a short warm-up, then for o.duration, measuring the second part.
func hammer(srv *child, cookie string, numbers []string, o options) *hammered {
	_, port, _ := strings.Cut(srv.Addr, ":")
	hc := &fasthttp.HostClient{Addr: srv.Addr, MaxConns: o.workers * 2, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	h := &hammered{}
	var (
		measure  atomic.Bool
		stop     atomic.Bool
		ok, errs atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < o.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, res := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(res)
			for !stop.Load() {
				req.Reset()
				req.SetRequestURI("http://localhost:" + port + "/api/v1/numbers/" + numbers[rand.IntN(len(numbers))])
				if cookie != "" {
					req.Header.Set("Cookie", cookie)
				}
				t0 := time.Now()
				err := hc.Do(req, res)
				d := time.Since(t0)
				if !measure.Load() {
					continue
				}
				if err != nil || res.StatusCode() != 200 {
					errs.Add(1)
					continue
				}
				ok.Add(1)
				h.lat.add(d)
			}
		}()
	}
	time.Sleep(min(time.Second, o.duration/4))
	cpu0, t0 := srv.cpu(), time.Now()
	measure.Store(true)
	time.Sleep(o.duration)
	measure.Store(false)
	h.elapsed, h.cpu = time.Since(t0), srv.cpu()-cpu0
	stop.Store(true)
	wg.Wait()
	hc.CloseIdleConnections()
	h.ok, h.errors = ok.Load(), errs.Load()
	return h
}

// serveConstCeiling serves the resolve route from a bare Fiber app that
// answers a constant.
func serveConstCeiling() (string, func(), error) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	body := []byte(`{"number":"200000000001","display":"2000 0000 0001","party":{"type":"member","name":"Bench"},"state":"offline","ring":[]}`)
	app.Get("/api/v1/numbers/:number", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	return listenFiber(app, nil)
}

// numberRow is the row the lookup ceiling reads.
type numberRow struct {
	Number    string  `json:"number"`
	PartyType string  `json:"partyType"`
	AccountID *string `json:"accountId"`
	StoreID   *int64  `json:"storeId"`
	Kind      string  `json:"kind"`
	IsPrimary bool    `json:"isPrimary"`
}

// serveSQLCeiling serves the resolve route from a bare Fiber app that runs
// the number lookup with database/sql on the node's database, with the
// node's pool size.
func serveSQLCeiling(args childArgs) (string, func(), error) {
	var (
		db  *sql.DB
		err error
	)
	q := "SELECT number, party_type, account_id, store_id, kind, is_primary FROM numbers WHERE number = ?"
	if args.DatabaseURL != "" {
		db, err = sql.Open("pgx", args.DatabaseURL)
		q = strings.Replace(q, "?", "$1", 1)
		db.SetMaxOpenConns(32)
	} else {
		dsn := "file:" + filepath.Join(args.DataDir, "livemall.db") + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite"
		db, err = sql.Open("sqlite", dsn)
		db.SetMaxOpenConns(8)
	}
	if err != nil {
		return "", nil, err
	}
	stmt, err := db.Prepare(q)
	if err != nil {
		db.Close()
		return "", nil, fmt.Errorf("prepare lookup: %w", err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/v1/numbers/:number", func(c *fiber.Ctx) error {
		var row numberRow
		err := stmt.QueryRowContext(c.UserContext(), c.Params("number")).Scan(&row.Number, &row.PartyType, &row.AccountID, &row.StoreID, &row.Kind, &row.IsPrimary)
		if err == sql.ErrNoRows {
			return c.SendStatus(404)
		}
		if err != nil {
			return err
		}
		return c.JSON(row)
	})
	return listenFiber(app, func() { stmt.Close(); db.Close() })
}

// listenFiber serves app on a loopback port.
func listenFiber(app *fiber.App, closeFn func()) (string, func(), error) {
	ln, err := listenLoopback()
	if err != nil {
		return "", nil, err
	}
	go app.Listener(ln)
	return ln.Addr().String(), func() {
		app.ShutdownWithTimeout(2 * time.Second)
		if closeFn != nil {
			closeFn()
		}
	}, nil
}
