package main

import (
	"testing"
	"time"
)

// The session timeouts are one setting (lifecycle.Config), which the web
// admin ends sessions by and the scheduler's housekeeping deletes them
// by, so the housekeeping never deletes a live one.
func TestServeGivesTheHousekeepingTheSessionTimeouts(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		idle, max time.Duration
	}{
		{nil, 30 * time.Minute, 12 * time.Hour},
		{[]string{"--session-idle", "5m", "--session-max", "1h"}, 5 * time.Minute, time.Hour},
	} {
		cfg, err := parseServe(env{getenv: func(string) string { return "" }}, tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if got := cfg.app.Lifecycle; got.SessionIdle != tc.idle || got.SessionMax != tc.max {
			t.Errorf("%v: sessions end after %s idle, %s in all; want %s, %s", tc.args, got.SessionIdle, got.SessionMax, tc.idle, tc.max)
		}
	}
}
