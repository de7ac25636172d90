package e2e_test

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// What a careful admin sees of a page's layout, measured in the browser.

// pageLayout is the page's geometry as it is now.
type pageLayout struct {
	ScrollWidth float64 `json:"scrollWidth"`
	InnerWidth  float64 `json:"innerWidth"`
	InnerHeight float64 `json:"innerHeight"`
	// Buttons are the window's actions (when the window is open).
	Buttons []placedButton `json:"buttons"`
	// BrokenDates are the dates and times that wrap onto a second line.
	BrokenDates []string `json:"brokenDates"`
	// DialogTop is the window's top edge in the viewport, -1 without one.
	DialogTop float64 `json:"dialogTop"`
}

type placedButton struct {
	ID     string  `json:"id"`
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
	// OnTop: the button itself is what a tap at its centre hits.
	OnTop bool `json:"onTop"`
}

const layoutJS = `(() => {
  window.scrollTo(0, 0);
  const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    innerHeight: window.innerHeight, buttons: [], brokenDates: [], dialogTop: -1};
  const dialog = document.querySelector('[data-testid="credentials-window"]');
  if (dialog) {
    out.dialogTop = dialog.getBoundingClientRect().top;
    // A confirmation open over the window covers its buttons, as it must.
    const covered = !!document.querySelector('dialog[open]');
    for (const id of ['generate', 'deactivate', 'close-window']) {
      const el = dialog.querySelector('[data-testid="' + id + '"]');
      // Right after Generate, Generate and Deactivate follow the keys in
      // the body, which scrolls: only the pinned bar must be in view.
      if (!el || covered || el.closest('.dialog-body')) continue;
      const r = el.getBoundingClientRect();
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      out.buttons.push({id, top: r.top, bottom: r.bottom, left: r.left, right: r.right,
        onTop: !!hit && (hit === el || el.contains(hit))});
    }
  }
  for (const t of document.querySelectorAll('time')) {
    if (t.getClientRects().length > 1) out.brokenDates.push(t.textContent);
  }
  return out;
})()`

// layout measures the page with the page itself scrolled to its top.
func (tb *tab) layout() pageLayout {
	tb.t.Helper()
	return eval[pageLayout](tb, layoutJS)
}

// checkPage checks what must hold on every page at every size: it does not
// scroll sideways, no date breaks in the middle, the window's pinned
// buttons are on screen without scrolling the page, and axe-core finds
// nothing.
func (tb *tab) checkPage(what string) pageLayout {
	tb.t.Helper()
	l := tb.layout()
	// A phone lays out a page wider than itself in a wider viewport, zoomed
	// out: innerWidth grows with the page, so it is checked too.
	if l.ScrollWidth > l.InnerWidth || l.InnerWidth > float64(tb.dev.width) {
		tb.t.Errorf("%s on %s: the page is %.0f px wide in a %.0f px viewport on a %d px screen: it scrolls sideways",
			what, tb.dev.name, l.ScrollWidth, l.InnerWidth, tb.dev.width)
	}
	if len(l.BrokenDates) > 0 {
		tb.t.Errorf("%s on %s: dates break over two lines: %q", what, tb.dev.name, l.BrokenDates)
	}
	for _, b := range l.Buttons {
		if b.Top < 0 || b.Left < 0 || b.Bottom > l.InnerHeight || b.Right > l.InnerWidth || !b.OnTop {
			tb.t.Errorf("%s on %s: the window's %s button is at %+v, not fully on a %.0f×%.0f screen and in front without scrolling the page",
				what, tb.dev.name, b.ID, b, l.InnerWidth, l.InnerHeight)
		}
	}
	tb.checkAxe(what)
	return l
}

// keyBox is one key's box and how its text wraps.
type keyBox struct {
	Width    float64   `json:"width"`
	Height   float64   `json:"height"`
	Lines    []float64 `json:"lines"` // the width of each line of the key's text
	Overflow bool      `json:"overflow"`
}

const keyBoxesJS = `(() => {
  const box = id => {
    const el = document.querySelector('[data-testid="' + id + '"]');
    const r = el.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = [];
    for (const rect of range.getClientRects()) {
      const last = lines[lines.length - 1];
      if (last && Math.abs(last.top - rect.top) < 2) last.width += rect.width;
      else lines.push({top: rect.top, width: rect.width});
    }
    return {width: r.width, height: r.height, lines: lines.map(l => l.width),
      overflow: el.scrollWidth > el.clientWidth + 1};
  };
  return {'access-key': box('access-key'), 'secret-key': box('secret-key')};
})()`

func (tb *tab) keyBoxes() map[string]keyBox {
	tb.t.Helper()
	return eval[map[string]keyBox](tb, keyBoxesJS)
}

// checkKeysWrapEvenly: each full key stays inside its box, and a key that
// wraps fills its lines evenly, never leaving a few characters alone on
// the last one.
func (tb *tab) checkKeysWrapEvenly(what string) map[string]keyBox {
	tb.t.Helper()
	boxes := tb.keyBoxes()
	for id, b := range boxes {
		if b.Overflow {
			tb.t.Errorf("%s on %s: %s overflows its box: %+v", what, tb.dev.name, id, b)
		}
		if len(b.Lines) < 2 {
			continue
		}
		longest, shortest := 0.0, math.Inf(1)
		for _, w := range b.Lines {
			longest, shortest = max(longest, w), min(shortest, w)
		}
		if shortest < longest*0.6 {
			tb.t.Errorf("%s on %s: %s wraps unevenly, lines %v px wide", what, tb.dev.name, id, b.Lines)
		}
	}
	return boxes
}

// rgb is an sRGB colour read from the browser.
type rgb struct{ r, g, b, a float64 }

var rgbPattern = regexp.MustCompile(`^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+))?\s*\)$`)

func parseRGB(s string) (rgb, error) {
	m := rgbPattern.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return rgb{}, fmt.Errorf("not an rgb() colour: %q", s)
	}
	c := rgb{a: 1}
	c.r, _ = strconv.ParseFloat(m[1], 64)
	c.g, _ = strconv.ParseFloat(m[2], 64)
	c.b, _ = strconv.ParseFloat(m[3], 64)
	if m[4] != "" {
		c.a, _ = strconv.ParseFloat(m[4], 64)
	}
	return c, nil
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio of two opaque colours.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// focusRing is the focused element's outline and the colour around it.
type focusRing struct {
	TestID       string `json:"testid"`
	FocusVisible bool   `json:"focusVisible"`
	Style        string `json:"style"`
	Width        string `json:"width"`
	Color        string `json:"color"`
	Behind       string `json:"behind"` // the first opaque background among its ancestors
}

const focusRingJS = `(() => {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  let behind = 'rgb(255, 255, 255)';
  for (let p = el.parentElement; p; p = p.parentElement) {
    const bg = getComputedStyle(p).backgroundColor;
    if (bg && bg !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(bg)) { behind = bg; break; }
  }
  return {testid: el.getAttribute('data-testid') || el.tagName, focusVisible: el.matches(':focus-visible'),
    style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor, behind};
})()`

// tabTo presses Tab until the element with the test id has the focus, as a
// keyboard user does, and returns its focus ring.
func (tb *tab) tabTo(id string) focusRing {
	tb.t.Helper()
	for range 12 {
		tb.pressKey(kb.Tab)
		if r := eval[focusRing](tb, focusRingJS); r.TestID == id {
			return r
		}
	}
	tb.t.Fatalf("[data-testid=%s] never got the focus with Tab", id)
	return focusRing{}
}

// checkFocusRing: the ring of a keyboard-focused element is drawn and has at
// least 3:1 contrast with what is around it (WCAG 2.2, 1.4.11 and 2.4.13).
func (tb *tab) checkFocusRing(what string, r focusRing) {
	tb.t.Helper()
	if !r.FocusVisible || r.Style == "none" || r.Width == "0px" {
		tb.t.Errorf("%s on %s: %s has no visible focus ring: %+v", what, tb.dev.name, r.TestID, r)
		return
	}
	ring, err1 := parseRGB(r.Color)
	behind, err2 := parseRGB(r.Behind)
	if err1 != nil || err2 != nil {
		tb.t.Fatalf("%s: reading the focus ring's colours: %v %v", what, err1, err2)
	}
	if c := contrast(ring, behind); c < 3 {
		tb.t.Errorf("%s on %s: the focus ring of %s is %s on %s: contrast %.2f:1, want at least 3:1", what, tb.dev.name, r.TestID, r.Color, r.Behind, c)
	}
}

// statusLook is how one status is drawn: its pill's colours, border and
// icon.
type statusLook struct {
	Background string `json:"background"`
	Color      string `json:"color"`
	Border     string `json:"border"`
	Icon       string `json:"icon"` // the ::before icon: its mask or glyph, "" for none
}

// statusLooksJS draws the window's status pill in each of the seven
// statuses (on a copy, so the live status is left alone) and reads how
// each looks, and how the one-time warning looks.
const statusLooksJS = `(() => {
  const pill = document.querySelector('[data-testid="credential-status"]');
  const copy = pill.cloneNode(true);
  for (const a of ['id', 'data-testid', 'aria-live']) copy.removeAttribute(a);
  copy.setAttribute('aria-hidden', 'true');
  pill.parentElement.appendChild(copy);
  const looks = {};
  for (const status of ['none', 'pending_activation', 'activated', 'activation_failed',
                        'pending_deactivation', 'deactivated', 'deactivation_failed']) {
    copy.setAttribute('data-status', status);
    const s = getComputedStyle(copy), i = getComputedStyle(copy, '::before');
    const mask = i.maskImage || i.webkitMaskImage || 'none';
    const drawn = i.content !== 'none' && i.display !== 'none' && parseFloat(i.width) > 0;
    looks[status] = {background: s.backgroundColor, color: s.color,
      border: s.borderTopStyle + ' ' + s.borderTopWidth + ' ' + s.borderTopColor,
      icon: drawn && (mask !== 'none' || i.content.replace(/["']/g, '').trim() !== '') ? mask + ' ' + i.content : ''};
  }
  copy.remove();
  const w = document.querySelector('[data-testid="one-time-warning"]');
  if (w) {
    const s = getComputedStyle(w);
    looks.warning = {background: s.backgroundColor, color: s.color,
      border: s.borderLeftStyle + ' ' + s.borderLeftWidth + ' ' + s.borderLeftColor, icon: ''};
  }
  return looks;
})()`

func (tb *tab) statusLooks() map[string]statusLook {
	tb.t.Helper()
	return eval[map[string]statusLook](tb, statusLooksJS)
}

// checkStatusLooks: the seven statuses look different from each other, and
// not by colour alone: each has its own icon. The one-time warning shares
// no colour with any status.
func (tb *tab) checkStatusLooks() {
	tb.t.Helper()
	looks := tb.statusLooks()
	warning, hasWarning := looks["warning"]
	delete(looks, "warning")
	byLook, byIcon := map[string]string{}, map[string]string{}
	for status, l := range looks {
		if l.Icon == "" {
			tb.t.Errorf("status %s has no icon: it is told apart by colour alone (%+v)", status, l)
		} else if other, dup := byIcon[l.Icon]; dup {
			tb.t.Errorf("statuses %s and %s have the same icon %s", status, other, l.Icon)
		}
		byIcon[l.Icon] = status
		key := l.Background + "|" + l.Color + "|" + l.Border + "|" + l.Icon
		if other, dup := byLook[key]; dup {
			tb.t.Errorf("statuses %s and %s look the same: %+v", status, other, l)
		}
		byLook[key] = status
		if hasWarning && (l.Background == warning.Background || strings.HasSuffix(l.Border, " "+borderColor(warning.Border))) {
			tb.t.Errorf("the one-time warning (%+v) shares its colours with status %s (%+v)", warning, status, l)
		}
	}
}

// borderColor is the colour part of "solid 6px rgb(…)".
func borderColor(border string) string {
	if i := strings.Index(border, "rgb"); i >= 0 {
		return border[i:]
	}
	return border
}

// favicon is what the page says of its icon and what the browser made of it.
type favicon struct {
	Href   string `json:"href"`
	Type   string `json:"type"`
	Loaded bool   `json:"loaded"` // the icon loads as an image under the page's CSP
	ICO    int    `json:"ico"`    // the status of /favicon.ico, which browsers ask for anyway
}

// checkFavicon: the page links an icon that loads, and /favicon.ico is no
// 404 either.
func (tb *tab) checkFavicon() {
	tb.t.Helper()
	f := eval[favicon](tb, `(async () => {
  const link = document.querySelector('link[rel~="icon"]');
  if (!link) return {href: '', type: '', loaded: false, ico: 0};
  const loaded = await new Promise(done => {
    const img = new Image();
    img.onload = () => done(img.naturalWidth > 0);
    img.onerror = () => done(false);
    img.src = link.href;
  });
  const ico = (await fetch('/favicon.ico', {cache: 'no-store'})).status;
  return {href: link.getAttribute('href'), type: link.type, loaded, ico};
})()`, chromedp.EvalAwaitPromise)
	if f.Href == "" || !f.Loaded || f.ICO != 200 {
		tb.t.Errorf("favicon: %+v; want a linked icon that loads and /favicon.ico answering 200", f)
	}
}

// checkMenuSeparator: in the open user menu a visible line parts API
// Credentials from Log out.
func (tb *tab) checkMenuSeparator() {
	tb.t.Helper()
	got := eval[string](tb, `(() => {
  const list = document.getElementById('user-menu-list');
  return [...list.querySelectorAll('[role="menuitem"], [role="separator"]')].map(el => {
    if (el.getAttribute('role') !== 'separator') return el.getAttribute('data-testid');
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    const drawn = r.width > 0 && (parseFloat(s.borderTopWidth) > 0 || (r.height > 0 && s.backgroundColor !== 'rgba(0, 0, 0, 0)'));
    return drawn ? 'separator' : 'invisible-separator';
  }).join(' ');
})()`)
	if want := "menu-api-credentials separator logout"; got != want {
		tb.t.Errorf("the open user menu holds %q, want %q", got, want)
	}
}

// checkWideTableStaysInItsBox: a plans table too wide for the screen (a long
// name without spaces, a huge row count) scrolls inside its own box; the
// page itself never scrolls sideways.
func (tb *tab) checkWideTableStaysInItsBox() {
	tb.t.Helper()
	type result struct {
		PageWidth, Viewport, BoxScroll, BoxWidth float64
	}
	r := eval[result](tb, `(() => {
  const row = document.querySelector('[data-testid="plan-row"]');
  const wide = row.cloneNode(true);
  wide.querySelector('th').textContent = 'FY2027_'.repeat(8);
  wide.querySelector('.num').textContent = '123,456,789,012,345';
  row.parentElement.appendChild(wide);
  const box = document.querySelector('[data-testid="plans-table"]').parentElement;
  const out = {PageWidth: document.documentElement.scrollWidth, Viewport: window.innerWidth,
    BoxScroll: box.scrollWidth, BoxWidth: box.clientWidth};
  wide.remove();
  return out;
})()`)
	if r.PageWidth > r.Viewport || r.Viewport > float64(tb.dev.width) {
		tb.t.Errorf("on %s a wide plans table makes the page %.0f px wide in a %.0f px viewport: it scrolls sideways", tb.dev.name, r.PageWidth, r.Viewport)
	}
	if tb.dev.mobile && r.BoxScroll <= r.BoxWidth {
		tb.t.Errorf("on %s the wide plans table (%.0f px) does not scroll in its %.0f px box", tb.dev.name, r.BoxScroll, r.BoxWidth)
	}
}
