package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"esp/web/metrics"
)

// WriteTimeout is the longest an answer may take to write. Streamed
// answers (the export, the history CSV) move their own deadline as their
// client reads, and may take longer.
const WriteTimeout = time.Minute

// Run serves the server on ln (HTTPS when Config.TLS is set) and, when
// metricsLn is not nil, the metrics at /metrics on it, and runs the
// scheduler, until ctx ends or a listener fails. Then it stops them in
// reverse order: the servers, letting requests in flight finish within
// Config.ShutdownTimeout, then the scheduler. The store stays open.
func (a *App) Run(ctx context.Context, ln, metricsLn net.Listener) error {
	errLog := slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)
	srv := &http.Server{
		Handler:           a.Server,
		TLSConfig:         a.cfg.TLS,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       a.cfg.ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errLog,
	}
	servers := []*http.Server{srv}
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.Scheduler.Run(schedCtx, a.cfg.Tick) })
	serveErr := make(chan error, 2)
	if a.cfg.TLS != nil {
		go func() { serveErr <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveErr <- srv.Serve(ln) }()
	}
	if metricsLn != nil {
		ms := &http.Server{Handler: metrics.Handler(a.Metrics, a.log), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute, ErrorLog: errLog}
		servers = append(servers, ms)
		go func() { serveErr <- ms.Serve(metricsLn) }()
	}
	stop := func() {
		stopSched()
		wg.Wait()
	}

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		for _, s := range servers {
			s.Close()
		}
		stop()
		return fmt.Errorf("serve: %w", err)
	}
	a.log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(shutCtx)
	for _, s := range servers[1:] {
		s.Shutdown(shutCtx)
	}
	stop()
	if shutErr != nil {
		return fmt.Errorf("serve: shutdown: %w", shutErr)
	}
	a.log.Info("stopped")
	return nil
}
