package views

import "strings"

// APIDocsVM is the public API's reference page (GET /api/docs), made from
// the OpenAPI document the API serves, so that the two never disagree.
type APIDocsVM struct {
	Page
	Title, Version string
	Intro          []string // the document's description, one paragraph each
	BaseURL        string   // where the operations' paths start, e.g. "/api/v1"
	DocumentURL    string   // the OpenAPI document itself
	Schemes        []APIScheme
	Groups         []APIGroup
}

// APIScheme is one way of authenticating a request.
type APIScheme struct {
	Name        string // the document's name for it, e.g. "bearerAuth"
	Kind        string // e.g. "HTTP bearer"
	Description string
}

// APIGroup is the operations of one tag, in the document's order.
type APIGroup struct {
	Tag         string
	Description string
	Operations  []APIOperation
}

// APIOperation is one method on one path.
type APIOperation struct {
	Anchor      string // the element id that links to it
	Method      string // upper case: GET, HEAD, POST
	Path        string // as the document writes it, relative to the base URL
	Summary     string
	Description []string // paragraphs
	Auth        []string // the schemes that may authenticate it, any one of them; none: no authentication
	// AuthOptional: the operation may also be called without any of Auth.
	AuthOptional bool
	Params       []APIParam
	Body         *APIBody // nil: the operation takes no body
	Responses    []APIResponse
}

// APIParam is a parameter, or a header of a response.
type APIParam struct {
	Name, In, Type, Description string
	Required                    bool
}

// APIBody is an operation's request body.
type APIBody struct {
	Required bool
	Media    []APIMedia
}

// APIMedia is a body in one media type: its schema's type and description,
// and the fields of an object, nested ones named with dots
// ("error.code", "rows[].skill").
type APIMedia struct {
	Type              string
	Schema            string
	SchemaDescription string
	Fields            []APIField
}

// APIField is one property of a body's schema.
type APIField struct {
	Name, Type, Description string
	Required                bool
}

// APIResponse is one answer an operation may give.
type APIResponse struct {
	Status      string // "200", "404", or "default"
	Description string
	Headers     []APIParam
	Media       []APIMedia
}

// codeRun is a piece of a description: plain text, or code written
// between backticks.
type codeRun struct {
	Text string
	Code bool
}

// codeRuns splits s at its backticks: the OpenAPI descriptions mark code
// and literal values that way (their only Markdown).
func codeRuns(s string) []codeRun {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: all plain text
		return []codeRun{{Text: s}}
	}
	runs := make([]codeRun, 0, len(parts))
	for i, p := range parts {
		if p != "" {
			runs = append(runs, codeRun{Text: p, Code: i%2 == 1})
		}
	}
	return runs
}

// authSep goes before the i-th authentication scheme of an operation.
func authSep(i int) string {
	if i == 0 {
		return ""
	}
	return " or "
}

// authEnd follows the i-th authentication scheme of op: nothing but after
// the last, where it says whether none will do too, and ends the sentence.
func authEnd(op APIOperation, i int) string {
	switch {
	case i < len(op.Auth)-1:
		return ""
	case op.AuthOptional:
		return ", or none."
	}
	return "."
}

// requiredMark follows a field's type: ", required" or nothing.
func requiredMark(required bool) string {
	if required {
		return ", required"
	}
	return ""
}

// optional follows "Request body" when the body may be left out.
func optional(required bool) string {
	if required {
		return ""
	}
	return " (optional)"
}

// tokenExample is a shell session that gets a token and uses it, with
// the keys in the environment.
func tokenExample(base string) string {
	return `ESP=https://esp.example.com   # this server's address
TOKEN=$(curl -s -X POST "$ESP` + base + `/oauth/token" -u "$ESP_ACCESS_KEY:$ESP_SECRET_KEY" \
  -d grant_type=client_credentials | jq -r .access_token)
curl -s "$ESP` + base + `/plans" -H "Authorization: Bearer $TOKEN"`
}
