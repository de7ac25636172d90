package web

import (
	"time"

	"github.com/labstack/echo/v4"

	"esp/lifecycle"
	"esp/views"
)

// Times in the window are UTC with the zone spelled out.
const displayTime = "2006-01-02 15:04:05 MST"

func formatTime(t time.Time) string { return t.UTC().Format(displayTime) }

// credentialFields is what the window and the live status show of the
// tenant's current credential, keys aside.
type credentialFields struct {
	StatusCode    string   `json:"status"`
	StatusLabel   string   `json:"label"`
	Description   []string `json:"description"`
	CanGenerate   bool     `json:"canGenerate"`
	CanDeactivate bool     `json:"canDeactivate"`
	Pending       bool     `json:"pending"`
	LastUsed      string   `json:"lastUsed"`
	Created       string   `json:"created"`
	CreatedISO    string   `json:"createdISO"`
}

func fieldsOf(cur lifecycle.Current) credentialFields {
	f := credentialFields{
		StatusCode:    string(cur.Status),
		StatusLabel:   cur.Status.Label(),
		Description:   cur.Status.Description(),
		CanGenerate:   cur.Status.CanGenerate(),
		CanDeactivate: cur.Status.CanDeactivate(),
		Pending:       cur.Status.Pending(),
	}
	if cur.Status == lifecycle.None {
		return f
	}
	c := cur.Credential
	f.Created, f.CreatedISO = formatTime(c.CreatedAt), c.CreatedAt.UTC().Format(time.RFC3339)
	f.LastUsed = "Never"
	if !c.LastUsedAt.IsZero() {
		f.LastUsed = formatTime(c.LastUsedAt)
	}
	return f
}

// credentialsVM is the window over the home page for cur, with masked keys.
func (s *Server) credentialsVM(c echo.Context, cur lifecycle.Current) (views.CredentialsVM, error) {
	plans, err := s.admin.plans.PlanSummaries(c.Request().Context(), currentSession(c).tenant.ID)
	if err != nil {
		return views.CredentialsVM{}, err
	}
	return s.windowVM(c, plans, cur), nil
}

// windowVM builds the window from what is already loaded; it cannot fail,
// so Generate can load everything first and lose no keys to an error after.
func (s *Server) windowVM(c echo.Context, plans []views.PlanSummary, cur lifecycle.Current) views.CredentialsVM {
	f := fieldsOf(cur)
	return views.CredentialsVM{
		Page:          s.page(c, "API Credentials"),
		Plans:         plans,
		StatusCode:    f.StatusCode,
		StatusLabel:   f.StatusLabel,
		Description:   f.Description,
		Created:       f.Created,
		CreatedISO:    f.CreatedISO,
		LastUsed:      f.LastUsed,
		AccessKey:     lifecycle.Mask(cur.Credential.AccessLast4),
		SecretKey:     lifecycle.Mask(cur.Credential.SecretLast4),
		CanGenerate:   f.CanGenerate,
		CanDeactivate: f.CanDeactivate,
		Pending:       f.Pending,
		// A new id for every rendering: each Generate form is carried out once.
		GenerateRequest: randomRequestID(),
		Tenant:          currentSession(c).tenant.Name,
	}
}
