package admin_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/web/internal/webtest"
)

func TestLoginPageIsAFormWithACSRFToken(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	rec := c.Get("/login")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
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
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.Get("/")
	webtest.WantStatus(t, rec, http.StatusOK)
	if got, want := webtest.Text(webtest.MustDoc(t, rec), "user-menu"), "alice"; got != want {
		t.Fatalf("user menu = %q, want %q", got, want)
	}
	// A signed-in user asking for the login page goes home.
	webtest.WantRedirect(t, c.Get("/login"), "/")
}

func TestAnonymousVisitorsAreSentToLogin(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	webtest.WantRedirect(t, c.Get("/"), "/login")
	webtest.WantRedirect(t, c.Post("/logout", url.Values{}), "/login")
}

func TestWrongPasswordAndUnknownUserLookTheSame(t *testing.T) {
	env := webtest.NewEnv(t)
	var messages []string
	for _, tt := range []struct{ username, password string }{
		{"alice", "wrong-password"},
		{"nobody", "password-alice"},
		{"alice", ""},
	} {
		c := webtest.NewClient(env)
		rec := c.Login(t, tt.username, tt.password)
		webtest.WantStatus(t, rec, http.StatusUnauthorized)
		doc := webtest.MustDoc(t, rec)
		messages = append(messages, webtest.Text(doc, "login-error"))
		if got, _ := doc.Find(`input[name=username]`).Attr("value"); got != tt.username {
			t.Errorf("username field = %q, want it refilled with %q", got, tt.username)
		}
		if _, ok := c.Cookies["esp_session"]; ok {
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
	env := webtest.NewEnv(t)
	c := webtest.NewClient(env)
	for i := range 10 {
		if rec := c.Login(t, "alice", "wrong"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: status = %d, want 401", i+1, rec.Code)
		}
	}
	// Out of attempts: refused even with the right password.
	rec := c.Login(t, "alice", "password-alice")
	webtest.WantStatus(t, rec, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Fatalf("Retry-After = %q, want whole seconds", rec.Header().Get("Retry-After"))
	}
	if _, ok := c.Cookies["esp_session"]; ok {
		t.Fatal("a rate-limited login set a session cookie")
	}
	// Another address is not affected.
	other := webtest.NewClient(env)
	other.Addr = "198.51.100.7:4321"
	webtest.WantRedirect(t, other.Login(t, "bob", "password-bob"), "/")
	// X-Forwarded-For is not trusted to pick the address.
	spoof := webtest.NewClient(env)
	spoof.CSRF(t, "/login")
	form := url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {spoof.CSRF(t, "/login")}}
	req := webtest.NewFormRequest("/login", form)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	webtest.WantStatus(t, spoof.Send(req), http.StatusTooManyRequests)

	env.Clock.Add(time.Duration(secs) * time.Second)
	webtest.WantRedirect(t, c.Login(t, "alice", "password-alice"), "/")
}

func TestLoginWithoutAValidCSRFTokenIsRefused(t *testing.T) {
	env := webtest.NewEnv(t)
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		t.Run(name, func(t *testing.T) {
			c := webtest.NewClient(env)
			c.CSRF(t, "/login") // the browser has the login cookie
			form := url.Values{"username": {"alice"}, "password": {"password-alice"}}
			if token != "" {
				form.Set("_csrf", token)
			}
			rec := c.Post("/login", form)
			webtest.WantStatus(t, rec, http.StatusForbidden)
			if _, ok := c.Cookies["esp_session"]; ok {
				t.Fatal("a refused login set a session cookie")
			}
			webtest.WantRedirect(t, c.Get("/"), "/login")
		})
	}
	t.Run("token without its cookie", func(t *testing.T) {
		victim, attacker := webtest.NewClient(env), webtest.NewClient(env)
		token := attacker.CSRF(t, "/login")
		rec := victim.Post("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}})
		webtest.WantStatus(t, rec, http.StatusForbidden)
	})
}

func TestLoginGivesANewSessionID(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	before := c.CookieSnapshot()
	oldSID := webtest.SessionID(t, env, before["esp_session"])

	// Sign in again from the same browser, session cookie and all (a signed-in
	// user is not shown the form, so take it from an anonymous tab).
	tab := webtest.NewClient(env)
	token := tab.CSRF(t, "/login")
	c.Cookies["esp_login"] = tab.Cookies["esp_login"]
	webtest.WantRedirect(t, c.Post("/login", url.Values{"username": {"alice"}, "password": {"password-alice"}, "_csrf": {token}}), "/")
	if newSID := webtest.SessionID(t, env, c.Cookies["esp_session"]); newSID == oldSID {
		t.Fatal("logging in kept the previous session id")
	}
	webtest.WantStatus(t, c.Get("/"), http.StatusOK)

	old := webtest.NewClient(env)
	old.Cookies = before
	webtest.WantRedirect(t, old.Get("/"), "/login")
}

func TestHomeListsTheTenantsPlans(t *testing.T) {
	env := webtest.NewEnv(t)
	rows := []lifecycle.PlanRow{
		{IntervalStart: "2027-01-04", Interval: "week", Skill: "Billing", SchedulingUnit: "Manila", Volume: "100", AHTSeconds: "300",
			FTERequired: "4.5", FTEPlanned: "5", ServiceLevelPct: "80", ASASeconds: "20", OccupancyPct: "85"},
		{IntervalStart: "2027-01-11", Interval: "week", Skill: "Billing", SchedulingUnit: "Manila", Volume: "110", AHTSeconds: "300",
			FTERequired: "4.9", FTEPlanned: "5", ServiceLevelPct: "80", ASASeconds: "20", OccupancyPct: "85"},
	}
	i := 0
	next := func(r *lifecycle.PlanRow) error {
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
		c := webtest.SignedIn(t, env, user)
		rec := c.Get("/")
		webtest.WantStatus(t, rec, http.StatusOK)
		var got []string
		webtest.MustDoc(t, rec).Find(`[data-testid=plan-row]`).Each(func(_ int, tr *goquery.Selection) {
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
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.PostForm(t, "/", "/logout", nil)
	webtest.WantRedirect(t, rec, "/login?logged_out=1")
	rec = c.Get(rec.Header().Get("Location"))
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
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
		rec := webtest.NewClient(env).Get(path)
		webtest.WantStatus(t, rec, http.StatusOK)
		if n := webtest.MustDoc(t, rec).Find(`[data-testid=login-notice]`).Length(); n != 0 {
			t.Errorf("GET %s shows %d notices, want none", path, n)
		}
		if strings.Contains(rec.Body.String(), "<b>hi") {
			t.Errorf("GET %s echoes the query into the page", path)
		}
	}
}
