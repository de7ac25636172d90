// ESP admin console behaviour: the user menu, the API Credentials dialog, the
// Copy buttons and the live status of a pending credential. Plain JS, no
// libraries, loaded with `defer` so the DOM is parsed when it runs. The
// Content-Security-Policy forbids inline scripts and handlers: everything is
// wired here with addEventListener.
(function () {
  'use strict';

  var POLL_EVERY_MS = 1000;
  var POLL_FOR_MS = 10 * 60 * 1000;
  var FOCUSABLE = 'a[href], button:not([disabled]), input:not([type="hidden"]):not([disabled]), ' +
    'select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  function toArray(list) { return Array.prototype.slice.call(list); }

  // --- User menu -----------------------------------------------------------

  function initUserMenu() {
    var button = document.querySelector('[data-testid="user-menu"]');
    if (!button) return;
    var list = document.getElementById(button.getAttribute('aria-controls'));
    if (!list) return;

    function items() { return toArray(list.querySelectorAll('[role="menuitem"]')); }
    function isOpen() { return !list.hidden; }
    function open(focusFirst) {
      list.hidden = false;
      button.setAttribute('aria-expanded', 'true');
      if (focusFirst && items().length) items()[0].focus();
    }
    function close(returnFocus) {
      if (!isOpen()) return;
      list.hidden = true;
      button.setAttribute('aria-expanded', 'false');
      if (returnFocus) button.focus();
    }

    // detail === 0 means the click came from the keyboard (Enter or Space):
    // then focus goes into the menu, as the menu pattern expects.
    button.addEventListener('click', function (e) {
      if (isOpen()) close(false); else open(e.detail === 0);
    });
    button.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown') { e.preventDefault(); open(true); }
    });
    list.addEventListener('keydown', function (e) {
      var all = items();
      var i = all.indexOf(document.activeElement);
      if (e.key === 'ArrowDown') { e.preventDefault(); all[(i + 1) % all.length].focus(); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); all[(i - 1 + all.length) % all.length].focus(); }
      else if (e.key === 'Home') { e.preventDefault(); all[0].focus(); }
      else if (e.key === 'End') { e.preventDefault(); all[all.length - 1].focus(); }
      else if (e.key === 'Tab') { close(false); }
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === 'Escape' && isOpen()) { e.preventDefault(); close(true); }
    });
    document.addEventListener('click', function (e) {
      if (isOpen() && !button.contains(e.target) && !list.contains(e.target)) close(false);
    });

    // The window's Close (and Escape) come back to "/#user-menu": the focus
    // returns to the menu the window was opened from, and the fragment goes.
    if (window.location.hash === '#' + button.id && !document.getElementById('credentials-window')) {
      button.focus();
      if (window.history && window.history.replaceState) {
        window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
      }
    }
  }

  // --- Dialog --------------------------------------------------------------

  function initDialog(dialog) {
    var closeLink = dialog.querySelector('[data-testid="close-window"]');
    var heading = dialog.querySelector('#cred-title');

    function focusables() {
      return toArray(dialog.querySelectorAll(FOCUSABLE)).filter(function (el) {
        return el.getClientRects().length > 0;
      });
    }

    if (heading) heading.focus();
    else if (focusables().length) focusables()[0].focus();

    document.addEventListener('keydown', function (e) {
      if (e.defaultPrevented) return;
      if (e.key === 'Escape') {
        if (closeLink) { e.preventDefault(); window.location.assign(closeLink.href); }
        return;
      }
      if (e.key !== 'Tab') return;
      // Keep Tab inside the dialog: wrap from the last element to the first
      // and back, and pull focus back in if it ever got out.
      var all = focusables();
      if (!all.length) { e.preventDefault(); return; }
      var first = all[0], last = all[all.length - 1], active = document.activeElement;
      if (!dialog.contains(active)) {
        e.preventDefault(); (e.shiftKey ? last : first).focus();
      } else if (e.shiftKey && (active === first || active === heading)) {
        e.preventDefault(); last.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault(); first.focus();
      }
    });
  }

  // --- Boxes that scroll ------------------------------------------------------
  // The plans table on a narrow screen, the dialog's body on a short one: a
  // box marked data-focus-if-scrolls that scrolls takes the focus, so that
  // the keyboard can scroll it even where it holds no control; a box that
  // fits stays out of the Tab order.

  var scrollers = [];

  function syncScrolling() {
    scrollers.forEach(function (el) {
      var scrolls = el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1;
      if (scrolls) el.setAttribute('tabindex', '0');
      else el.removeAttribute('tabindex');
    });
  }

  function initScrollers() {
    scrollers = toArray(document.querySelectorAll('[data-focus-if-scrolls]'));
    if (!scrollers.length) return;
    syncScrolling();
    window.addEventListener('resize', syncScrolling);
  }

  // --- Copy buttons ----------------------------------------------------------
  // navigator.clipboard exists only in secure contexts (HTTPS, localhost), and
  // the full keys are shown exactly once, so there is a fallback and the user
  // is always told what happened.

  var MANUAL = 'Select and copy manually (' +
    (/Mac|iPhone|iPad/.test(navigator.platform || '') ? '⌘C' : 'Ctrl+C') + ')';

  function initCopyButtons() {
    toArray(document.querySelectorAll('button[data-copy-target]')).forEach(function (button) {
      button.addEventListener('click', function () { copyFrom(button); });
    });
  }

  function messageFor(button) {
    return button.parentElement ? button.parentElement.querySelector('[role="status"]') : null;
  }

  function say(button, text, copied) {
    var msg = messageFor(button);
    if (msg) msg.textContent = text;
    if (copied) button.setAttribute('data-copied', 'true');
    else button.removeAttribute('data-copied');
    syncScrolling();
  }

  function selectText(el) {
    var range = document.createRange();
    range.selectNodeContents(el);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  function copyBySelection(button, target) {
    var ok = false;
    selectText(target);
    try { ok = document.execCommand('copy'); } catch (err) { ok = false; }
    if (ok) {
      window.getSelection().removeAllRanges();
      say(button, 'Copied', true);
    } else {
      // Leave the key selected so that the keyboard shortcut copies it.
      say(button, MANUAL, false);
    }
  }

  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute('data-copy-target'));
    if (!target) { say(button, MANUAL, false); return; }
    var text = target.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { say(button, 'Copied', true); },
        function () { copyBySelection(button, target); });
    } else {
      copyBySelection(button, target);
    }
  }

  // --- Live status -----------------------------------------------------------
  // While the credential is pending, ask the server for its status every
  // second and update the window in place. The key fields and Copy buttons are
  // never touched: one-time keys must stay on screen.

  function setText(el, text) { if (el && typeof text === 'string') el.textContent = text; }

  // An empty Created or Last used reads "—", as the server renders it.
  var NONE = '\u2014';

  function setDisabled(dialog, button, disabled) {
    if (!button || typeof disabled !== 'boolean') return;
    if (disabled && document.activeElement === button) {
      var closeLink = dialog.querySelector('[data-testid="close-window"]');
      if (closeLink) closeLink.focus();
    }
    button.disabled = disabled;
  }

  function setCreated(dialog, text, iso) {
    var cell = dialog.querySelector('[data-testid="credential-created"]');
    if (!cell || typeof text !== 'string') return;
    var time = cell.querySelector('time');
    if (text === '') { cell.textContent = NONE; return; }
    if (!time) { cell.textContent = ''; time = cell.appendChild(document.createElement('time')); }
    time.textContent = text;
    if (typeof iso === 'string' && iso !== '') time.setAttribute('datetime', iso);
    else time.removeAttribute('datetime');
  }

  function applyStatus(dialog, data) {
    var status = dialog.querySelector('[data-testid="credential-status"]');
    if (status && typeof data.status === 'string') status.setAttribute('data-status', data.status);
    setText(status, data.label);
    var description = dialog.querySelector('[data-testid="credential-description"]');
    if (description && Array.isArray(data.description)) {
      description.textContent = '';
      data.description.forEach(function (paragraph) {
        var p = document.createElement('p');
        p.textContent = String(paragraph);
        description.appendChild(p);
      });
    }
    setDisabled(dialog, dialog.querySelector('[data-testid="generate"]'), data.canGenerate === undefined ? undefined : !data.canGenerate);
    setDisabled(dialog, dialog.querySelector('[data-testid="deactivate"]'), data.canDeactivate === undefined ? undefined : !data.canDeactivate);
    setText(dialog.querySelector('[data-testid="credential-last-used"]'), data.lastUsed === '' ? NONE : data.lastUsed);
    setText(dialog.querySelector('[data-testid="credential-last-used-from"]'), data.lastUsedFrom ? data.lastUsedFrom : NONE);
    setCreated(dialog, data.created, data.createdISO);
    dialog.setAttribute('data-pending', data.pending ? 'true' : 'false');
    syncScrolling();
  }

  function initLiveStatus(dialog) {
    var url = dialog.getAttribute('data-status-url');
    if (dialog.getAttribute('data-pending') !== 'true' || !url || !window.fetch) return;
    var deadline = Date.now() + POLL_FOR_MS;

    function schedule() { if (Date.now() < deadline) window.setTimeout(poll, POLL_EVERY_MS); }

    function poll() {
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (res) {
          if (res.status === 401 || res.status === 404) return; // signed out or no longer allowed: stop
          if (!res.ok) { schedule(); return; }
          return res.json().then(function (data) {
            if (!data || typeof data !== 'object') { schedule(); return; }
            applyStatus(dialog, data);
            if (data.pending) schedule();
          });
        })
        .catch(function () { schedule(); }); // network hiccup: keep trying quietly
    }

    schedule();
  }

  // --- One-time keys ---------------------------------------------------------
  // The page after Generate is the answer to a POST, and the only page that
  // shows the full keys. Giving its history entry the window's own address
  // makes reload load the window (keys masked) with a GET rather than send
  // Generate again; the same goes for a refusal's page. The server also
  // answers a resent Generate form with the window as it now is.
  // Chromium keeps even no-store pages in its back-forward cache, so Back and
  // Forward could show a window as it was (keys included): a window page
  // wipes its full keys when it is put there, and reloads when it is shown
  // from there.

  function initOneTimeKeys(dialog) {
    var windowURL = dialog.getAttribute('data-window-url');
    if (windowURL && window.history && history.replaceState && location.pathname !== windowURL) {
      history.replaceState(null, '', windowURL);
    }
    window.addEventListener('pageshow', function (e) { if (e.persisted) window.location.reload(); });
    if (dialog.getAttribute('data-full-keys') !== 'true') return;
    window.addEventListener('pagehide', function (e) {
      if (!e.persisted) return;
      toArray(dialog.querySelectorAll('[data-testid="access-key"], [data-testid="secret-key"]')).forEach(function (el) {
        el.textContent = '';
      });
    });
    var button = dialog.querySelector('[data-testid="download-keys"]');
    if (button) button.addEventListener('click', function () { downloadKeys(dialog, button); });
  }

  // --- Download --------------------------------------------------------------
  // Saves the keys on screen as a .env file, made here from the page (the
  // server never sends the secret twice). A Blob URL and <a download> need no
  // secure context, so it works on plain HTTP too.

  function oneLine(text) { return String(text).replace(/[\r\n\u2028\u2029]+/g, ' '); }

  function fileNamePart(text) {
    return String(text).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  }

  function downloadKeys(dialog, button) {
    var key = function (id) {
      var el = dialog.querySelector('[data-testid="' + id + '"]');
      return el ? el.textContent.trim() : '';
    };
    var access = key('access-key'), secret = key('secret-key');
    var msg = button.parentElement ? button.parentElement.querySelector('[role="status"]') : null;
    if (!access || !secret) { if (msg) msg.textContent = 'The keys are not on the page; copy them instead.'; return; }
    var tenant = dialog.getAttribute('data-tenant') || '';
    var created = dialog.getAttribute('data-created') || '';
    var base = new URL(dialog.getAttribute('data-api-base-url') || '/', window.location.href).href;
    var text = '# ESP API credentials of tenant ' + oneLine(tenant) + ', created ' + oneLine(created) + '.\n' +
      '# Keep this file private. The secret key cannot be shown again; if it is lost, deactivate\n' +
      '# these credentials and generate new ones.\n' +
      'ESP_API_BASE_URL=' + base + '\n' +
      'ESP_ACCESS_KEY=' + access + '\n' +
      'ESP_SECRET_KEY=' + secret + '\n';
    var name = ['esp-api-credentials', fileNamePart(tenant), access.slice(-4)].filter(Boolean).join('-') + '.env';
    var url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
    var link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    link.remove();
    // The download has read the Blob by the next task; do not keep the keys.
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 0);
    if (msg) msg.textContent = 'Downloaded ' + name;
  }

  initUserMenu();
  initScrollers();
  initCopyButtons();
  var dialog = document.getElementById('credentials-window');
  if (dialog) {
    initOneTimeKeys(dialog);
    initDialog(dialog);
    initLiveStatus(dialog);
  }
})();
