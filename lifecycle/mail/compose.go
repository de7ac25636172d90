// Package mail sends the outbox's notices by SMTP: it composes each
// message from the facts of its notice (the words come from lifecycle's
// table of notified events) and hands it to the mail server.
package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"text/template"

	"esp/lifecycle"
)

// Message is one composed notice.
type Message struct {
	Subject   string
	Text      string
	HTML      string
	MessageID string // without the angle brackets
}

// view is what the templates show; only a key's last 4 characters are in it.
type view struct {
	Tenant, Last4, When, Actor, Body, Next, Detail, DetailLabel, Window string
}

const textBody = `{{.Body}}.

Tenant:      {{.Tenant}}
{{- if .Last4}}
Credentials: ••••{{.Last4}}{{end}}
When:        {{.When}}
By:          {{.Actor}}
{{- if .Detail}}
{{.DetailLabel}}: {{.Detail}}{{end}}

What to do next: {{.Next}}
{{- if .Window}}

API Credentials window: {{.Window}}{{end}}

-- 
This message was sent automatically by ESP to the tenant's ESP admins.
`

const htmlBody = `<!DOCTYPE html>
<html><body>
<p>{{.Body}}.</p>
<table>
<tr><th align="left">Tenant</th><td>{{.Tenant}}</td></tr>
{{- if .Last4}}
<tr><th align="left">Credentials</th><td>••••{{.Last4}}</td></tr>{{end}}
<tr><th align="left">When</th><td>{{.When}}</td></tr>
<tr><th align="left">By</th><td>{{.Actor}}</td></tr>
{{- if .Detail}}
<tr><th align="left">{{.DetailLabel}}</th><td>{{.Detail}}</td></tr>{{end}}
</table>
<p>What to do next: {{.Next}}</p>
{{- if .Window}}
<p><a href="{{.Window}}">Open the API Credentials window</a></p>{{end}}
<p style="color:#666">This message was sent automatically by ESP to the tenant's ESP admins.</p>
</body></html>
`

var (
	textTemplate = template.Must(template.New("text").Parse(textBody))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("html").Parse(htmlBody))
)

// Compose is notice n as a message. publicURL, when not empty, is where
// ESP is served, for the link to the window; host names the sender in the
// Message-ID, which is the same for every attempt at one notice.
func Compose(n lifecycle.Notice, publicURL, host string) (Message, error) {
	w, ok := lifecycle.WordsOf(n.Event)
	if !ok {
		return Message{}, fmt.Errorf("mail: no words for event %q", n.Event)
	}
	v := view{Tenant: n.TenantName, Last4: n.AccessLast4, When: n.At.UTC().Format("2006-01-02 15:04:05 MST"),
		Actor: lifecycle.ActorName(n.Actor), Body: w.Body, Next: w.Next, Detail: n.Detail, DetailLabel: "Detail"}
	if w.ByActor {
		v.Body += " by " + v.Actor
	}
	if w.DetailLabel != "" {
		v.DetailLabel = w.DetailLabel
	}
	if strings.HasPrefix(n.Detail, "http://") || strings.HasPrefix(n.Detail, "https://") {
		v.DetailLabel = "Report"
	}
	if publicURL != "" {
		v.Window = strings.TrimRight(publicURL, "/") + "/api-credentials"
	}
	var text, html bytes.Buffer
	if err := textTemplate.Execute(&text, v); err != nil {
		return Message{}, fmt.Errorf("mail: compose: %w", err)
	}
	if err := htmlTemplate.Execute(&html, v); err != nil {
		return Message{}, fmt.Errorf("mail: compose: %w", err)
	}
	return Message{
		Subject:   subject(n, w),
		Text:      text.String(),
		HTML:      html.String(),
		MessageID: fmt.Sprintf("esp-audit-%d-to-%d@%s", n.AuditID, n.UserID, host),
	}, nil
}

// subject is a message's subject: of one credential, it names the
// credential by its last 4; of the tenant's credentials together (an
// event with no credential, such as a change of the allowed addresses),
// it names none.
func subject(n lifecycle.Notice, w lifecycle.NoticeWords) string {
	if n.AccessLast4 == "" {
		return fmt.Sprintf("[ESP %s] API credentials: %s", n.TenantName, w.Subject)
	}
	return fmt.Sprintf("[ESP %s] API credentials ••••%s %s", n.TenantName, n.AccessLast4, w.Subject)
}
