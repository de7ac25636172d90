// ESP admin console behaviour: the user menu, the API Credentials dialog, the
// Copy buttons and the live status of a pending credential. Plain JS, no
// libraries, loaded with `defer` so the DOM is parsed when it runs. The
// Content-Security-Policy forbids inline scripts and handlers: everything is
// wired here with addEventListener.
(function () {
  'use strict';

  var POLL_EVERY_MS = 1000;
  // How long the live status polls; a browser test sets window.ESP_POLL_FOR_MS
  // before the page loads to see it stop without waiting ten minutes.
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
  // Close, Escape and a click on the backdrop all close the window, through
  // closeWindow, which asks first while the one-time secret key has been
  // neither copied nor downloaded. While a confirmation (a native <dialog>)
  // is open, it has the keyboard: Escape closes it, not the window.

  function initDialog(dialog) {
    var closeLink = dialog.querySelector('[data-testid="close-window"]');
    var heading = dialog.querySelector('#cred-title');

    function focusables() {
      return toArray(dialog.querySelectorAll(FOCUSABLE)).filter(function (el) {
        return el.getClientRects().length > 0 && !el.closest('dialog');
      });
    }

    if (heading) heading.focus();
    else if (focusables().length) focusables()[0].focus();

    if (closeLink) {
      closeLink.addEventListener('click', function (e) {
        if (closeGuarded(dialog)) e.preventDefault();
      });
    }
    var backdrop = document.querySelector('[data-window-backdrop]');
    if (backdrop && closeLink) backdrop.addEventListener('click', function () { closeWindow(dialog, closeLink.href); });

    document.addEventListener('keydown', function (e) {
      if (e.defaultPrevented || document.querySelector('dialog[open]')) return;
      if (e.key === 'Escape') {
        if (closeLink) { e.preventDefault(); closeWindow(dialog, closeLink.href); }
        return;
      }
      if (e.key === 'Tab') keepTabInside(e, focusables(), dialog, heading);
    });
  }

  // keepTabInside wraps Tab from the last element to the first and back,
  // and pulls focus back in if it ever got out.
  function keepTabInside(e, all, dialog, heading) {
    if (!all.length) { e.preventDefault(); return; }
    var first = all[0], last = all[all.length - 1], active = document.activeElement;
    if (!dialog.contains(active)) {
      e.preventDefault(); (e.shiftKey ? last : first).focus();
    } else if (e.shiftKey && (active === first || active === heading)) {
      e.preventDefault(); last.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault(); first.focus();
    }
  }

  // The secret key is safe once it was copied (by Copy or by hand) or
  // downloaded; keys that will never work need no saving.
  var secretSaved = false;

  function closeGuarded(dialog) {
    var guard = document.getElementById('close-guard');
    if (!guard || secretSaved || dialog.getAttribute('data-full-keys') !== 'true' ||
        dialog.getAttribute('data-keys-dead') === 'true') return false;
    openModal(guard);
    return true;
  }

  function closeWindow(dialog, href) {
    if (!closeGuarded(dialog)) window.location.assign(href);
  }

  // openModal shows a native <dialog> as a modal, focusing its autofocus
  // control; one the server rendered open (a page without script) becomes
  // modal too.
  function openModal(d) {
    if (d.open) d.close();
    d.showModal();
    var first = d.querySelector('[autofocus]');
    if (first) first.focus();
  }

  // --- Deactivate asks first ------------------------------------------------

  function initConfirmDeactivate(dialog) {
    var confirm = document.getElementById('confirm-deactivate');
    var button = dialog.querySelector('[data-testid="deactivate"]');
    if (!confirm || !button) return;
    button.addEventListener('click', function (e) {
      e.preventDefault();
      if (!button.disabled) openModal(confirm);
    });
    confirm.addEventListener('close', function () {
      if (!button.disabled && button.getClientRects().length) button.focus();
    });
    if (confirm.open) {
      var backdrop = document.querySelector('[data-confirm-backdrop]');
      if (backdrop) backdrop.remove();
      openModal(confirm);
    }
  }

  // --- Busy forms -------------------------------------------------------------
  // A form marked data-busy is sent once: its button says what is happening
  // until the next page comes, and a second click (a double click) sends
  // nothing more.

  function initBusyForms() {
    toArray(document.querySelectorAll('form[data-busy]')).forEach(function (form) {
      form.addEventListener('submit', function (e) {
        if (form.getAttribute('data-sent') === 'true') { e.preventDefault(); return; }
        form.setAttribute('data-sent', 'true');
        var button = form.querySelector('button[type="submit"]');
        if (!button) return;
        button.setAttribute('aria-disabled', 'true');
        button.classList.add('busy');
        button.textContent = form.getAttribute('data-busy');
      });
    });
  }

  // --- Times ----------------------------------------------------------------
  // The server writes times in UTC ("2026-11-26 09:14:02 UTC"), also in the
  // title; here they are shown in the browser's zone and language, and a
  // <time data-relative> within a week as "3 minutes ago".

  var RELATIVE_FOR_MS = 7 * 24 * 3600 * 1000;
  var TIME_FORMAT = { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit',
    minute: '2-digit', second: '2-digit', timeZoneName: 'short' };

  function relativeText(ms) {
    var rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    var s = Math.round(ms / 1000), a = Math.abs(s);
    if (a < 60) return rtf.format(s, 'second');
    if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
    if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
    return rtf.format(Math.round(s / 86400), 'day');
  }

  function localizeTime(el) {
    var date = new Date(el.getAttribute('datetime') || '');
    if (isNaN(date.getTime()) || !window.Intl || !Intl.DateTimeFormat) return;
    if (!el.hasAttribute('data-utc')) el.setAttribute('data-utc', el.textContent);
    var utc = el.getAttribute('data-utc');
    var format = new Intl.DateTimeFormat(undefined, TIME_FORMAT);
    var local = format.format(date), ago = date.getTime() - Date.now();
    el.lang = format.resolvedOptions().locale;
    if (el.hasAttribute('data-relative') && Intl.RelativeTimeFormat && Math.abs(ago) < RELATIVE_FOR_MS) {
      el.textContent = relativeText(Math.min(ago, 0));
      el.title = local + ' (' + utc + ')';
    } else {
      el.textContent = local;
      el.title = utc;
    }
  }

  function localizeTimes(root) {
    toArray(root.querySelectorAll('time[datetime]')).forEach(localizeTime);
  }

  function initTimes() {
    var root = document.getElementById('credentials-window');
    if (!root) return;
    localizeTimes(root);
    // "3 minutes ago" stays true while the window is open.
    window.setInterval(function () { localizeTimes(root); }, 30 * 1000);
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

  // "Copied" shows for COPIED_FOR_MS, announced by the message's live
  // region, then the button is as before: the clipboard holds only the
  // last thing copied. The manual fallback stays until the next try.
  var COPIED_FOR_MS = 2000;

  function say(button, text, copied) {
    var msg = messageFor(button);
    if (msg) msg.textContent = text;
    window.clearTimeout(button.copiedTimer);
    if (copied) {
      button.setAttribute('data-copied', 'true');
      if (button.getAttribute('data-testid') === 'copy-secret-key') secretSaved = true;
      button.copiedTimer = window.setTimeout(function () { say(button, '', false); }, COPIED_FOR_MS);
    } else {
      button.removeAttribute('data-copied');
    }
    syncScrolling();
  }

  // Copying the secret key by hand (select, then Ctrl+C) saves it too.
  function initCopyByHand() {
    var secret = document.querySelector('.key-full[data-testid="secret-key"]');
    if (!secret) return;
    document.addEventListener('copy', function () {
      var sel = window.getSelection();
      if (sel && sel.rangeCount && sel.toString() !== '' && sel.getRangeAt(0).intersectsNode(secret)) secretSaved = true;
    });
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
  // second and update the window in place. The one-time keys stay on
  // screen; only when they failed to activate do their Copy and Download go.

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

  function setTime(dialog, id, text, iso) {
    var cell = dialog.querySelector('[data-testid="' + id + '"]');
    if (!cell || typeof text !== 'string') return;
    var time = cell.querySelector('time');
    if (text === '' || typeof iso !== 'string' || iso === '') { cell.textContent = text === '' ? NONE : text; return; }
    if (!time) {
      var relative = id === 'credential-last-used';
      cell.textContent = '';
      time = cell.appendChild(document.createElement('time'));
      if (relative) time.setAttribute('data-relative', '');
    }
    if (time.getAttribute('datetime') === iso) return;
    time.setAttribute('datetime', iso);
    time.setAttribute('data-utc', text);
    time.textContent = text;
    localizeTime(time);
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
    setTime(dialog, 'credential-last-used', data.lastUsed, data.lastUsedISO);
    setTime(dialog, 'credential-created', data.created, data.createdISO);
    var from = dialog.querySelector('[data-testid="credential-last-used-from"]');
    setText(from, data.lastUsedFrom ? data.lastUsedFrom : NONE);
    if (from) from.hidden = !data.lastUsedFrom;
    // The lifetime of new keys is chosen only while Generate is available.
    var expiry = dialog.querySelector('[data-testid="generate-expiry"]');
    if (expiry && typeof data.canGenerate === 'boolean') {
      expiry.disabled = !data.canGenerate;
      if (expiry.parentNode) expiry.parentNode.hidden = !data.canGenerate;
    }
    dialog.setAttribute('data-pending', data.pending ? 'true' : 'false');
    if (data.status === 'activation_failed') keysWillNeverWork(dialog);
    syncScrolling();
  }

  // keysWillNeverWork: the one-time keys on screen failed to activate.
  // The warning says so, and Copy and Download go.
  function keysWillNeverWork(dialog) {
    if (dialog.getAttribute('data-full-keys') !== 'true' || dialog.getAttribute('data-keys-dead') === 'true') return;
    dialog.setAttribute('data-keys-dead', 'true');
    var warning = dialog.querySelector('[data-testid="one-time-warning"]');
    if (warning) {
      warning.setAttribute('role', 'alert');
      warning.classList.add('warning-dead');
      warning.textContent = 'These keys were not activated and will never work. Generate new ones.';
    }
    toArray(dialog.querySelectorAll('.one-time-keys .copy, .one-time-keys .copy-msg, .key-download')).forEach(function (el) {
      el.remove();
    });
    toArray(dialog.querySelectorAll('.key-full')).forEach(function (el) { el.classList.add('key-dead'); });
  }

  // The live status says that it is checking while it polls, and when it
  // stops (after POLL_FOR_MS, or when the server no longer answers it)
  // that the window must be reopened to show changes.
  function showChecking(dialog, checking, stopped) {
    var label = dialog.querySelector('[data-testid="status-checking"]');
    var stale = dialog.querySelector('[data-testid="status-stale"]');
    if (label) label.hidden = !checking;
    if (stale && stopped) {
      stale.hidden = false;
      stale.textContent = 'Stopped checking for changes. Close and reopen the window to see the current status.';
    }
  }

  function initLiveStatus(dialog) {
    var url = dialog.getAttribute('data-status-url');
    if (dialog.getAttribute('data-pending') !== 'true' || !url || !window.fetch) return;
    var deadline = Date.now() + (window.ESP_POLL_FOR_MS || POLL_FOR_MS);
    showChecking(dialog, true, false);

    function schedule() {
      if (Date.now() < deadline) window.setTimeout(poll, POLL_EVERY_MS);
      else showChecking(dialog, false, true);
    }

    function poll() {
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (res) {
          // Signed out or no longer allowed: stop, and say so.
          if (res.status === 401 || res.status === 404) { showChecking(dialog, false, true); return; }
          if (!res.ok) { schedule(); return; }
          return res.json().then(function (data) {
            if (!data || typeof data !== 'object') { schedule(); return; }
            applyStatus(dialog, data);
            if (data.pending) schedule();
            else showChecking(dialog, false, false);
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
    secretSaved = true;
  }

  initUserMenu();
  initScrollers();
  initCopyButtons();
  initCopyByHand();
  initBusyForms();
  initTimes();
  var dialog = document.getElementById('credentials-window');
  if (dialog) {
    initOneTimeKeys(dialog);
    initDialog(dialog);
    initConfirmDeactivate(dialog);
    initLiveStatus(dialog);
  }
})();
