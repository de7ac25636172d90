// Package static holds the admin console's stylesheet, script and icon,
// embedded in the binary. The web package serves FS under /static/ (app.css,
// app.js, favicon.svg), and the icon at /favicon.ico too.
//
// Both are same-origin files on purpose: the Content-Security-Policy allows no
// inline script or style, so everything the pages do lives here.
package static

import "embed"

// FS holds app.css, apidocs.css (the API reference page's own rules),
// app.js and favicon.svg at its root.
//
//go:embed app.css apidocs.css app.js favicon.svg
var FS embed.FS
