package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

// Counting a failed authentication and deciding its answer are one step:
// 60 failures from one address at once get the 20 answers of 401 that 60
// in a row would get, and 40 answers of 429, on each route that counts
// failures.
func TestSimultaneousAPIFailuresGetNoMoreAnswersThanSequentialOnes(t *testing.T) {
	wrongKeys := func() (string, string) { return "ESPAK" + strings.Repeat("A", 24), lifecycle.NewSecretKey() }
	for _, tc := range []struct {
		name    string
		request func() *http.Request
		failed  int
	}{
		{"access-key token route", func() *http.Request { return webtest.KeyRequest(wrongKeys()) }, http.StatusUnauthorized},
		{"OAuth token route", func() *http.Request { a, s := wrongKeys(); return webtest.OAuthRequest(a, s, true) }, http.StatusUnauthorized},
		{"bearer token", func() *http.Request { return webtest.NewGet("/api/v1/plans", "esptk_"+strings.Repeat("A", 43)) }, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := webtest.NewEnv(t)
			const n = 60
			reqs := make([]*http.Request, n)
			for i := range reqs {
				reqs[i] = tc.request()
				reqs[i].RemoteAddr = "192.0.2.77:1234"
			}
			codes := make(chan int, n)
			start := make(chan struct{})
			for _, req := range reqs {
				go func() {
					<-start
					codes <- env.Do(req).Code
				}()
			}
			close(start)
			count := map[int]int{}
			for range n {
				count[<-codes]++
			}
			if count[tc.failed] != 20 || count[http.StatusTooManyRequests] != n-20 {
				t.Fatalf("answers %v to %d simultaneous failures, want %d×%d and %d×429", count, n, 20, tc.failed, n-20)
			}
		})
	}
}

// Failed authentications from IPv6 clients are counted per /64: 60 at once
// from 60 addresses of one /64 get the 20 answers of 401 that one address
// would get, and a client in another /64 still has its own allowance.
func TestAPIFailuresFromOneIPv6Slash64ShareOneAllowance(t *testing.T) {
	wrongKeys := func() (string, string) { return "ESPAK" + strings.Repeat("A", 24), lifecycle.NewSecretKey() }
	for name, request := range map[string]func() *http.Request{
		"access-key token route": func() *http.Request { return webtest.KeyRequest(wrongKeys()) },
		"OAuth token route":      func() *http.Request { a, s := wrongKeys(); return webtest.OAuthRequest(a, s, true) },
		"bearer token":           func() *http.Request { return webtest.NewGet("/api/v1/plans", "esptk_"+strings.Repeat("A", 43)) },
	} {
		t.Run(name, func(t *testing.T) {
			env := webtest.NewEnv(t)
			const n = 60
			codes := make(chan int, n)
			start := make(chan struct{})
			for i := range n {
				req := request()
				req.RemoteAddr = fmt.Sprintf("[2001:db8:7:7:%x::%x]:1234", i, i+1)
				go func() {
					<-start
					codes <- env.Do(req).Code
				}()
			}
			close(start)
			count := map[int]int{}
			for range n {
				count[<-codes]++
			}
			if count[http.StatusUnauthorized] != 20 || count[http.StatusTooManyRequests] != n-20 {
				t.Fatalf("answers %v to %d failures from one /64, want 20×401 and %d×429", count, n, n-20)
			}
			other := request()
			other.RemoteAddr = "[2001:db8:7:8::1]:1234"
			if code := env.Do(other).Code; code != http.StatusUnauthorized {
				t.Fatalf("a failure from another /64 was answered %d, want 401", code)
			}
		})
	}
}
