package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/store"
)

func TestLoginPageIsAFormWithACSRFToken(t *testing.T) {
	env := newTestEnv(t)
	c := newAdminClient(env)
	rec := c.get("/login")
	wantStatus(t, rec, http.StatusOK)
	doc := mustDoc(t, rec)
	if doc.Find(`[data-testid=login-form] input[name=username]`).Length() != 1 ||
		doc.Find(`[data-testid=login-form] input[name=password][type=password]`).Length() != 1 {
		t.Fatal("login form lacks username or password field")
	}
	if token, _ := doc.Find(`[data-testid=login-form] input[name=_csrf]`).Attr("value"); len(token) < 32 {
		t.Fatalf("login form CSRF token = %q, want a long random token", token)
	}
	if doc.Find(`[data-testid=user-menu]`).Length() != 0 {
		t.Fatal("login page shows a user menu")
	}
}

func TestLoginStartsASessionAndShowsTheHomePage(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	rec := c.get("/")
	wantStatus(t, rec, http.StatusOK)
	if got, want := text(mustDoc(t, rec), "user-menu"), "alice"; got != want {
		t.Fatalf("user menu = %q, want %q", got, want)
	}
	// A signed-in user asking for the login page goes home.
	wantRedirect(t, c.get("/login"), "/")
}

func TestAnonymousVisitorsAreSentToLogin(t *testing.T) {
	env := newTestEnv(t)
	c := newAdminClient(env)
	wantRedirect(t, c.get("/"), "/login")
	wantRedirect(t, c.post("/logout", url.Values{}), "/login")
}

func TestWrongPasswordAndUnknownUserLookTheSame(t *testing.T) {
	env := newTestEnv(t)
	var messages []string
	for _, tt := range []struct{ username, password string }{
		{"alice", "wrong-password"},
		{"nobody", "password-alice"},
		{"alice", ""},
	} {
		c := newAdminClient(env)
		rec := c.login(t, tt.username, tt.password)
		wantStatus(t, rec, http.StatusUnauthorized)
		doc := mustDoc(t, rec)
		messages = append(messages, text(doc, "login-error"))
		if got, _ := doc.Find(`input[name=username]`).Attr("value"); got != tt.username {
			t.Errorf("username field = %q, want it refilled with %q", got, tt.username)
		}
		if _, ok := c.cookies["esp_session"]; ok {
			t.Errorf("%s/%s: a failed login set a session cookie", tt.username, tt.password)
		}
	}
	for _, m := range messages {
		if m != "Wrong username or password." {
			t.Fatalf("messages = %q, want each to be exactly %q", messages, "Wrong username or password.")
		}
	}
}

func TestFailedLoginsAreRateLimitedPerAddressThenRecover(t *testing.T) {
	env := newTestEnv(t)
	c := newAdminClient(env)
	for i := range 10 {
		if rec := c.login(t, "alice", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status = %d, want 401", i+1, rec.Code)
		}
	}
	// Out of attempts: refused even with the right password.
	rec := c.login(t, "alice", "password-alice")
	wantStatus(t, rec, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds", rec.Header().Get("Retry-After"))
	}
	if _, ok := c.cookies["esp_session"]; ok {
		t.Fatal("a rate-limited login set a session cookie")
	}
	// Another address is not affected.
	other := newAdminClient(env)
	other.addr = "198.51.100.7:4321"
	wantRedirect(t, other.login(t, "bob", "password-bob"), "/")
	// X-Forwarded-For is not trusted to pick the address.
	spoof := newAdminClient(env)
	spoof.csrf(t, "/login")
	form := url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {spoof.csrf(t, "/login")}}
	req := newFormRequest("/login", form)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	wantStatus(t, spoof.send(req), http.StatusTooManyRequests)

	env.Clock.Add(time.Duration(secs) * time.Second)
	wantRedirect(t, c.login(t, "alice", "password-alice"), "/")
}

func TestLoginWithoutAValidCSRFTokenIsRefused(t *testing.T) {
	env := newTestEnv(t)
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		t.Run(name, func(t *testing.T) {
			c := newAdminClient(env)
			c.csrf(t, "/login") // the browser has the login cookie
			form := url.Values{"username": {"alice"}, "password": {"password-alice"}}
			if token != "" {
				form.Set("_csrf", token)
			}
			rec := c.post("/login", form)
			wantStatus(t, rec, http.StatusForbidden)
			if _, ok := c.cookies["esp_session"]; ok {
				t.Fatal("a refused login set a session cookie")
			}
			wantRedirect(t, c.get("/"), "/login")
		})
	}
	t.Run("token without its cookie", func(t *testing.T) {
		victim, attacker := newAdminClient(env), newAdminClient(env)
		token := attacker.csrf(t, "/login")
		rec := victim.post("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}})
		wantStatus(t, rec, http.StatusForbidden)
	})
}

func TestLoginGivesANewSessionID(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	before := c.cookieSnapshot()
	oldSID := sessionID(t, env, before["esp_session"])

	// Sign in again from the same browser, session cookie and all (a signed-in
	// user is not shown the form, so take it from an anonymous tab).
	tab := newAdminClient(env)
	token := tab.csrf(t, "/login")
	c.cookies["esp_login"] = tab.cookies["esp_login"]
	wantRedirect(t, c.post("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}}), "/")
	if newSID := sessionID(t, env, c.cookies["esp_session"]); newSID == oldSID {
		t.Fatal("logging in kept the previous session id")
	}
	wantStatus(t, c.get("/"), http.StatusOK)

	old := newAdminClient(env)
	old.cookies = before
	wantRedirect(t, old.get("/"), "/login")
}

func TestHomeListsTheTenantsPlans(t *testing.T) {
	env := newTestEnv(t)
	rows := []store.PlanRow{
		{IntervalStart: "2027-01-04", Interval: "week", Skill: "Billing", SchedulingUnit: "Manila", Volume: "100", AHTSeconds: "300",
			FTERequired: "4.5", FTEPlanned: "5", ServiceLevelPct: "80", ASASeconds: "20", OccupancyPct: "85"},
		{IntervalStart: "2027-01-11", Interval: "week", Skill: "Billing", SchedulingUnit: "Manila", Volume: "110", AHTSeconds: "300",
			FTERequired: "4.9", FTEPlanned: "5", ServiceLevelPct: "80", ASASeconds: "20", OccupancyPct: "85"},
	}
	i := 0
	next := func(r *store.PlanRow) error {
		if i == len(rows) {
			return io.EOF
		}
		*r = rows[i]
		i++
		return nil
	}
	if _, err := env.Store.ImportPlan(t.Context(), env.Acme.ID, "FY2027 Baseline", env.Clock.Now(), next); err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string][]string{"bob": {"FY2027 Baseline | Weekly | 2027-01-04\u00a0– 2027-01-11 | 2"}, "gina": nil} {
		c := signedIn(t, env, user)
		rec := c.get("/")
		wantStatus(t, rec, http.StatusOK)
		var got []string
		mustDoc(t, rec).Find(`[data-testid=plan-row]`).Each(func(_ int, tr *goquery.Selection) {
			var cells []string
			tr.Children().Each(func(_ int, td *goquery.Selection) { cells = append(cells, strings.TrimSpace(td.Text())) })
			got = append(got, strings.Join(cells, " | "))
		})
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s sees plans %q, want %q", user, got, want)
		}
	}
}

func TestLogoutSaysSoOnTheLoginPage(t *testing.T) {
	env := newTestEnv(t)
	c := signedIn(t, env, "alice")
	rec := c.postForm(t, "/", "/logout", nil)
	wantRedirect(t, rec, "/login?logged_out=1")
	rec = c.get(rec.Header().Get("Location"))
	wantStatus(t, rec, http.StatusOK)
	doc := mustDoc(t, rec)
	notice := doc.Find(`[data-testid=login-notice][role=status]`)
	if got, want := strings.TrimSpace(notice.Text()), "You have been logged out."; got != want {
		t.Fatalf("login page after Log out says %q, want %q", got, want)
	}
	if doc.Find(`[data-testid=login-form]`).Length() != 1 {
		t.Fatal("the login page after Log out has no login form")
	}
	// The flag only picks the fixed sentence: nothing else shows it, and
	// nothing from the address is echoed.
	for _, path := range []string{"/login", "/login?logged_out=0", "/login?logged_out=%3Cb%3Ehi%3C%2Fb%3E", "/login?notice=You+have+been+logged+out."} {
		rec := newAdminClient(env).get(path)
		wantStatus(t, rec, http.StatusOK)
		if n := mustDoc(t, rec).Find(`[data-testid=login-notice]`).Length(); n != 0 {
			t.Errorf("GET %s shows %d notices, want none", path, n)
		}
		if strings.Contains(rec.Body.String(), "<b>hi") {
			t.Errorf("GET %s echoes the query into the page", path)
		}
	}
}
