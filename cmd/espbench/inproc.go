package main

import (
	"context"
	"log/slog"
	"net"
	"os"
	"time"

	"esp/cmd/app"
)

// startInproc builds the server as `esp serve` does (cmd/app), with the
// scheduler ticking every 100ms, but inside this process, so that
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
	cfg := app.Config{Tick: 100 * time.Millisecond, ShutdownTimeout: 15 * time.Second}
	cfg.Admin.DataDir = db.data // "" on PostgreSQL, as esp serve
	cfg.SharedState = st.Postgres()
	a, err := app.New(st, cfg, log, time.Now)
	if err == nil {
		var ln net.Listener
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err == nil {
			return runInproc(a, ln, logf), nil
		}
	}
	st.Close()
	logf.Close()
	return nil, err
}

// runInproc runs a on ln until the server's stop, which closes the store
// and the log after it.
func runInproc(a *app.App, ln net.Listener, logf *os.File) *server {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, ln, nil) }()
	stop := func() error {
		cancel()
		err := <-done
		a.Store.Close()
		logf.Close()
		return err
	}
	return &server{base: "http://" + ln.Addr().String(), pid: os.Getpid(), stopInproc: stop}
}
