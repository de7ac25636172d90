// Package views holds the templ components of the ESP admin console.
//
// Components take plain view-model structs built by the web layer. They never
// see a store, a session or a request: everything a page shows is already
// decided and formatted when it gets here, so a component can be rendered and
// checked in a test with nothing but a struct literal.
package views

// Page is what every page's shell needs.
type Page struct {
	Title              string
	Username           string // empty on the login page: no user menu then
	IsAdmin            bool
	ShowAPICredentials bool   // the user-menu item appears only when true
	CSRFToken          string // put into every form as <input type="hidden" name="_csrf" value="...">
	Stylesheet         string // a same-origin stylesheet of this page only, after app.css; "" none
}

// PlanSummary is one line of the plans table on the home page.
type PlanSummary struct {
	ID          int64
	Name        string
	Rows        int64
	Interval    string // "week", "day", "month", "mixed", or "" when not known
	First, Last string // first/last interval_start, YYYY-MM-DD, may be ""
}

// LoginVM is the login form, empty or after a failed attempt.
type LoginVM struct {
	Page
	Username string // re-filled after a failed attempt
	Error    string // e.g. "Wrong username or password." shown in role=alert
	Notice   string // e.g. "You have been logged out." shown in role=status
}

// HomeVM is the app's start page: the tenant's plans.
type HomeVM struct {
	Page
	Plans []PlanSummary
}

// CredentialsVM is the API Credentials window over the home page.
type CredentialsVM struct {
	Page
	Plans         []PlanSummary // the app behind the dialog (render the home content underneath)
	StatusCode    string        // machine value: "none","pending_activation","activated","activation_failed","pending_deactivation","deactivated","deactivation_failed"
	StatusLabel   string        // "No Credentials", "Pending Activation", ...
	Description   []string      // the status's description paragraphs, as the user's help page words them
	Created       string        // preformatted "2026-11-26 09:14:02 UTC" or "" when none (shown as "—")
	CreatedISO    string        // RFC 3339 for a <time datetime>, or ""
	LastUsed      string        // preformatted, or "Never" ; "" when no credential (shown as "—")
	AccessKey     string        // full key right after Generate, else masked like "••••••••WXYZ", "" when none
	SecretKey     string        // same
	FullKeys      bool          // true only in the Generate answer: shows Copy buttons + the one-time warning
	CanGenerate   bool
	CanDeactivate bool
	Pending       bool // status is pending_*: the live-status script polls
	// LeakURL, when a leak report deactivated the credential, is where
	// its keys were found.
	LeakURL       string
	Notice        string // an info/error message, e.g. "Another admin generated credentials at the same time." (role=status/alert)
	NoticeIsError bool
	// GenerateRequest is the Generate form's one-time request id: the
	// server carries out each one once (a resent form shows the window).
	GenerateRequest string
	Tenant          string // the tenant's name: named in the window and in the downloaded keys file
	// LastUsedISO is LastUsed as RFC 3339 for a <time datetime>, or "" when
	// never used (or no credential).
	LastUsedISO string
	// APIBase is the public API's base URL in full, as clients reach it
	// (e.g. "https://esp.example.com/api/v1"), shown with a Copy button.
	APIBase string
	// ConfirmDeactivate opens the Deactivate confirmation with the page:
	// the answer to a Deactivate form sent without confirm=yes (no script).
	ConfirmDeactivate bool
	// Expires is when the credential expires, "2027-03-01 09:14 UTC, in 84
	// days", or "Never"; "" when there is no credential (shown as "—").
	Expires    string
	ExpiresISO string // RFC 3339 for a <time datetime>, or ""
	// ExpiresLeft, when ExpiresISO is set, is what is left of the time
	// after it, ", in 84 days", outside the <time> that the page's script
	// shows in the browser's zone; Expires is then the time alone.
	ExpiresLeft string
	ExpiresSoon bool // a live credential expiring within 7 days: shown amber
	// ExpiryOptions are the Generate form's choices of lifetime (its
	// select named "expiry"); one is Selected.
	ExpiryOptions []ExpiryOption
	// ExpiryPolicy explains the tenant's maximum lifetime beside the
	// choices; "" when the tenant has none.
	ExpiryPolicy string
	// LastUsedFrom is the address and client of the last use,
	// "203.0.113.9 · curl/8.5.0"; "" when not known (shown as "—").
	LastUsedFrom string
	// RecentAddresses are the latest addresses that used the credential,
	// one entry each, newest first (at most 5).
	RecentAddresses []RecentAddress
}

// ExpiryOption is one choice of lifetime at Generate.
type ExpiryOption struct {
	Value, Label string
	Selected     bool
}

// RecentAddress is one address that used the current credential, with its
// latest use, preformatted.
type RecentAddress struct {
	Addr    string // "203.0.113.9", or "unknown address"
	Client  string // the User-Agent, shortened ("" when none was sent)
	When    string // "2026-11-26 09:14:02 UTC"
	WhenISO string // RFC 3339, for <time datetime>
}

// AllowedIPsURL is the allowed addresses page's address, linked from the
// window.
const AllowedIPsURL = "/api-credentials/allowed-ips"

// AllowedIPsVM is the page where an admin edits the tenant's allowed
// addresses.
type AllowedIPsVM struct {
	Page
	List          string // the textarea: the saved list normalised, or what was sent when refused
	Entries       int    // entries in the saved list; 0 is any address
	Max           int    // how many entries a list may hold
	YourAddress   string // the admin's own address as the server sees it
	Notice        string // "Saved." (role=status) or why the list was refused (role=alert)
	NoticeIsError bool
}

// ErrorVM is an error page; the shell is shown only when Username is set.
type ErrorVM struct {
	Page
	Code    int
	Message string
	// Refusal, when set, explains to a signed-in user why the API
	// Credentials window is not theirs, and whom to ask.
	Refusal *Refusal
}

// Refusal is why the API Credentials window does not exist for a user:
// they are not an ESP admin (Admins names who is), or their tenant's
// public API is off.
type Refusal struct {
	Tenant      string
	UserIsAdmin bool     // true: the public API is off for the tenant
	Admins      []string // the tenant's ESP admins by username, at most a few
	MoreAdmins  int      // how many more admins there are than Admins names
}

// CloseURL is where the window's Close goes: the home page, its fragment
// naming the user menu, which takes the focus back.
const CloseURL = "/#user-menu"

// WindowURL is the API Credentials window's address: the page after
// Generate puts it in the browser's history, so that reload and Back load
// the window instead of sending Generate again.
const WindowURL = "/api-credentials"

// APIBaseURL is where the public API is served, relative to the site; the
// downloaded keys file names it in full, as the browser sees the site.
const APIBaseURL = "/api/v1"

// APIDocsURL is the API reference, a page of the site.
const APIDocsURL = "/api/docs"

// DeactivateURL is where the Deactivate form posts; ConfirmField=ConfirmYes
// in it says the admin confirmed.
const (
	DeactivateURL = "/api-credentials/deactivate"
	ConfirmField  = "confirm"
	ConfirmYes    = "yes"
)

// StatusURL is where the live-status script of the credentials window polls.
const StatusURL = "/api-credentials/status"
