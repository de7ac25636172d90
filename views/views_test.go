package views_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"golang.org/x/net/html"

	"esp/views"
)

const token = "csrf-token-123"

func adminPage(title string) views.Page {
	return views.Page{Title: title, Username: "ada", IsAdmin: true, ShowAPICredentials: true, CSRFToken: token}
}

var demoPlans = []views.PlanSummary{
	{ID: 7, Name: "FY27 Voice", Rows: 1234567, Interval: "week", First: "2026-01-05", Last: "2026-12-28"},
	{ID: 9, Name: "Empty plan"},
}

// render renders c and parses the result; any render error fails the test.
func render(tb testing.TB, c templ.Component) (*goquery.Document, string) {
	tb.Helper()
	var buf bytes.Buffer
	if err := c.Render(context.Background(), &buf); err != nil {
		tb.Fatalf("Render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return doc, buf.String()
}

func one(tb testing.TB, doc *goquery.Document, selector string) *goquery.Selection {
	tb.Helper()
	sel := doc.Find(selector)
	if got, want := sel.Length(), 1; got != want {
		tb.Fatalf("%s: found %d, want %d", selector, got, want)
	}
	return sel
}

func none(tb testing.TB, doc *goquery.Document, selector string) {
	tb.Helper()
	if n := doc.Find(selector).Length(); n != 0 {
		tb.Fatalf("%s: found %d, want none", selector, n)
	}
}

func credentialsVM() views.CredentialsVM {
	return views.CredentialsVM{
		Page:          adminPage("API Credentials"),
		Plans:         demoPlans,
		StatusCode:    "activated",
		StatusLabel:   "Activated",
		Description:   []string{"The API credentials are active.", "Click Deactivate to deactivate the API credentials. The Generate button is not available."},
		Created:       "2026-11-26 09:14:02 UTC",
		CreatedISO:    "2026-11-26T09:14:02Z",
		LastUsed:      "Never",
		AccessKey:     "••••••••WXYZ",
		SecretKey:     "••••••••9abc",
		CanDeactivate: true,
	}
}

func fullKeysVM() views.CredentialsVM {
	vm := credentialsVM()
	vm.StatusCode, vm.StatusLabel = "pending_activation", "Pending Activation"
	vm.AccessKey = "ESPAK1234567890ABCDWXYZ"
	vm.SecretKey = "esp_sk_0123456789abcdef0123456789abcdef0123456789abcdef9abc"
	vm.FullKeys, vm.Pending = true, true
	return vm
}

// everyPage is one rendering of each component in each of its shapes, for the
// checks that hold on every page.
func everyPage() map[string]templ.Component {
	login := views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}, Username: "ada", Error: "Wrong username or password."}
	noCreds := credentialsVM()
	noCreds.StatusCode, noCreds.StatusLabel, noCreds.AccessKey, noCreds.SecretKey = "none", "No Credentials", "", ""
	noCreds.Created, noCreds.CreatedISO, noCreds.LastUsed = "", "", ""
	noCreds.CanGenerate, noCreds.CanDeactivate = true, false
	noCreds.Notice, noCreds.NoticeIsError = "Another admin generated credentials at the same time.", true
	return map[string]templ.Component{
		"login":              views.Login(views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}}),
		"login failed":       views.Login(login),
		"logged out":         views.Login(views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}, Notice: "You have been logged out."}),
		"home":               views.Home(views.HomeVM{Page: adminPage("Plans"), Plans: demoPlans}),
		"home empty":         views.Home(views.HomeVM{Page: adminPage("Plans")}),
		"credentials masked": views.CredentialsWindow(credentialsVM()),
		"credentials full":   views.CredentialsWindow(fullKeysVM()),
		"credentials none":   views.CredentialsWindow(noCreds),
		"history": views.CredentialHistory(views.HistoryVM{Page: adminPage("API credential history"),
			Rows:     []views.HistoryRow{{When: "2026-11-26 09:14:02 UTC", WhenISO: "2026-11-26T09:14:02Z", Credential: "WXYZ", Event: "Generated", Actor: "ada"}},
			OlderURL: "/api-credentials/history?before=7", NewestURL: "/api-credentials/history", CSVURL: "/api-credentials/history.csv", WindowURL: "/api-credentials"}),
		"history empty":   views.CredentialHistory(views.HistoryVM{Page: adminPage("API credential history")}),
		"error signed in": views.ErrorPage(views.ErrorVM{Page: adminPage("Not found"), Code: 404, Message: "Page not found."}),
		"error anonymous": views.ErrorPage(views.ErrorVM{Page: views.Page{Title: "Error"}, Code: 403, Message: "Forbidden."}),
		"refusal non-admin": views.ErrorPage(views.ErrorVM{Page: adminPage("Page not found"), Code: 404,
			Refusal: &views.Refusal{Tenant: "acme", Admins: []string{"ada"}, MoreAdmins: 2}}),
		"refusal public API off": views.ErrorPage(views.ErrorVM{Page: adminPage("Page not found"), Code: 404,
			Refusal: &views.Refusal{Tenant: "acme corp", UserIsAdmin: true}}),
		"api docs": views.APIDocs(apiDocsVM()),
	}
}

// apiDocsVM is a small API reference page with every part filled in.
func apiDocsVM() views.APIDocsVM {
	field := views.APIField{Name: "rows[].skill", Type: "string", Description: "The `WEM` skill.", Required: true}
	media := views.APIMedia{Type: "application/json", Schema: "DataPage object", Fields: []views.APIField{field}}
	return views.APIDocsVM{Page: views.Page{Title: "API reference", Stylesheet: "/static/apidocs.css"},
		Title: "ESP public API", Version: "1.0.0", Intro: []string{"Plan data, `JSON`."}, BaseURL: "/api/v1",
		DocumentURL: "/api/v1/openapi.json", Schemes: []views.APIScheme{{Name: "bearerAuth", Kind: "HTTP bearer"}},
		Groups: []views.APIGroup{{Tag: "plans", Operations: []views.APIOperation{{Anchor: "op-getPlanData", Method: "GET",
			Path: "/plans/{planID}/data", Summary: "One page", Auth: []string{"bearerAuth"},
			Params:    []views.APIParam{{Name: "planID", In: "path", Type: "integer (int64)", Required: true}},
			Body:      &views.APIBody{Media: []views.APIMedia{media}},
			Responses: []views.APIResponse{{Status: "200", Description: "A page.", Media: []views.APIMedia{media}}}}}}},
	}
}

// Backticked parts of the API's descriptions are code, the rest plain text
// (escaped like any other).
func TestAPIDocsShowBacktickedTextAsCode(t *testing.T) {
	doc, _ := render(t, views.APIDocs(apiDocsVM()))
	wem := doc.Find("[data-testid=api-operation] li code").FilterFunction(func(_ int, s *goquery.Selection) bool { return s.Text() == "WEM" })
	if wem.Length() != 2 || strings.Contains(doc.Text(), "`") {
		t.Errorf("the field's description shows WEM as code %d times, want 2 (body and response), and no backtick", wem.Length())
	}
	if got := doc.Find("main > p").First().Text(); got != "Plan data, JSON." {
		t.Errorf("intro = %q", got)
	}
}

// Every signed-in page links the API reference.
func TestSignedInPagesLinkTheAPIReference(t *testing.T) {
	for _, c := range []templ.Component{views.Home(views.HomeVM{Page: adminPage("Plans")}),
		views.ErrorPage(views.ErrorVM{Page: adminPage("Not found"), Code: 404})} {
		doc, _ := render(t, c)
		one(t, doc, `footer a[data-testid=footer-api-docs-link][href="/api/docs"]`)
	}
}

// A refusal's command quotes a tenant name the shell would split.
func TestRefusalCommandQuotesTheTenantName(t *testing.T) {
	doc, _ := render(t, views.ErrorPage(views.ErrorVM{Page: adminPage("Page not found"), Code: 404,
		Refusal: &views.Refusal{Tenant: "acme's corp", UserIsAdmin: true}}))
	if got := one(t, doc, "[data-testid=refusal-command]").Text(); got != `esp tenant feature 'acme'\''s corp' public-api on` {
		t.Errorf("command = %q", got)
	}
}

// cspViolations lists what a Content-Security-Policy of script-src 'self';
// style-src 'self' would block: inline scripts, event-handler attributes,
// style attributes and <style> elements, javascript: URLs.
func cspViolations(doc *goquery.Document) []string {
	var found []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			hasSrc := false
			for _, a := range n.Attr {
				name := strings.ToLower(a.Key)
				switch {
				case name == "src":
					hasSrc = true
				case strings.HasPrefix(name, "on"):
					found = append(found, "<"+n.Data+"> has "+a.Key+"=")
				case name == "style":
					found = append(found, "<"+n.Data+"> has style=")
				case (name == "href" || name == "action") && strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"):
					found = append(found, "<"+n.Data+"> has a javascript: URL")
				}
			}
			if n.Data == "script" && !hasSrc {
				found = append(found, "inline <script>")
			}
			if n.Data == "style" {
				found = append(found, "inline <style>")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range doc.Nodes {
		walk(n)
	}
	return found
}

func TestEveryPageIsAllowedByTheContentSecurityPolicy(t *testing.T) {
	for name, c := range everyPage() {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			if v := cspViolations(doc); len(v) > 0 {
				t.Fatalf("inline code the CSP would block: %v", v)
			}
		})
	}
}

// TestCSPCheckCatchesInlineCode proves the check above can fail.
func TestCSPCheckCatchesInlineCode(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`,
		`<button onclick="x()">x</button>`,
		`<div style="color:red">x</div>`,
		`<style>p{}</style>`,
		`<a href="javascript:x()">x</a>`,
		`<img src="/x.png" OnError="x()">`,
	} {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if v := cspViolations(doc); len(v) == 0 {
			t.Errorf("%s: no violation found", bad)
		}
	}
}

func TestEveryPageLinksTheStaticCSSAndDeferredJS(t *testing.T) {
	for name, c := range everyPage() {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			one(t, doc, `link[rel=stylesheet][href="/static/app.css"]`)
			one(t, doc, `script[src="/static/app.js"][defer]`)
		})
	}
}

func TestEveryPageLinksTheFavicon(t *testing.T) {
	for name, c := range everyPage() {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			one(t, doc, `head link[rel=icon][type="image/svg+xml"][href="/static/favicon.svg"]`)
		})
	}
}

func TestEveryPostFormCarriesTheCSRFToken(t *testing.T) {
	for name, c := range everyPage() {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, c)
			doc.Find("form").Each(func(_ int, form *goquery.Selection) {
				action, _ := form.Attr("action")
				if form.AttrOr("method", "") == "dialog" {
					return // it only closes a confirmation: nothing is sent
				}
				if got, want := strings.ToLower(form.AttrOr("method", "")), "post"; got != want {
					t.Errorf("form %s: method=%q, want %q", action, got, want)
				}
				field := form.Find(`input[type=hidden][name=_csrf]`)
				if got, want := field.Length(), 1; got != want {
					t.Fatalf("form %s: %d _csrf fields, want %d", action, got, want)
				}
				if got, want := field.AttrOr("value", ""), token; got != want {
					t.Errorf("form %s: _csrf=%q, want %q", action, got, want)
				}
			})
		})
	}
}

func TestLoginHasTheFormAndNoUserMenu(t *testing.T) {
	doc, _ := render(t, views.Login(views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}}))
	form := one(t, doc, `form[method=post][action="/login"]`)
	if got, want := form.Find(`input[name=username]`).Length(), 1; got != want {
		t.Errorf("username fields=%d, want %d", got, want)
	}
	if got, want := form.Find(`input[name=password][type=password]`).Length(), 1; got != want {
		t.Errorf("password fields=%d, want %d", got, want)
	}
	if got, want := strings.TrimSpace(form.Find(`button[type=submit]`).Text()), "Log in"; got != want {
		t.Errorf("submit=%q, want %q", got, want)
	}
	none(t, doc, `[data-testid=login-error]`)
	none(t, doc, `[data-testid=user-menu]`)
}

func TestLoginFailureShowsAlertAndKeepsUsername(t *testing.T) {
	doc, _ := render(t, views.Login(views.LoginVM{Page: views.Page{CSRFToken: token}, Username: "ada", Error: "Wrong username or password."}))
	alert := one(t, doc, `[role=alert][data-testid=login-error]`)
	if got, want := alert.Text(), "Wrong username or password."; got != want {
		t.Errorf("error=%q, want %q", got, want)
	}
	if got, want := doc.Find(`input[name=username]`).AttrOr("value", ""), "ada"; got != want {
		t.Errorf("username=%q, want %q", got, want)
	}
	if got := doc.Find(`input[name=password]`).AttrOr("value", ""); got != "" {
		t.Errorf("password refilled with %q", got)
	}
}

func TestLoginShowsItsNotice(t *testing.T) {
	doc, _ := render(t, views.Login(views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}, Notice: "You have been logged out."}))
	if got, want := one(t, doc, `[role=status][data-testid=login-notice]`).Text(), "You have been logged out."; got != want {
		t.Errorf("notice=%q, want %q", got, want)
	}
	none(t, doc, `[data-testid=login-error]`)
	doc, _ = render(t, views.Login(views.LoginVM{Page: views.Page{Title: "Log in", CSRFToken: token}}))
	none(t, doc, `[data-testid=login-notice]`)
}

func TestUserMenuShowsUsernameAndStartsClosed(t *testing.T) {
	doc, _ := render(t, views.Home(views.HomeVM{Page: adminPage("Plans")}))
	button := one(t, doc, `header button[data-testid=user-menu]`)
	if got, want := button.Text(), "ada"; got != want {
		t.Errorf("menu button=%q, want %q", got, want)
	}
	for attr, want := range map[string]string{"aria-haspopup": "menu", "aria-expanded": "false", "aria-controls": "user-menu-list"} {
		if got := button.AttrOr(attr, ""); got != want {
			t.Errorf("%s=%q, want %q", attr, got, want)
		}
	}
	list := one(t, doc, `ul#user-menu-list[role=menu]`)
	if _, hidden := list.Attr("hidden"); !hidden {
		t.Error("menu list is not hidden at first")
	}
	item := one(t, doc, `#user-menu-list li[role=none] a[role=menuitem][href="/api-credentials"][data-testid=menu-api-credentials]`)
	if got, want := item.Text(), "API Credentials"; got != want {
		t.Errorf("menu item=%q, want %q", got, want)
	}
	logout := one(t, doc, `#user-menu-list form[method=post][action="/logout"] button[data-testid=logout]`)
	if got, want := logout.Text(), "Log out"; got != want {
		t.Errorf("logout=%q, want %q", got, want)
	}
}

func TestUserMenuSeparatesAPICredentialsFromLogOut(t *testing.T) {
	doc, _ := render(t, views.Home(views.HomeVM{Page: adminPage("Plans")}))
	var items []string
	doc.Find(`#user-menu-list > li`).Each(func(_ int, li *goquery.Selection) {
		if li.AttrOr("role", "") == "separator" {
			items = append(items, "separator")
			return
		}
		items = append(items, li.Find(`[role=menuitem]`).AttrOr("data-testid", "?"))
	})
	if got, want := strings.Join(items, " "), "menu-api-credentials separator logout"; got != want {
		t.Errorf("menu=%q, want %q", got, want)
	}
}

func TestUserMenuHidesAPICredentialsWhenNotAllowed(t *testing.T) {
	p := adminPage("Plans")
	p.ShowAPICredentials = false
	pages := map[string]templ.Component{
		"home":        views.Home(views.HomeVM{Page: p, Plans: demoPlans}),
		"error":       views.ErrorPage(views.ErrorVM{Page: p, Code: 404, Message: "Not found."}),
		"credentials": views.CredentialsWindow(views.CredentialsVM{Page: p}),
	}
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			doc, out := render(t, c)
			one(t, doc, `[data-testid=user-menu]`)
			one(t, doc, `[data-testid=logout]`)
			none(t, doc, `[data-testid=menu-api-credentials]`)
			none(t, doc, `#user-menu-list [role=separator]`) // nothing to set Log out apart from
			if strings.Contains(out, `href="/api-credentials"`) {
				t.Error("page links /api-credentials")
			}
		})
	}
}

func TestHomeListsPlans(t *testing.T) {
	doc, _ := render(t, views.Home(views.HomeVM{Page: adminPage("Plans"), Plans: demoPlans}))
	rows := doc.Find(`[data-testid=plans-table] tbody tr[data-testid=plan-row]`)
	if got, want := rows.Length(), 2; got != want {
		t.Fatalf("rows=%d, want %d", got, want)
	}
	var cells []string
	rows.First().Children().Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
	if got, want := strings.Join(cells, " | "), "FY27 Voice | Weekly | 2026-01-05\u00a0– 2026-12-28 | 1,234,567"; got != want {
		t.Errorf("first row=%q, want %q", got, want)
	}
	// Each date is a <time>, which the stylesheet keeps on one line.
	var dates []string
	rows.First().Find(`td time`).Each(func(_ int, s *goquery.Selection) { dates = append(dates, s.AttrOr("datetime", "")+"="+s.Text()) })
	if got, want := strings.Join(dates, " "), "2026-01-05=2026-01-05 2026-12-28=2026-12-28"; got != want {
		t.Errorf("period dates=%q, want %q", got, want)
	}
	if got, want := rows.First().AttrOr("data-plan-id", ""), "7"; got != want {
		t.Errorf("data-plan-id=%q, want %q", got, want)
	}
	none(t, doc, `[data-testid=plans-empty]`)
}

func TestHomeWithoutPlansSaysSo(t *testing.T) {
	doc, _ := render(t, views.Home(views.HomeVM{Page: adminPage("Plans")}))
	one(t, doc, `[data-testid=plans-empty]`)
	none(t, doc, `[data-testid=plans-table]`)
}

func TestCredentialsWindowIsAModalOverTheHomePage(t *testing.T) {
	doc, _ := render(t, views.CredentialsWindow(credentialsVM()))
	one(t, doc, `[data-testid=plans-table]`)
	one(t, doc, `div.backdrop`)
	dialog := one(t, doc, `section#credentials-window[role=dialog][aria-modal=true][aria-labelledby=cred-title][data-testid=credentials-window]`)
	if got, want := dialog.Find(`#cred-title`).Text(), "API Credentials"; got != want {
		t.Errorf("title=%q, want %q", got, want)
	}
	if got, want := dialog.AttrOr("data-status-url", ""), "/api-credentials/status"; got != want {
		t.Errorf("data-status-url=%q, want %q", got, want)
	}
	if got, want := dialog.AttrOr("data-pending", ""), "false"; got != want {
		t.Errorf("data-pending=%q, want %q", got, want)
	}
	if dialog.ParentsFiltered(`[inert]`).Length() != 0 {
		t.Error("the dialog is inside the inert background")
	}
	if doc.Find(`[inert] [data-testid=plans-table]`).Length() != 1 {
		t.Error("the page behind the dialog is not inert")
	}
	for _, id := range []string{"credential-status", "credential-description", "credential-created", "access-key", "secret-key", "credential-last-used", "generate", "deactivate", "close-window"} {
		if got, want := dialog.Find(`[data-testid=`+id+`]`).Length(), 1; got != want {
			t.Errorf("data-testid=%s: found %d in the dialog, want %d", id, got, want)
		}
	}
	// Close goes home, to the user menu the window was opened from.
	closeLink := dialog.Find(`a[data-testid=close-window]`)
	if got, want := closeLink.AttrOr("href", ""), "/#user-menu"; got != want {
		t.Errorf("close href=%q, want %q", got, want)
	}
	one(t, doc, `#user-menu[data-testid=user-menu]`)
	// The title, the body that scrolls, and the actions below it.
	one(t, doc, `#credentials-window > .dialog-head > h2#cred-title`)
	body := one(t, doc, `#credentials-window > .dialog-body`)
	for _, id := range []string{"credential-status", "access-key", "secret-key", "credential-last-used"} {
		if body.Find(`[data-testid=`+id+`]`).Length() != 1 {
			t.Errorf("data-testid=%s is not in the dialog's body", id)
		}
	}
	footer := one(t, doc, `#credentials-window > .dialog-footer`)
	for _, id := range []string{"generate", "deactivate", "close-window"} {
		if footer.Find(`[data-testid=`+id+`]`).Length() != 1 {
			t.Errorf("data-testid=%s is not in the dialog's footer", id)
		}
	}
	one(t, doc, `form[method=post][action="/api-credentials/generate"] button[type=submit][data-testid=generate]`)
	one(t, doc, `form[method=post][action="/api-credentials/deactivate"] button[data-testid=deactivate]`)
}

func TestCredentialsWindowShowsTheFields(t *testing.T) {
	vm := credentialsVM()
	doc, _ := render(t, views.CredentialsWindow(vm))
	status := one(t, doc, `[data-testid=credential-status]`)
	if got, want := status.Text(), "Activated"; got != want {
		t.Errorf("status=%q, want %q", got, want)
	}
	if got, want := status.AttrOr("data-status", ""), "activated"; got != want {
		t.Errorf("data-status=%q, want %q", got, want)
	}
	paragraphs := doc.Find(`[data-testid=credential-description] p`)
	if got, want := paragraphs.Length(), len(vm.Description); got != want {
		t.Fatalf("description paragraphs=%d, want %d", got, want)
	}
	if got, want := paragraphs.Eq(1).Text(), vm.Description[1]; got != want {
		t.Errorf("paragraph 2=%q, want %q", got, want)
	}
	created := one(t, doc, `[data-testid=credential-created] time`)
	if got, want := created.Text(), "2026-11-26 09:14:02 UTC"; got != want {
		t.Errorf("created=%q, want %q", got, want)
	}
	if got, want := created.AttrOr("datetime", ""), "2026-11-26T09:14:02Z"; got != want {
		t.Errorf("datetime=%q, want %q", got, want)
	}
	if got, want := doc.Find(`[data-testid=credential-last-used]`).Text(), "Never"; got != want {
		t.Errorf("last used=%q, want %q", got, want)
	}
	none(t, doc, `[data-testid=credential-notice]`)
}

func TestKeyElementsHoldExactlyTheKey(t *testing.T) {
	for name, vm := range map[string]views.CredentialsVM{"masked": credentialsVM(), "full": fullKeysVM()} {
		t.Run(name, func(t *testing.T) {
			doc, _ := render(t, views.CredentialsWindow(vm))
			for id, want := range map[string]string{"access-key": vm.AccessKey, "secret-key": vm.SecretKey} {
				el := one(t, doc, `[data-testid=`+id+`]`)
				if got := el.Text(); got != want {
					t.Errorf("%s text=%q, want %q", id, got, want)
				}
				if got := el.Children().Length(); got != 0 {
					t.Errorf("%s has %d child elements, want none", id, got)
				}
				if got, want := el.AttrOr("id", ""), id+"-value"; got != want {
					t.Errorf("%s id=%q, want %q", id, got, want)
				}
			}
		})
	}
}

func TestNoCredentialsLeavesKeysBlankAndDatesDashed(t *testing.T) {
	vm := views.CredentialsVM{Page: adminPage("API Credentials"), StatusCode: "none", StatusLabel: "No Credentials", CanGenerate: true}
	doc, _ := render(t, views.CredentialsWindow(vm))
	for id, want := range map[string]string{"access-key": "", "secret-key": "", "credential-created": "—", "credential-last-used": "—"} {
		if got := strings.TrimSpace(one(t, doc, `[data-testid=`+id+`]`).Text()); got != want {
			t.Errorf("%s=%q, want %q", id, got, want)
		}
	}
	none(t, doc, `[data-testid=credential-created] time`)
}

func TestMaskedKeysHaveNoCopyButtons(t *testing.T) {
	doc, out := render(t, views.CredentialsWindow(credentialsVM()))
	none(t, doc, `[data-testid=copy-access-key]`)
	none(t, doc, `[data-testid=copy-secret-key]`)
	none(t, doc, `[data-copy-target$="-key-value"]`)
	none(t, doc, `[data-testid=one-time-warning]`)
	none(t, doc, `[data-testid=download-keys]`)
	if n := strings.Count(out, ">Copy<"); n != 1 {
		t.Errorf("%d Copy buttons for masked keys, want only the API base URL's", n)
	}
}

func TestFullKeysHaveCopyButtonsAndTheWarning(t *testing.T) {
	doc, _ := render(t, views.CredentialsWindow(fullKeysVM()))
	for _, id := range []string{"access-key", "secret-key"} {
		button := one(t, doc, `button[type=button][data-testid=copy-`+id+`]`)
		if got, want := button.Text(), "Copy"; got != want {
			t.Errorf("%s button=%q, want %q", id, got, want)
		}
		if got, want := button.AttrOr("data-copy-target", ""), id+"-value"; got != want {
			t.Errorf("%s data-copy-target=%q, want %q", id, got, want)
		}
		one(t, doc, `#`+id+`-value`)
		msg := button.Siblings().Filter(`[role=status][aria-live=polite][data-testid=copy-` + id + `-msg]`)
		if got, want := msg.Length(), 1; got != want {
			t.Errorf("%s: %d sibling status messages, want %d", id, got, want)
		}
	}
	warning := one(t, doc, `[data-testid=one-time-warning]`)
	if got, want := warning.Text(), "Copy both keys now and save them somewhere safe. The secret key will not be shown again."; got != want {
		t.Errorf("warning=%q, want %q", got, want)
	}
	if got, want := doc.Find(`#credentials-window`).AttrOr("data-pending", ""), "true"; got != want {
		t.Errorf("data-pending=%q, want %q", got, want)
	}
}

func TestButtonsAreDisabledWhenNotAvailable(t *testing.T) {
	tests := []struct {
		name                       string
		canGenerate, canDeactivate bool
	}{
		{"no credentials", true, false},
		{"pending activation", false, true},
		{"pending deactivation", false, false},
		{"both", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm := credentialsVM()
			vm.CanGenerate, vm.CanDeactivate = tt.canGenerate, tt.canDeactivate
			doc, _ := render(t, views.CredentialsWindow(vm))
			for id, enabled := range map[string]bool{"generate": tt.canGenerate, "deactivate": tt.canDeactivate} {
				_, disabled := one(t, doc, `button[data-testid=`+id+`]`).Attr("disabled")
				if got, want := disabled, !enabled; got != want {
					t.Errorf("%s disabled=%v, want %v", id, got, want)
				}
			}
		})
	}
}

func TestNoticeRoleFollowsSeverity(t *testing.T) {
	for _, tt := range []struct {
		isError bool
		role    string
	}{{true, "alert"}, {false, "status"}} {
		vm := credentialsVM()
		vm.Notice, vm.NoticeIsError = "Another admin generated credentials at the same time.", tt.isError
		doc, _ := render(t, views.CredentialsWindow(vm))
		notice := one(t, doc, `[data-testid=credential-notice]`)
		if got := notice.AttrOr("role", ""); got != tt.role {
			t.Errorf("NoticeIsError=%v: role=%q, want %q", tt.isError, got, tt.role)
		}
		if got, want := notice.Text(), vm.Notice; got != want {
			t.Errorf("notice=%q, want %q", got, want)
		}
	}
}

func TestErrorPageShowsShellOnlyWhenSignedIn(t *testing.T) {
	doc, _ := render(t, views.ErrorPage(views.ErrorVM{Page: adminPage("Not found"), Code: 404, Message: "Page not found."}))
	if got, want := one(t, doc, `[data-testid=error-code]`).Text(), "404"; got != want {
		t.Errorf("code=%q, want %q", got, want)
	}
	if got, want := one(t, doc, `[data-testid=error-message]`).Text(), "Page not found."; got != want {
		t.Errorf("message=%q, want %q", got, want)
	}
	one(t, doc, `[data-testid=user-menu]`)

	doc, _ = render(t, views.ErrorPage(views.ErrorVM{Page: views.Page{}, Code: 500, Message: "Something went wrong."}))
	if got, want := one(t, doc, `[data-testid=error-code]`).Text(), "500"; got != want {
		t.Errorf("code=%q, want %q", got, want)
	}
	none(t, doc, `[data-testid=user-menu]`)
}

func TestUserTextIsEscaped(t *testing.T) {
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	p := adminPage(evil)
	p.Username = evil
	vm := credentialsVM()
	vm.Page, vm.Notice, vm.Description = p, evil, []string{evil}
	vm.Plans = []views.PlanSummary{{ID: 1, Name: evil}}
	doc, _ := render(t, views.CredentialsWindow(vm))
	if v := cspViolations(doc); len(v) > 0 {
		t.Fatalf("user text became markup: %v", v)
	}
	if got := doc.Find(`[data-testid=user-menu]`).Text(); got != evil {
		t.Errorf("username=%q, want it verbatim as text", got)
	}
	none(t, doc, `img`)
}

func TestPageTitleNamesTheProduct(t *testing.T) {
	doc, _ := render(t, views.Home(views.HomeVM{Page: adminPage("Plans")}))
	if got, want := doc.Find("title").Text(), "Plans · ESP"; got != want {
		t.Errorf("title=%q, want %q", got, want)
	}
}
