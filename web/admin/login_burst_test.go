package admin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"esp/web/internal/webtest"
)

// burstWait bounds every wait of these tests, so that a broken server fails
// them instead of hanging them. Nothing is timed against it.
const burstWait = 10 * time.Second

// checkGate holds every password check until released, and reports each
// check and each login that had to queue for one.
type checkGate struct {
	queued  chan struct{}
	checked chan struct{}
	release chan struct{}
	running atomic.Int32 // checks running at this moment
	most    atomic.Int32 // the most ever running at once
	total   atomic.Int32
}

func newCheckGate(n int) *checkGate {
	return &checkGate{queued: make(chan struct{}, n), checked: make(chan struct{}, n), release: make(chan struct{})}
}

func (g *checkGate) onQueue() { g.queued <- struct{}{} }

func (g *checkGate) onCheck(context.Context) {
	n := g.running.Add(1)
	for m := g.most.Load(); n > m && !g.most.CompareAndSwap(m, n); m = g.most.Load() {
	}
	g.total.Add(1)
	g.checked <- struct{}{}
	<-g.release
	g.running.Add(-1)
}

// loginAnswer is one login's outcome.
type loginAnswer struct {
	client *webtest.Client
	code   int
	header http.Header
}

// startLogins makes one client per address (each holding the login form's
// cookie and token) and, once all are ready, posts every login at once.
// The answers arrive on the returned channel.
func startLogins(t *testing.T, env *webtest.Env, addrs []string, username, password string) <-chan loginAnswer {
	t.Helper()
	answers := make(chan loginAnswer, len(addrs))
	start := make(chan struct{})
	for _, addr := range addrs {
		c := webtest.NewClient(env)
		c.Addr = addr
		form := url.Values{"username": {username}, "password": {password}, "_csrf": {c.CSRF(t, "/login")}}
		go func() {
			<-start
			rec := c.Post("/login", form)
			answers <- loginAnswer{c, rec.Code, rec.Header()}
		}()
	}
	close(start)
	return answers
}

func repeatAddr(addr string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = addr
	}
	return out
}

// holdUntilAccounted waits until each of n logins is in a password check,
// queued for one, or answered 429, and returns how many were checked and
// the 429s. Any other answer before the checks are released fails.
func holdUntilAccounted(t *testing.T, g *checkGate, answers <-chan loginAnswer, n int) (checked int, refused []loginAnswer) {
	t.Helper()
	timeout := time.After(burstWait)
	for queued := 0; checked+queued+len(refused) < n; {
		select {
		case <-g.checked:
			checked++
		case <-g.queued:
			queued++
		case a := <-answers:
			if a.code != http.StatusTooManyRequests {
				t.Fatalf("a login was answered %d while the password checks were held", a.code)
			}
			refused = append(refused, a)
		case <-timeout:
			t.Fatalf("after %s: %d checked, %d refused of %d logins", burstWait, checked, len(refused), n)
		}
	}
	return checked, refused
}

func collect(t *testing.T, answers <-chan loginAnswer, n int) []loginAnswer {
	t.Helper()
	var out []loginAnswer
	timeout := time.After(burstWait)
	for len(out) < n {
		select {
		case a := <-answers:
			out = append(out, a)
		case <-timeout:
			t.Fatalf("%d of %d logins still unanswered after %s", n-len(out), n, burstWait)
		}
	}
	return out
}

func wantRetryAfter(t *testing.T, h http.Header) {
	t.Helper()
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds", h.Get("Retry-After"))
	}
}

// Every login takes its place in the limit before its password is
// checked: 60 wrong passwords from one address at once get the 10 checks
// that 60 in a row would get, and 50 answers of 429. The checks are held
// until every login is accounted for, so all 60 are in flight together.
func TestSimultaneousWrongLoginsGetNoMoreChecksThanSequentialOnes(t *testing.T) {
	env := webtest.NewEnv(t)
	const n = 60
	g := newCheckGate(n)
	env.Admin.SetPasswordChecks(n, time.Minute, g.onQueue, g.onCheck)
	answers := startLogins(t, env, repeatAddr("192.0.2.1:1234", n), "alice", "wrong")

	checked, refused := holdUntilAccounted(t, g, answers, n)
	close(g.release)
	rest := collect(t, answers, n-len(refused))

	if checked != 10 || len(refused) != n-10 {
		t.Fatalf("%d password checks and %d refusals for %d simultaneous wrong logins, want 10 and %d", checked, len(refused), n, n-10)
	}
	for _, a := range refused {
		wantRetryAfter(t, a.header)
	}
	for _, a := range rest {
		if a.code != http.StatusUnauthorized {
			t.Fatalf("a checked wrong login was answered %d, want 401", a.code)
		}
	}
	if got := g.total.Load(); got != 10 {
		t.Fatalf("%d password checks in all, want 10", got)
	}
}

// 39 wrong passwords at once and then the right one, while the wrong ones
// are still being checked: the allowance is spent by the time the right
// one arrives, so it is refused like any other, and works once the
// allowance refills.
func TestBurstEndingWithTheRightPasswordDoesNotLogIn(t *testing.T) {
	env := webtest.NewEnv(t)
	const wrong = 39
	g := newCheckGate(wrong + 1)
	env.Admin.SetPasswordChecks(wrong+1, time.Minute, g.onQueue, g.onCheck)
	const addr = "192.0.2.1:1234"
	answers := startLogins(t, env, repeatAddr(addr, wrong), "alice", "wrong")
	checked, refused := holdUntilAccounted(t, g, answers, wrong)

	right := webtest.NewClient(env)
	right.Addr = addr
	form := url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {right.CSRF(t, "/login")}}
	rightAnswer := make(chan *httptest.ResponseRecorder, 1)
	go func() { rightAnswer <- right.Post("/login", form) }()
	var rec *httptest.ResponseRecorder
	select {
	case rec = <-rightAnswer:
	case <-g.checked:
		checked++
	case <-time.After(burstWait):
		t.Fatal("the right password was neither answered nor checked")
	}
	close(g.release)
	collect(t, answers, wrong-len(refused))
	if rec == nil {
		rec = <-rightAnswer
	}

	if checked != 10 {
		t.Fatalf("%d password checks for %d wrong logins and a right one at once, want 10", checked, wrong)
	}
	webtest.WantStatus(t, rec, http.StatusTooManyRequests)
	wantRetryAfter(t, rec.Header())
	if _, ok := right.Cookies["esp_session"]; ok {
		t.Fatal("the right password logged in after the allowance was spent")
	}
	env.Clock.Add(6 * time.Second)
	webtest.WantRedirect(t, right.Login(t, "alice", "password-alice"), "/")
}

// A right password does not count against the address: nine wrong ones, a
// right one, then the tenth wrong one is still checked.
func TestRightPasswordGivesItsAttemptBack(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	for i := range 9 {
		if rec := c.Login(t, "alice", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, rec.Code)
		}
	}
	webtest.WantRedirect(t, c.Login(t, "alice", "password-alice"), "/")
	other := webtest.NewClient(env) // same address, not signed in
	webtest.WantStatus(t, other.Login(t, "alice", "wrong"), http.StatusUnauthorized)
	webtest.WantStatus(t, other.Login(t, "alice", "wrong"), http.StatusTooManyRequests)
}

// Password checks are bounded: with 100 wrong logins from 100 addresses in
// flight, at most 2 (the bound set here) are checked at once, the others
// queue, and the API answers meanwhile; every login is answered in the end.
func TestLoginStormIsBoundedAndTheAPIStillAnswers(t *testing.T) {
	env := webtest.NewEnv(t)
	token := webtest.Exchange(t, env, webtest.ActivatedKeys(t, env, env.Acme.ID))
	const n, bound = 100, 2
	g := newCheckGate(n)
	env.Admin.SetPasswordChecks(bound, time.Minute, g.onQueue, g.onCheck)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1) + ":1000"
	}
	answers := startLogins(t, env, addrs, "alice", "wrong")

	checked, refused := holdUntilAccounted(t, g, answers, n)
	if checked > bound || len(refused) != 0 {
		t.Fatalf("%d password checks at once (%d refused), want at most %d", checked, len(refused), bound)
	}

	// Every login is now in a check or queued for one: the API answers.
	api := make(chan int, 1)
	go func() {
		req := webtest.NewGet("/api/v1/plans", token)
		req.RemoteAddr = "198.51.100.20:2000"
		api <- env.Do(req).Code
	}()
	select {
	case code := <-api:
		if code != http.StatusOK {
			t.Fatalf("GET /api/v1/plans during the login storm: %d, want 200", code)
		}
	case <-time.After(burstWait):
		t.Fatal("GET /api/v1/plans did not answer while the logins were in flight")
	}
	select {
	case a := <-answers:
		t.Fatalf("a login was answered %d before the checks were released", a.code)
	default:
	}

	close(g.release)
	for _, a := range collect(t, answers, n) {
		if a.code != http.StatusUnauthorized {
			t.Fatalf("a wrong login of the storm was answered %d, want 401", a.code)
		}
	}
	if most, total := g.most.Load(), g.total.Load(); most > bound || total != n {
		t.Fatalf("%d checks in all, at most %d at once; want %d and at most %d", total, most, n, bound)
	}
}

// A login that finds no free password check in time is refused with 503
// and Retry-After rather than left waiting, and the attempt it never made
// does not count against its address.
func TestLoginThatCannotGetAPasswordCheckIsRefusedNotHung(t *testing.T) {
	env := webtest.NewEnv(t)
	g := newCheckGate(20)
	env.Admin.SetPasswordChecks(1, time.Millisecond, g.onQueue, g.onCheck)

	holder := startLogins(t, env, []string{"192.0.2.50:1"}, "alice", "wrong")
	select {
	case <-g.checked: // the only check is taken, and held
	case <-time.After(burstWait):
		t.Fatal("the first login was never checked")
	}
	late := webtest.NewClient(env)
	late.Addr = "192.0.2.60:1"
	form := url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {late.CSRF(t, "/login")}}
	answer := make(chan *httptest.ResponseRecorder, 1)
	go func() { answer <- late.Post("/login", form) }()
	var rec *httptest.ResponseRecorder
	select {
	case rec = <-answer:
	case <-g.checked:
		close(g.release)
		t.Fatal("a second password check ran beside the first, past the bound of 1")
	case <-time.After(burstWait):
		t.Fatal("the login waiting for a password check was never answered")
	}
	webtest.WantStatus(t, rec, http.StatusServiceUnavailable)
	if rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q, want 1", rec.Header().Get("Retry-After"))
	}
	if _, ok := late.Cookies["esp_session"]; ok {
		t.Fatal("a refused login set a session cookie")
	}
	close(g.release)
	collect(t, holder, 1)

	// The refused login cost its address nothing: ten wrong ones still get
	// checked.
	for i := range 10 {
		if rec := late.Login(t, "alice", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong login %d after the refusal: %d, want 401", i+1, rec.Code)
		}
		<-g.checked
	}
	webtest.WantStatus(t, late.Login(t, "alice", "wrong"), http.StatusTooManyRequests)
}

// The login limit counts an IPv6 client by its /64: 50 wrong logins at
// once from 50 addresses of one /64 get the 10 password checks that one
// address gets, and an address of another /64 is still checked.
func TestSimultaneousWrongLoginsFromOneIPv6Slash64ShareOneAllowance(t *testing.T) {
	env := webtest.NewEnv(t)
	const n = 50
	g := newCheckGate(n + 1)
	env.Admin.SetPasswordChecks(n, time.Minute, g.onQueue, g.onCheck)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = "[2001:db8:5:5:" + strconv.FormatInt(int64(i+1), 16) + "::1]:4000"
	}
	answers := startLogins(t, env, addrs, "alice", "wrong")
	checked, refused := holdUntilAccounted(t, g, answers, n)
	close(g.release)
	collect(t, answers, n-len(refused))
	if checked != 10 || len(refused) != n-10 {
		t.Fatalf("%d password checks and %d refusals for %d wrong logins from one /64, want 10 and %d", checked, len(refused), n, n-10)
	}
	other := startLogins(t, env, []string{"[2001:db8:5:6::1]:4000"}, "alice", "wrong")
	if a := collect(t, other, 1)[0]; a.code != http.StatusUnauthorized {
		t.Fatalf("a wrong login from another /64 was answered %d, want 401", a.code)
	}
}
