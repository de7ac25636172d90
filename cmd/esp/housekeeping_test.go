package main

import "testing"

// The scheduler's housekeeping deletes web sessions by the same timeouts
// the web admin ends them by, so it never deletes a live one.
func TestServeGivesTheHousekeepingTheSessionTimeouts(t *testing.T) {
	for _, args := range [][]string{nil, {"--session-idle", "5m", "--session-max", "1h"}} {
		cfg, err := parseServe(env{getenv: func(string) string { return "" }}, args)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.lc.SessionIdle != cfg.admin.SessionIdle || cfg.lc.SessionMax != cfg.admin.SessionMax || cfg.lc.SessionIdle == 0 {
			t.Errorf("%v: housekeeping %s/%s, web admin %s/%s; want the same, set", args,
				cfg.lc.SessionIdle, cfg.lc.SessionMax, cfg.admin.SessionIdle, cfg.admin.SessionMax)
		}
	}
}
