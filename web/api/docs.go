package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"esp/views"
	"esp/web/httpx"
)

// DocsURL is where the API reference page is served.
const DocsURL = views.APIDocsURL

// docsPage is the API reference page, rendered once at start-up from the
// embedded OpenAPI document: the document never changes while the server
// runs, so neither does the page.
type docsPage struct {
	body []byte
	etag string
	err  error // the document could not be read or the page rendered
}

// newDocsPage renders the reference page of the OpenAPI document doc.
func newDocsPage(doc []byte) docsPage {
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true // to list paths and fields in the document's order
	t, err := loader.LoadFromData(doc)
	if err != nil {
		return docsPage{err: fmt.Errorf("api: read the OpenAPI document: %w", err)}
	}
	var buf bytes.Buffer
	if err := views.APIDocs(docsVM(t)).Render(context.Background(), &buf); err != nil {
		return docsPage{err: fmt.Errorf("api: render the API reference: %w", err)}
	}
	return docsPage{body: buf.Bytes(), etag: httpx.ETagOf(buf.Bytes())}
}

// Docs is GET /api/docs: the API reference for people. Anyone may read
// it, and caches may keep it; a new release changes its ETag.
func (h *Handlers) Docs(c echo.Context) error {
	if h.docs.err != nil {
		return h.docs.err
	}
	return httpx.ServeBlob(c, "public, max-age=300", echo.MIMETextHTMLCharsetUTF8, h.docs.body, h.docs.etag)
}

// docsVM is the page's view of the document t.
func docsVM(t *openapi3.T) views.APIDocsVM {
	vm := views.APIDocsVM{
		Page:    views.Page{Title: "API reference", Stylesheet: "/static/apidocs.css"},
		BaseURL: views.APIBaseURL,
	}
	if t.Info != nil {
		vm.Title, vm.Version = t.Info.Title, t.Info.Version
		vm.Intro = paragraphs(t.Info.Description)
	}
	if len(t.Servers) > 0 {
		vm.BaseURL = t.Servers[0].URL
	}
	vm.DocumentURL = vm.BaseURL + "/openapi.json" // where the API serves this document
	if t.Components != nil {
		for _, name := range inDocumentOrder(t.Components.SecuritySchemes, func(s *openapi3.SecuritySchemeRef) *openapi3.Origin { return nil }) {
			s := t.Components.SecuritySchemes[name].Value
			if s == nil {
				continue
			}
			vm.Schemes = append(vm.Schemes, views.APIScheme{Name: name, Kind: schemeKind(s), Description: s.Description})
		}
	}
	vm.Groups = docsGroups(t)
	return vm
}

// docsGroups are the document's operations by their first tag, the tags
// in the document's order; untagged operations come last.
func docsGroups(t *openapi3.T) []views.APIGroup {
	var groups []views.APIGroup
	index := map[string]int{}
	for _, tag := range t.Tags {
		index[tag.Name] = len(groups)
		groups = append(groups, views.APIGroup{Tag: tag.Name, Description: tag.Description})
	}
	paths := t.Paths.Map()
	for _, path := range inDocumentOrder(paths, func(p *openapi3.PathItem) *openapi3.Origin { return p.Origin }) {
		item := paths[path]
		for _, method := range docsMethods {
			op := item.GetOperation(method)
			if op == nil {
				continue
			}
			tag := "other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			i, ok := index[tag]
			if !ok {
				index[tag], i = len(groups), len(groups)
				groups = append(groups, views.APIGroup{Tag: tag})
			}
			groups[i].Operations = append(groups[i].Operations, docsOperation(t, method, path, item, op))
		}
	}
	return slices.DeleteFunc(groups, func(g views.APIGroup) bool { return len(g.Operations) == 0 })
}

// docsMethods are the methods a path may take, in the order the page lists them.
var docsMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
	http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodTrace}

// docsOperation is one operation's section of the page.
func docsOperation(t *openapi3.T, method, path string, item *openapi3.PathItem, op *openapi3.Operation) views.APIOperation {
	anchor := "op-" + op.OperationID
	if op.OperationID == "" {
		anchor = "op-" + strings.ToLower(method) + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path)
	}
	o := views.APIOperation{Anchor: anchor, Method: method, Path: path, Summary: op.Summary,
		Description: paragraphs(op.Description)}
	o.Auth, o.AuthOptional = docsAuth(t, op)
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		if p.Value == nil {
			continue
		}
		o.Params = append(o.Params, views.APIParam{Name: p.Value.Name, In: p.Value.In, Type: schemaType(p.Value.Schema),
			Description: p.Value.Description, Required: p.Value.Required})
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		b := op.RequestBody.Value
		o.Body = &views.APIBody{Required: b.Required, Media: docsMedia(b.Content)}
	}
	if op.Responses != nil {
		o.Responses = docsResponses(op.Responses)
	}
	return o
}

// docsAuth names the security schemes that may authenticate op (any one
// of them), and whether it may also go unauthenticated ({} among them).
func docsAuth(t *openapi3.T, op *openapi3.Operation) (names []string, optional bool) {
	reqs := t.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	for _, req := range reqs {
		if len(req) == 0 {
			optional = true
		}
		for name := range req {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names, optional
}

// docsResponses are an operation's responses by status, "default" last.
func docsResponses(rs *openapi3.Responses) []views.APIResponse {
	codes := rs.Keys()
	slices.SortFunc(codes, func(a, b string) int { return statusOrder(a) - statusOrder(b) })
	var out []views.APIResponse
	for _, code := range codes {
		r := rs.Value(code).Value
		if r == nil {
			continue
		}
		vr := views.APIResponse{Status: code, Media: docsMedia(r.Content)}
		if r.Description != nil {
			vr.Description = *r.Description
		}
		for _, name := range inDocumentOrder(r.Headers, func(*openapi3.HeaderRef) *openapi3.Origin { return nil }) {
			h := r.Headers[name].Value
			if h == nil {
				continue
			}
			vr.Headers = append(vr.Headers, views.APIParam{Name: name, Type: schemaType(h.Schema), Description: h.Description})
		}
		out = append(out, vr)
	}
	return out
}

// statusOrder sorts status codes by number, and "default" or a range
// ("4XX") after the numbers.
func statusOrder(code string) int {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	return 1000 + int(code[0])
}

// paragraphs splits a description at its blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// schemeKind words a security scheme's type for people.
func schemeKind(s *openapi3.SecurityScheme) string {
	switch {
	case s.Type == "http" && s.Scheme != "":
		return "HTTP " + s.Scheme
	case s.Type == "apiKey":
		return "API key in the " + s.In + " " + s.Name
	}
	return s.Type
}
