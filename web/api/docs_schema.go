package api

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"esp/views"
)

// maxFieldDepth bounds how deep the page follows nested objects, so that
// a schema that refers to itself still ends.
const maxFieldDepth = 4

// docsMedia is a body's media types, each with its schema.
func docsMedia(content openapi3.Content) []views.APIMedia {
	var out []views.APIMedia
	for _, typ := range inDocumentOrder(content, func(m *openapi3.MediaType) *openapi3.Origin { return m.Origin }) {
		m := views.APIMedia{Type: typ}
		if s := content[typ].Schema; s != nil && s.Value != nil {
			m.Schema, m.SchemaDescription = schemaType(s), s.Value.Description
			m.Fields = schemaFields("", s, 0)
		}
		out = append(out, m)
	}
	return out
}

// schemaFields lists the properties of an object schema, and those of the
// objects inside it, named from prefix ("error.code", "rows[].skill").
func schemaFields(prefix string, s *openapi3.SchemaRef, depth int) []views.APIField {
	if s == nil || s.Value == nil || depth > maxFieldDepth {
		return nil
	}
	v := s.Value
	if v.Type.Is("array") {
		return schemaFields(prefix+"[]", v.Items, depth+1)
	}
	var out []views.APIField
	for _, name := range inDocumentOrder(v.Properties, schemaOrigin) {
		p, full := v.Properties[name], name
		if p == nil || p.Value == nil {
			continue
		}
		if prefix != "" {
			full = prefix + "." + name
		}
		out = append(out, views.APIField{Name: full, Type: schemaType(p), Description: p.Value.Description,
			Required: slices.Contains(v.Required, name)})
		out = append(out, schemaFields(full, p, depth+1)...)
	}
	return out
}

// schemaType words a schema's type: "integer (int64)", "array of PlanRow",
// "string, one of csv, ndjson", with ", or null" when it may be null.
func schemaType(s *openapi3.SchemaRef) string {
	if s == nil || s.Value == nil {
		return "any"
	}
	v := s.Value
	var t string
	switch {
	case s.Ref != "" && v.Type.Is("object"):
		t = s.Ref[strings.LastIndex(s.Ref, "/")+1:] + " object"
	case v.Type.Is("array"):
		t = "array of " + schemaType(v.Items)
	case v.Type == nil || v.Type.IsEmpty():
		t = "any"
	default:
		t = strings.Join(v.Type.Slice(), " or ")
	}
	if v.Format != "" {
		t += " (" + v.Format + ")"
	}
	if len(v.Enum) > 0 {
		vals := make([]string, len(v.Enum))
		for i, e := range v.Enum {
			vals[i] = fmt.Sprint(e)
		}
		t += ", one of " + strings.Join(vals, ", ")
	}
	if v.Nullable {
		t += ", or null"
	}
	return t
}

// inDocumentOrder is the names of m in the order the document writes
// them (by the line each starts on), by name where it does not say.
func inDocumentOrder[V any](m map[string]V, origin func(V) *openapi3.Origin) []string {
	line := func(name string) int {
		if o := origin(m[name]); o != nil && o.Key != nil {
			return o.Key.Line
		}
		return 0
	}
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Or(cmp.Compare(line(a), line(b)), cmp.Compare(a, b)) })
	return names
}

// schemaOrigin is where the document writes a schema, if known.
func schemaOrigin(s *openapi3.SchemaRef) *openapi3.Origin {
	if s == nil || s.Value == nil {
		return nil
	}
	return s.Value.Origin
}
