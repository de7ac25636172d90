// Package static holds the admin console's stylesheet and script, embedded in
// the binary. The web package serves FS under /static/ (app.css, app.js).
//
// Both are same-origin files on purpose: the Content-Security-Policy allows no
// inline script or style, so everything the pages do lives here.
package static

import "embed"

// FS holds app.css and app.js at its root.
//
//go:embed app.css app.js
var FS embed.FS
