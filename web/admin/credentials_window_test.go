package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"esp/lifecycle"
	"esp/store/storetest"
	"esp/web/internal/webtest"
)

// The seed's status table: status → label, description, which buttons work.
func TestCredentialsWindowShowsEachStatusAsTheSeedSays(t *testing.T) {
	for _, tt := range []struct {
		status         lifecycle.Status
		label          string
		description    []string
		generate       string
		deactivate     string
		showsCreatedAt bool
	}{
		{lifecycle.None, "No Credentials", []string{
			"No API credentials are active or pending activation.",
			"The Access Key and Secret Key are blank.",
			"Click Generate to generate the API credentials. The Deactivate button is not available.",
		}, "enabled", "disabled", false},
		{lifecycle.PendingActivation, "Pending Activation", []string{
			"Waiting for ESP to activate the access key and secret key.",
			"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
			"If the API credentials remain in Pending Activation status for more than 24 hours, the status will automatically change to Activation Failed.",
		}, "disabled", "enabled", true},
		{lifecycle.Activated, "Activated", []string{
			"The API credentials are active.",
			"Click Deactivate to deactivate the API credentials. The Generate button is not available.",
		}, "disabled", "enabled", true},
		{lifecycle.ActivationFailed, "Activation Failed", []string{
			"ESP is unable to create the API credentials.",
			"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
		}, "enabled", "disabled", true},
		{lifecycle.PendingDeactivation, "Pending Deactivation", []string{
			"Waiting for ESP to deactivate the access key and secret key.",
			"The Deactivate and Generate buttons are not available.",
		}, "disabled", "disabled", true},
		{lifecycle.Deactivated, "Deactivated", []string{
			"The API credentials are not active.",
			"ESP removes credentials deactivated for 24 hours or more weekly from the ESP tenant database.",
			"Click Generate to re-generate the API credentials. The Deactivate button is not available.",
		}, "enabled", "disabled", true},
		{lifecycle.DeactivationFailed, "Deactivation Failed", []string{
			"ESP is unable to delete the API credentials.",
			"The old keys stopped working when Deactivate was clicked: no client program can use them any more.",
			"Click Generate to re-generate the API credentials, and give the new keys to the client programs that used the old ones.",
			"The Deactivate button is not available.",
		}, "enabled", "disabled", true},
	} {
		t.Run(tt.label, func(t *testing.T) {
			env := webtest.NewEnv(t)
			webtest.DriveTo(t, env, tt.status)
			c := webtest.SignedIn(t, env, "alice")
			rec := c.Get("/api-credentials")
			webtest.WantStatus(t, rec, http.StatusOK)
			doc := webtest.MustDoc(t, rec)
			if doc.Find(`[data-testid=credentials-window]`).Length() != 1 {
				t.Fatal("no credentials window")
			}
			if got := webtest.Text(doc, "credential-status"); got != tt.label {
				t.Errorf("status = %q, want %q", got, tt.label)
			}
			var desc []string
			doc.Find(`[data-testid=credential-description] p`).Each(func(_ int, p *goquery.Selection) {
				desc = append(desc, strings.TrimSpace(p.Text()))
			})
			if strings.Join(desc, "\n") != strings.Join(tt.description, "\n") {
				t.Errorf("description = %q, want %q", desc, tt.description)
			}
			if got := webtest.ButtonState(doc, "generate"); got != tt.generate {
				t.Errorf("Generate is %s, want %s", got, tt.generate)
			}
			if got := webtest.ButtonState(doc, "deactivate"); got != tt.deactivate {
				t.Errorf("Deactivate is %s, want %s", got, tt.deactivate)
			}
			if got := webtest.ButtonState(doc, "close-window"); got != "enabled" {
				t.Errorf("Close is %s", got)
			}
			created := webtest.Text(doc, "credential-created")
			if tt.showsCreatedAt != (created != "—") {
				t.Errorf("Created = %q", created)
			}
			if !tt.showsCreatedAt {
				for _, k := range []string{"access-key", "secret-key"} {
					if got := webtest.Text(doc, k); got != "" {
						t.Errorf("%s = %q, want blank with no credentials", k, got)
					}
				}
				if got := webtest.Text(doc, "credential-last-used"); got != "—" {
					t.Errorf("Last used = %q, want \"—\" with no credentials", got)
				}
			}
		})
	}
}

func TestCreatedAndLastUsedAreShownWithTheirZone(t *testing.T) {
	env := webtest.NewEnv(t)
	env.Clock.Add(14*time.Minute + 2*time.Second) // 2026-11-26 09:14:02 UTC
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	doc := webtest.MustDoc(t, c.Get("/api-credentials"))
	if got, want := webtest.Text(doc, "credential-created"), "2026-11-26 09:14:02 UTC"; got != want {
		t.Errorf("Created = %q, want %q", got, want)
	}
	if got, want := doc.Find(`[data-testid=credential-created] time`).AttrOr("datetime", ""), "2026-11-26T09:14:02Z"; got != want {
		t.Errorf("Created datetime = %q, want %q", got, want)
	}
	if got, want := webtest.Text(doc, "credential-last-used"), "Never"; got != want {
		t.Errorf("Last used = %q, want %q", got, want)
	}
	// A use of the credential (as a token exchange or an API call records
	// it) shows at the next request.
	used := time.Date(2026, 11, 27, 8, 30, 5, 0, time.UTC)
	cur, err := env.Service.Current(context.Background(), env.Acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	if wrote, err := env.Store.RecordUse(context.Background(), lifecycle.CredentialUse{CredentialID: cur.Credential.ID, At: used}, lifecycle.LastUsedEvery); err != nil || !wrote {
		t.Fatalf("record use: wrote %v, %v", wrote, err)
	}
	rec := c.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc = webtest.MustDoc(t, rec)
	if got, want := webtest.Text(doc, "credential-last-used"), "2026-11-27 08:30:05 UTC"; got != want {
		t.Errorf("Last used = %q, want %q", got, want)
	}
	// The page's script shows it in the browser's zone from the machine
	// time, here and in the live status.
	if got, want := doc.Find(`[data-testid=credential-last-used] time`).AttrOr("datetime", ""), "2026-11-27T08:30:05Z"; got != want {
		t.Errorf("Last used datetime = %q, want %q", got, want)
	}
	rec = c.Get("/api-credentials/status")
	webtest.WantStatus(t, rec, http.StatusOK)
	if body := rec.Body.String(); !strings.Contains(body, `"lastUsedISO":"2026-11-27T08:30:05Z"`) {
		t.Errorf("the live status lacks Last used's machine time: %s", body)
	}
}

func TestGenerateShowsTheFullKeysOnlyOnce(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	doc := webtest.MustDoc(t, rec)
	access, secret := webtest.Text(doc, "access-key"), webtest.Text(doc, "secret-key")
	if err := lifecycle.CheckAccessKey(access); err != nil {
		t.Fatalf("access key %q: %v", access, err)
	}
	if err := lifecycle.CheckSecretKey(secret); err != nil {
		t.Fatalf("secret key does not check: %v", err)
	}
	if got := webtest.Text(doc, "credential-status"); got != "Pending Activation" {
		t.Errorf("status = %q, want Pending Activation", got)
	}
	for _, id := range []string{"copy-access-key", "copy-secret-key"} {
		if webtest.ButtonState(doc, id) != "enabled" {
			t.Errorf("no %s button after Generate", id)
		}
	}
	if doc.Find(`[data-testid=one-time-warning]`).Length() != 1 {
		t.Error("no warning that the secret will not be shown again")
	}
	if got := webtest.Text(doc, "credential-last-used"); got != "Never" {
		t.Errorf("Last used = %q, want Never", got)
	}
	if strings.Contains(env.Logs.String(), secret) || strings.Contains(env.Logs.String(), access) {
		t.Fatal("a key was logged")
	}

	// The stored secret is the one shown.
	cred, err := env.Store.AccessKeyGrant(context.Background(), access)
	if err != nil {
		t.Fatal(err)
	}
	if !lifecycle.SecretMatches(secret, cred.SecretHash) {
		t.Fatal("the secret shown is not the one stored")
	}

	// Reopening shows only the last 4 characters and no copy buttons.
	env.Tick(t)
	rec = c.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	again := webtest.MustDoc(t, rec)
	if got, want := webtest.Text(again, "access-key"), "••••••••"+access[len(access)-4:]; got != want {
		t.Errorf("access key = %q, want %q", got, want)
	}
	if got, want := webtest.Text(again, "secret-key"), "••••••••"+secret[len(secret)-4:]; got != want {
		t.Errorf("secret key = %q, want %q", got, want)
	}
	body := rec.Body.String()
	if strings.Contains(body, access[:len(access)-4]) || strings.Contains(body, secret[:len(secret)-4]) {
		t.Fatal("the reopened window contains more than the last 4 characters of a key")
	}
	for _, id := range []string{"copy-access-key", "copy-secret-key", "one-time-warning"} {
		if again.Find(`[data-testid=`+id+`]`).Length() != 0 {
			t.Errorf("%s still shown after reopening", id)
		}
	}
	if got := webtest.Text(again, "credential-status"); got != "Activated" {
		t.Errorf("status = %q, want Activated", got)
	}
}

func TestGenerateIsAuditedAsTheUser(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantStatus(t, c.PostForm(t, "/api-credentials", "/api-credentials/generate", nil), http.StatusOK)
	env.Tick(t)
	webtest.WantRedirect(t, c.PostForm(t, "/api-credentials", "/api-credentials/deactivate", nil), "/api-credentials")
	alice, err := env.Store.UserByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	entries := storetest.AuditTrail(t, env.Store, alice.TenantID, 0)
	var byUser []string
	for _, e := range entries {
		if e.Actor == "user:alice" {
			byUser = append(byUser, string(e.Action))
		}
	}
	if strings.Join(byUser, ",") != "generate,deactivate" {
		t.Fatalf("actions by user:alice = %q, want generate and deactivate", byUser)
	}
}

func TestGenerateRefusedAnswers409WithTheWindow(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusConflict)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.Text(doc, "credential-status"); got != "Activated" {
		t.Errorf("status = %q, want Activated", got)
	}
	if got := webtest.Text(doc, "credential-notice"); !strings.Contains(got, "Generate is not available") {
		t.Errorf("notice = %q", got)
	}
	if doc.Find(`[data-testid=copy-access-key]`).Length() != 0 {
		t.Error("a refused Generate shows copy buttons")
	}
}

func TestDeactivateRedirectsToTheWindowInPendingDeactivation(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.Activated)
	c := webtest.SignedIn(t, env, "alice")
	webtest.WantRedirect(t, c.PostForm(t, "/api-credentials", "/api-credentials/deactivate", nil), "/api-credentials")
	rec := c.Get("/api-credentials")
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.Text(doc, "credential-status"); got != "Pending Deactivation" {
		t.Fatalf("status = %q, want Pending Deactivation", got)
	}
	if webtest.ButtonState(doc, "generate") != "disabled" || webtest.ButtonState(doc, "deactivate") != "disabled" {
		t.Fatal("buttons are not both disabled in Pending Deactivation")
	}
}

func TestDeactivateRefusedAnswers409WithTheWindow(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.PostForm(t, "/api-credentials", "/api-credentials/deactivate", nil)
	webtest.WantStatus(t, rec, http.StatusConflict)
	doc := webtest.MustDoc(t, rec)
	if got := webtest.Text(doc, "credential-status"); got != "No Credentials" {
		t.Errorf("status = %q", got)
	}
	if got := webtest.Text(doc, "credential-notice"); !strings.Contains(got, "Deactivate is not available") {
		t.Errorf("notice = %q", got)
	}
	if got := webtest.CurrentStatus(t, env); got != lifecycle.None {
		t.Fatalf("status = %s", got)
	}
}

func TestTwoAdminsGeneratingAtOnceGetOneCredentialAndOneClearRefusal(t *testing.T) {
	env := webtest.NewEnv(t)
	if _, err := env.Accounts.AddUser(context.Background(), "acme", "ann", "password-ann", true); err != nil {
		t.Fatal(err)
	}
	alice, ann := webtest.SignedIn(t, env, "alice"), webtest.SignedIn(t, env, "ann")
	forms := [2]url.Values{alice.FormFields(t, "/api-credentials", "/api-credentials/generate"),
		ann.FormFields(t, "/api-credentials", "/api-credentials/generate")}
	var wg sync.WaitGroup
	var codes [2]int
	var bodies [2]string
	for i, c := range []*webtest.Client{alice, ann} {
		wg.Go(func() {
			rec := c.Post("/api-credentials/generate", forms[i])
			codes[i], bodies[i] = rec.Code, rec.Body.String()
		})
	}
	wg.Wait()
	ok, conflict := -1, -1
	for i, code := range codes {
		switch code {
		case http.StatusOK:
			ok = i
		case http.StatusConflict:
			conflict = i
		}
	}
	if ok < 0 || conflict < 0 {
		t.Fatalf("statuses = %v, want one 200 and one 409", codes)
	}
	refused, err := goquery.NewDocumentFromReader(strings.NewReader(bodies[conflict]))
	if err != nil {
		t.Fatal(err)
	}
	if notice := webtest.Text(refused, "credential-notice"); notice == "" {
		t.Fatal("the refused admin gets no notice")
	}
	if refused.Find(`[data-testid=copy-secret-key]`).Length() != 0 {
		t.Fatal("the refused admin sees copy buttons")
	}
	if got := webtest.Text(refused, "credential-status"); got != "Pending Activation" {
		t.Errorf("refused window status = %q, want the winner's Pending Activation", got)
	}
	n := 0
	if err := env.Store.DB.QueryRow(`SELECT count(*) FROM credentials`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d credentials, want 1", n)
	}
}

func TestLiveStatusJSON(t *testing.T) {
	env := webtest.NewEnv(t)
	c := webtest.SignedIn(t, env, "alice")
	rec := c.PostForm(t, "/api-credentials", "/api-credentials/generate", nil)
	webtest.WantStatus(t, rec, http.StatusOK)
	doc := webtest.MustDoc(t, rec)
	access, secret := webtest.Text(doc, "access-key"), webtest.Text(doc, "secret-key")
	if got := doc.Find(`[data-testid=credentials-window]`).AttrOr("data-pending", ""); got != "true" {
		t.Fatalf("data-pending = %q, want true while pending", got)
	}

	type status struct {
		Status        string   `json:"status"`
		Label         string   `json:"label"`
		Description   []string `json:"description"`
		CanGenerate   *bool    `json:"canGenerate"`
		CanDeactivate *bool    `json:"canDeactivate"`
		Pending       *bool    `json:"pending"`
		LastUsed      string   `json:"lastUsed"`
		Created       string   `json:"created"`
		CreatedISO    string   `json:"createdISO"`
	}
	get := func() status {
		t.Helper()
		rec := c.Get("/api-credentials/status")
		webtest.WantStatus(t, rec, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("Content-Type = %q", ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", cc)
		}
		if body := rec.Body.String(); strings.Contains(body, access[len(access)-4:]) || strings.Contains(body, secret[len(secret)-4:]) {
			t.Fatal("the status JSON carries key material")
		}
		var s status
		if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil {
			t.Fatal(err)
		}
		if s.CanGenerate == nil || s.CanDeactivate == nil || s.Pending == nil {
			t.Fatalf("status JSON lacks fields: %s", rec.Body.String())
		}
		return s
	}
	s := get()
	if s.Status != "pending_activation" || s.Label != "Pending Activation" || !*s.Pending || *s.CanGenerate || !*s.CanDeactivate {
		t.Fatalf("pending status = %+v", s)
	}
	if s.Created != "2026-11-26 09:00:00 UTC" || s.CreatedISO != "2026-11-26T09:00:00Z" || s.LastUsed != "Never" {
		t.Fatalf("times = %q %q %q", s.Created, s.CreatedISO, s.LastUsed)
	}
	if strings.Join(s.Description, " ") != strings.Join(lifecycle.PendingActivation.Description(), " ") {
		t.Fatalf("description = %q", s.Description)
	}
	env.Tick(t)
	s = get()
	if s.Status != "activated" || s.Label != "Activated" || *s.Pending || !*s.CanDeactivate {
		t.Fatalf("activated status = %+v", s)
	}
}

// Every answer of the window reads the tenant's plans once: a refused
// Generate, which read them before it tried, does not read them again.
func TestEveryWindowAnswerReadsThePlansOnce(t *testing.T) {
	env := webtest.NewEnv(t)
	webtest.DriveTo(t, env, lifecycle.PendingActivation)
	c := webtest.SignedIn(t, env, "alice")
	var reads atomic.Int32
	env.Admin.OnPlanRead(func() { reads.Add(1) })
	generate := c.FormFields(t, "/api-credentials", "/api-credentials/generate")
	outOfDate := url.Values{"_csrf": {generate.Get("_csrf")}}
	for _, tt := range []struct {
		name string
		req  *http.Request
		want int
	}{
		{"the window", httptest.NewRequest(http.MethodGet, "/api-credentials", nil), http.StatusOK},
		{"a refused Generate", webtest.NewFormRequest("/api-credentials/generate", generate), http.StatusConflict},
		{"a Generate form out of date", webtest.NewFormRequest("/api-credentials/generate", outOfDate), http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reads.Store(0)
			webtest.WantStatus(t, c.Send(tt.req), tt.want)
			if n := reads.Load(); n != 1 {
				t.Fatalf("%d reads of the plans for one answer, want 1", n)
			}
		})
	}
}
