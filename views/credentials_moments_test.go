package views_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"esp/views"
)

// order is the data-testids of ids as they come in the document.
func order(doc *goquery.Document, ids ...string) []string {
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	var got []string
	doc.Find(`[data-testid]`).Each(func(_ int, el *goquery.Selection) {
		if id := el.AttrOr("data-testid", ""); want[id] {
			got = append(got, id)
		}
	})
	return got
}

func TestAfterGenerateTheSecretComesFirstAndThePinnedBarHoldsCloseOnly(t *testing.T) {
	doc, _ := render(t, views.CredentialsWindow(fullKeysVM()))
	got := strings.Join(order(doc, "one-time-warning", "access-key", "copy-access-key", "secret-key", "copy-secret-key", "download-keys", "credential-status", "credential-description", "generate", "deactivate"), " ")
	if want := "one-time-warning access-key copy-access-key secret-key copy-secret-key download-keys credential-status credential-description generate deactivate"; got != want {
		t.Errorf("after Generate the window holds, in order:\n%s\nwant\n%s", got, want)
	}
	footer := one(t, doc, `#credentials-window > .dialog-footer`)
	if ids := footer.Find(`[data-testid]`); ids.Length() != 1 || ids.AttrOr("data-testid", "") != "close-window" {
		t.Errorf("the pinned bar holds %d hooks, want only close-window", ids.Length())
	}
	body := one(t, doc, `#credentials-window > .dialog-body`)
	for _, id := range []string{"generate", "deactivate"} {
		if body.Find(`[data-testid=`+id+`]`).Length() != 1 {
			t.Errorf("%s is not in the body while the full keys are shown", id)
		}
	}
	one(t, doc, `dialog[data-testid=close-guard]:not([open])`)
	if got := strings.TrimSpace(one(t, doc, `[data-testid=close-guard]`).Find("p").Text()); got != "You have not copied or downloaded the secret key. It cannot be shown again. Close anyway?" {
		t.Errorf("close guard says %q", got)
	}
}

func TestMaskedKeysKeepTheActionsPinnedAndNoCloseGuard(t *testing.T) {
	doc, _ := render(t, views.CredentialsWindow(credentialsVM()))
	none(t, doc, `[data-testid=close-guard]`)
	footer := one(t, doc, `#credentials-window > .dialog-footer`)
	for _, id := range []string{"generate", "deactivate", "close-window"} {
		if footer.Find(`[data-testid=`+id+`]`).Length() != 1 {
			t.Errorf("%s is not in the pinned bar", id)
		}
	}
}

func TestDeactivateConfirmationNamesTheKeyAndSendsConfirmYes(t *testing.T) {
	vm := credentialsVM()
	vm.LastUsed, vm.LastUsedISO = "2026-12-01 10:00:00 UTC", "2026-12-01T10:00:00Z"
	doc, _ := render(t, views.CredentialsWindow(vm))
	d := one(t, doc, `dialog[data-testid=confirm-deactivate]`)
	if _, open := d.Attr("open"); open {
		t.Error("the confirmation is open before Deactivate was pressed")
	}
	if got := d.Find(`[data-testid=confirm-deactivate-key]`).Text(); got != "••••WXYZ" {
		t.Errorf("the confirmation names the key %q, want ••••WXYZ", got)
	}
	last := d.Find(`[data-testid=confirm-deactivate-last-used] time`)
	if last.AttrOr("datetime", "") != vm.LastUsedISO || last.Text() != vm.LastUsed {
		t.Errorf("last used in the confirmation = %q (%q)", last.Text(), last.AttrOr("datetime", ""))
	}
	if text := d.Text(); !strings.Contains(text, "Client programs using it stop working at once") {
		t.Errorf("the confirmation does not say clients stop at once: %q", text)
	}
	form := one(t, doc, `dialog[data-testid=confirm-deactivate] form[method=post][action="/api-credentials/deactivate"]`)
	if form.Find(`input[type=hidden][name=confirm][value=yes]`).Length() != 1 || form.Find(`input[name=_csrf]`).AttrOr("value", "") != token {
		t.Error("the confirmation's form lacks confirm=yes or the CSRF token")
	}
	one(t, doc, `dialog[data-testid=confirm-deactivate] form[method=post] button[type=submit][data-testid=confirm-deactivate-submit]`)
	one(t, doc, `dialog[data-testid=confirm-deactivate] form[method=dialog] button[data-testid=confirm-deactivate-cancel][autofocus]`)
	// The window's own Deactivate form says nothing of confirm: without
	// script, the server answers it with the confirmation.
	none(t, doc, `.dialog-footer form[action="/api-credentials/deactivate"] input[name=confirm]`)
}

func TestTheConfirmationOpensWithThePageWhenAsked(t *testing.T) {
	vm := credentialsVM()
	vm.ConfirmDeactivate = true
	doc, _ := render(t, views.CredentialsWindow(vm))
	one(t, doc, `dialog[data-testid=confirm-deactivate][open]`)
	one(t, doc, `.confirm-backdrop`)
}

func TestNoConfirmationWhileDeactivateIsUnavailable(t *testing.T) {
	vm := credentialsVM()
	vm.CanDeactivate = false
	doc, _ := render(t, views.CredentialsWindow(vm))
	none(t, doc, `[data-testid=confirm-deactivate]`)
}

func TestTheWindowNamesTheTenantAndTheAPI(t *testing.T) {
	vm := credentialsVM()
	vm.Tenant, vm.APIBase = "acme", "https://esp.example.com/api/v1"
	doc, _ := render(t, views.CredentialsWindow(vm))
	if got := one(t, doc, `.dialog-head [data-testid=tenant-name]`).Text(); got != "acme" {
		t.Errorf("tenant-name = %q", got)
	}
	base := one(t, doc, `[data-testid=api-base-url]`)
	if base.Text() != vm.APIBase {
		t.Errorf("api-base-url = %q, want %q", base.Text(), vm.APIBase)
	}
	copyBase := one(t, doc, `button[data-testid=copy-api-base-url]`)
	if copyBase.AttrOr("data-copy-target", "") != base.AttrOr("id", "-") {
		t.Error("the API base URL's Copy button does not copy it")
	}
	if got := one(t, doc, `[data-testid=credentials-window] a[data-testid=api-docs-link]`).AttrOr("href", ""); got != "/api/docs" {
		t.Errorf("API reference link = %q, want /api/docs", got)
	}
}

func TestTheEmptyStateSaysWhatKeysAreForWithoutEmptyBoxes(t *testing.T) {
	vm := views.CredentialsVM{Page: adminPage("API Credentials"), StatusCode: "none", StatusLabel: "No Credentials", CanGenerate: true}
	doc, _ := render(t, views.CredentialsWindow(vm))
	if got := one(t, doc, `[data-testid=credentials-empty]`).Text(); !strings.Contains(got, "programs") || !strings.Contains(got, "Generate") {
		t.Errorf("empty state = %q", got)
	}
	for _, id := range []string{"access-key", "secret-key"} {
		if one(t, doc, `[data-testid=`+id+`]`).Closest(`[hidden]`).Length() != 1 {
			t.Errorf("%s is shown with no credentials: an empty box that looks like an input", id)
		}
	}
	doc, _ = render(t, views.CredentialsWindow(credentialsVM()))
	none(t, doc, `[data-testid=credentials-empty]`)
	none(t, doc, `[data-testid=access-key][hidden], [hidden] [data-testid=access-key]`)
}

func TestTimesCarryUTCInTheirTitle(t *testing.T) {
	vm := credentialsVM()
	vm.LastUsed, vm.LastUsedISO = "2026-12-01 10:00:00 UTC", "2026-12-01T10:00:00Z"
	doc, _ := render(t, views.CredentialsWindow(vm))
	created := one(t, doc, `[data-testid=credential-created] time`)
	if created.AttrOr("title", "") != vm.Created {
		t.Errorf("created title = %q, want %q", created.AttrOr("title", ""), vm.Created)
	}
	if _, rel := created.Attr("data-relative"); rel {
		t.Error("Created is marked relative; only Last used is")
	}
	last := one(t, doc, `[data-testid=credential-last-used] time[data-relative]`)
	if last.AttrOr("title", "") != vm.LastUsed || last.AttrOr("datetime", "") != vm.LastUsedISO {
		t.Errorf("last used = %q title %q datetime %q", last.Text(), last.AttrOr("title", ""), last.AttrOr("datetime", ""))
	}
}

func TestBusyFormsSayWhatTheyDo(t *testing.T) {
	doc, _ := render(t, views.CredentialsWindow(credentialsVM()))
	if got := one(t, doc, `form[action="/api-credentials/generate"]`).AttrOr("data-busy", ""); got != "Generating…" {
		t.Errorf("Generate's busy label = %q", got)
	}
	if got := one(t, doc, `dialog form[action="/api-credentials/deactivate"]`).AttrOr("data-busy", ""); got != "Deactivating…" {
		t.Errorf("Deactivate's busy label = %q", got)
	}
	one(t, doc, `[data-testid=status-checking][hidden]`)
	one(t, doc, `[data-testid=status-stale][hidden]`)
}
