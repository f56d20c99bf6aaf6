// Live referral inbox. When the server's event stream says a referral
// changed, fetch the inbox's rows again (rendered by the server, in the
// user's language) and swap them in. No inline script (the CSP forbids
// it), nothing kept in browser storage, and no data in the stream itself.
(function () {
  'use strict';
  var root = document.querySelector('[data-live-rows]');
  if (!root || !window.EventSource || !window.fetch) { return; }
  var rowsURL = root.getAttribute('data-live-rows');
  var eventsURL = root.getAttribute('data-live-events');
  var status = document.getElementById('live-status');
  var busy = false, again = false, deferred = false;

  function say(attr) { if (status) { status.textContent = status.getAttribute(attr) || ''; } }

  // typing says whether the user is filling in a field of the inbox (a
  // decline reason): swapping the rows then would lose what they typed.
  function typing() {
    var a = document.activeElement;
    return a && root.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName);
  }

  function refresh() {
    if (typing()) { deferred = true; return; }
    if (busy) { again = true; return; }
    busy = true;
    fetch(rowsURL, { credentials: 'same-origin', cache: 'no-store', headers: { 'X-Fragment': '1' } })
      .then(function (r) {
        if (r.status === 401) { window.location.assign('/idle'); return null; }
        return r.ok ? r.text() : null;
      })
      .then(function (html) {
        if (typeof html === 'string') { root.innerHTML = html; say('data-updated'); root.setAttribute('data-version', String(Number(root.getAttribute('data-version') || '0') + 1)); }
      })
      .catch(function () { say('data-offline'); })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  root.addEventListener('focusout', function () {
    setTimeout(function () { if (deferred && !typing()) { deferred = false; refresh(); } }, 0);
  });

  function connect() {
    var es = new EventSource(eventsURL);
    es.addEventListener('ready', function () { root.setAttribute('data-live', 'on'); refresh(); });
    es.addEventListener('referral', refresh);
    es.addEventListener('reset', function () { es.close(); connect(); });
    es.onerror = function () {
      root.setAttribute('data-live', 'off');
      if (es.readyState === EventSource.CLOSED) { say('data-offline'); }
    };
  }
  connect();
})();
