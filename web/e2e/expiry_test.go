package e2e_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// expiryChoice is the Generate form's expiry choice as the admin sees it.
type expiryChoice struct {
	Options  []string `json:"options"`  // the values offered
	Selected string   `json:"selected"` // the value chosen
	Policy   string   `json:"policy"`   // the line explaining the tenant's maximum, if shown
	Expires  string   `json:"expires"`  // the credentials' expiry as the window shows it
	Amber    bool     `json:"amber"`
}

func (tb *tab) expiryChoice() expiryChoice {
	tb.t.Helper()
	return eval[expiryChoice](tb, `(() => {
  const sel = document.querySelector('[data-testid="generate-expiry"]');
  const policy = document.querySelector('[data-testid="expiry-policy"]');
  const expires = document.querySelector('[data-testid="credential-expires"]');
  return {options: Array.from(sel.options).map(o => o.value), selected: sel.value,
          policy: policy ? policy.textContent.trim() : '', expires: expires.textContent.trim(),
          amber: expires.classList.contains('expires-soon')};
})()`)
}

// esp runs an esp command on the server's data folder, beside the server.
func (s *server) esp(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(espBinary, append(args, "--data", s.Data)...).CombinedOutput()
	if err != nil {
		t.Fatalf("esp %s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// TestExpiryJourney: under a 5-second maximum set by an operator, the
// window offers only the maximum and says why; the keys it generates show
// their expiry in amber and, once it has passed, the scheduler deactivates
// them and the history says they expired. With the maximum removed, the
// admin picks 30 days beside Generate and the window says so.
func TestExpiryJourney(t *testing.T) {
	srv := startServer(t, "--activator", "local")
	srv.esp(t, "tenant", "policy", "demo", "--max-credential-lifetime", "5s")
	tb := startBrowser(t)
	tb.login(srv.LocalURL(), "admin", srv.Passwords["admin"])
	tb.openWindowFromMenu()
	c := tb.expiryChoice()
	if len(c.Options) != 1 || c.Options[0] != "max" || !strings.Contains(c.Policy, "at most 5s") {
		t.Fatalf("under a 5s maximum: %+v", c)
	}
	tb.checkAxe("the window with an expiry policy")
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d", code)
	}
	tb.waitFor("Activated", func(s screen) bool { return s.Status == "Activated" })
	if c := tb.expiryChoice(); !strings.HasSuffix(c.Expires, "UTC, in less than a day") || !c.Amber {
		t.Fatalf("the new keys' expiry: %+v, want within a day, amber", c)
	}
	deadline := time.Now().Add(stepTimeout)
	for tb.reload(); ; tb.reload() {
		if s := tb.waitFor("the window", func(s screen) bool { return s.WindowOpen }); s.Status == "Deactivated" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the keys were not deactivated after their expiry: %+v", tb.expiryChoice())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if code := tb.clickAndLoad("credential-history-link"); code != 200 {
		t.Fatalf("History answered %d", code)
	}
	got := tb.historyEntries()
	if len(got) < 3 || got[2].Event != "Expired" || got[2].Actor != "ESP" || got[1].Event != "Deactivation requested" || got[0].Event != "Deactivated" {
		t.Fatalf("history %+v, want Deactivated, Deactivation requested, Expired (ESP) on top", got)
	}

	srv.esp(t, "tenant", "policy", "demo", "--max-credential-lifetime", "off")
	tb.navigate(srv.LocalURL() + "/api-credentials")
	c = tb.expiryChoice()
	if strings.Join(c.Options, " ") != "30d 90d 1y never" || c.Selected != "1y" || c.Policy != "" {
		t.Fatalf("without a maximum: %+v", c)
	}
	eval[bool](tb, `(() => { const s = document.querySelector('[data-testid="generate-expiry"]'); s.value = '30d'; return true; })()`)
	if code := tb.clickAndLoad("generate"); code != 200 {
		t.Fatalf("Generate answered %d", code)
	}
	tb.waitFor("the new keys", func(s screen) bool { return s.AccessKey != "" && s.OneTimeWarning })
	if c := tb.expiryChoice(); !strings.HasSuffix(c.Expires, "UTC, in 30 days") || c.Amber {
		t.Fatalf("keys generated for 30 days: %+v", c)
	}
}
