package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"esp/lifecycle"
	"esp/web"
	"esp/web/admin"
	"esp/web/api"
	"esp/web/metrics"
)

// startInproc wires the server as `esp serve` does (store, lifecycle,
// web, scheduler ticking every 100ms) but inside this process, so that
// -cpuprofile sees the server's code.
func startInproc(ctx context.Context, db *database, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(logf, nil))
	st, err := db.open(ctx)
	if err != nil {
		logf.Close()
		return nil, err
	}
	accounts := lifecycle.NewAccounts(st, time.Now)
	svc := lifecycle.NewService(st, time.Now, lifecycle.Config{})
	pages, err := admin.New(admin.Config{DataDir: db.data /* "" on PostgreSQL, as esp serve */}, log, st, svc, accounts, time.Now)
	if err != nil {
		st.Close()
		logf.Close()
		return nil, err
	}
	// The metrics are counted as esp serve counts them, and never scraped.
	m := metrics.New(prometheus.NewRegistry(), st)
	h := web.New(log, pages, api.New(api.Config{TokenTTL: time.Hour}, log, st, time.Now, m), web.Options{Observer: m, Database: st})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		logf.Close()
		return nil, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	schedCtx, stopSched := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	sch := lifecycle.NewScheduler(st, lifecycle.LocalActivator{}, lifecycle.Config{}, log, time.Now)
	sch.Observer = m
	wg.Go(func() { sch.Run(schedCtx, 100*time.Millisecond) })
	wg.Go(func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "err", err)
		}
	})
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		stopSched()
		wg.Wait()
		st.Close()
		logf.Close()
		return err
	}
	return &server{base: "http://" + ln.Addr().String(), pid: os.Getpid(), stopInproc: stop}, nil
}
