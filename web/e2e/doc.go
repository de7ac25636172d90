// Package e2e holds the browser tests of the ESP admin console. They build
// the esp binary, run `esp serve` on a fresh data folder and drive a real
// Chromium through chromedp, asserting what a person sees at each step of an
// admin's journey through the API Credentials window: a dialog that does not
// open, a Copy button that silently fails or a status that never refreshes
// are invisible to tests that only parse HTML.
//
// The journeys run on a 1280 × 800 laptop screen and on an emulated
// 390 × 844 phone, in the light and (emulated prefers-color-scheme) the dark
// scheme. On every page they check what a careful admin notices:
// no sideways scrolling, dates never broken over two lines, the window's
// actions on screen without scrolling the page, focus rings of at least
// 3:1, and no axe-core violation.
//
// The tests find Chromium through $CHROME_PATH, then chromium,
// chromium-browser or google-chrome on PATH, and axe-core through
// $ESP_AXE_JS, then .ci/node_modules/ (`make test-tools`). Without them they skip
// with a loud message, except under CI=true, where a missing one fails the
// run. Screenshots of every page, at both sizes, go to the folder named by
// $ESP_SCREENSHOTS (default: a new temporary folder, logged by the tests).
//
// The package has no code outside its tests; this file exists so that it is
// a package with a name and a doc comment.
package e2e
