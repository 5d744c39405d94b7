import { createHash } from 'node:crypto';

/*
 * The operator dashboard: one static page, inline CSS and vanilla JS, no
 * build step and nothing loaded from elsewhere. It polls v1/status and
 * v1/clients (relative URLs, so it works behind a path prefix). Data from
 * clients (workstation names) is only ever set as textContent.
 * Kept free of backticks and dollar-brace so it can live in this template literal.
 */

const CSS = String.raw`
:root {
  --bg: #f5f6f8; --card: #fff; --ink: #1d232b; --muted: #5f6b7a; --line: #e1e5ea; --accent: #2563eb;
  --ok: #15803d; --ok-bg: #dcfce7; --warn: #b45309; --warn-bg: #fef3c7; --bad: #b91c1c; --bad-bg: #fee2e2;
  --idle: #64748b; --idle-bg: #eef1f5; --track: #e8ebf0; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root { --bg: #0f1318; --card: #171c23; --ink: #e6e9ee; --muted: #97a3b3; --line: #2a313b; --accent: #6ea1ff;
    --ok: #4ade80; --ok-bg: #12301d; --warn: #fbbf24; --warn-bg: #3a2c0c; --bad: #f87171; --bad-bg: #3b1515;
    --idle: #94a3b8; --idle-bg: #222a34; --track: #26303b; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: var(--card); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 18px; margin: 0; letter-spacing: .2px; }
header .meta { color: var(--muted); font-size: 13px; }
header .spacer { flex: 1; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: var(--idle); margin-right: 6px; vertical-align: 1px; }
.dot.live { background: var(--ok); } .dot.err { background: var(--bad); }
button, select, input { font: inherit; color: inherit; background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 5px 9px; }
button { cursor: pointer; } button:hover:not(:disabled) { border-color: var(--accent); } button:disabled { opacity: .45; cursor: default; }
main { max-width: 1360px; margin: 0 auto; padding: 20px 24px 48px; display: grid; gap: 20px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 16px 18px; min-width: 0; }
section h2.gap { margin-top: 18px; }
section h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .6px; color: var(--muted); margin: 0 0 12px; font-weight: 600; }
.banner { display: none; background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); border-radius: 8px; padding: 10px 14px; font-weight: 500; }
.banner.show { display: block; white-space: pre-line; }
.apps { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 14px; }
.app { border: 1px solid var(--line); border-radius: 8px; padding: 14px; }
.app-head { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.app-name { font-weight: 600; font-size: 15px; }
.count { font-size: 34px; font-weight: 700; line-height: 1.1; margin: 8px 0 2px; font-variant-numeric: tabular-nums; }
.count small { font-size: 14px; font-weight: 500; color: var(--muted); margin-left: 6px; }
.chip { display: inline-block; font-size: 12px; font-weight: 600; padding: 1px 8px; border-radius: 999px; white-space: nowrap; }
.chip.met { color: var(--ok); background: var(--ok-bg); } .chip.partial { color: var(--warn); background: var(--warn-bg); }
.chip.below { color: var(--bad); background: var(--bad-bg); } .chip.idle { color: var(--idle); background: var(--idle-bg); }
.bar { position: relative; height: 12px; background: var(--track); border-radius: 6px; margin: 12px 0 26px; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 6px; background: var(--idle); }
.fill.met { background: var(--ok); } .fill.partial { background: var(--warn); } .fill.below { background: var(--bad); }
.mark { position: absolute; top: -4px; bottom: -4px; width: 2px; background: var(--ink); opacity: .55; }
.mark span { position: absolute; top: 20px; transform: translateX(-50%); font-size: 11px; color: var(--muted); white-space: nowrap; }
.mark.cap { background: var(--muted); } .mark.end span { transform: translateX(-100%); }
.rules { list-style: none; margin: 0; padding: 0; display: grid; gap: 4px; }
.rules li { display: flex; justify-content: space-between; gap: 8px; }
.yes { color: var(--ok); font-weight: 600; } .no { color: var(--bad); font-weight: 600; }
.sub { color: var(--muted); font-size: 12.5px; margin-top: 8px; }
.grid2 { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); gap: 20px; align-items: start; }
@media (max-width: 1000px) { .grid2 { grid-template-columns: 1fr; } }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 16px; margin: 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.mono { font-family: var(--mono); font-size: 12.5px; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 7px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.strong td { font-weight: 600; }
.nowrap { white-space: nowrap; }
.scroll { overflow-x: auto; }
details summary { cursor: pointer; color: var(--accent); }
details ul { margin: 6px 0 0; padding-left: 18px; color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin-bottom: 12px; }
.filters select, .filters input { max-width: 240px; }
table.wide { min-width: 1100px; }
.filters label { display: flex; flex-direction: column; font-size: 11.5px; color: var(--muted); gap: 2px; }
.pager { display: flex; gap: 8px; align-items: center; justify-content: flex-end; margin-top: 10px; color: var(--muted); }
.empty { color: var(--muted); padding: 14px 8px; text-align: center; }
.outcome-refused { color: var(--bad); } .outcome-counted { color: var(--ok); }
.ls-1 { color: var(--ok); } .ls-0, .ls-3, .ls-4 { color: var(--bad); } .ls-2, .ls-5, .ls-6 { color: var(--warn); }
`;

const JS = String.raw`
(function () {
  'use strict';
  var REFRESH_MS = 10000;
  var LICENSE = ['Unlicensed', 'Licensed', 'Initial grace period', 'License expired or Hardware out of tolerance',
    'Non-genuine grace period', 'Notification', 'Extended grace period'];
  var LICENSE_KEYS = ['unlicensed', 'licensed', 'initialGrace', 'ootGrace', 'nonGenuineGrace', 'notification', 'extendedGrace'];
  var STATUS_TEXT = { met: 'All activate', partial: 'Partly activating', below: 'Below threshold', idle: 'No requests yet' };
  var state = { cursor: null, back: [], next: null, paused: false, appsLoaded: false, statusShown: false };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) { for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]); return parent; }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); return node; }
  function num(n) { return Number(n).toLocaleString('en-US'); }
  function minutes(m) {
    if (m === null || m === undefined) return 'not checked';
    if (m >= 1440 && m % 1440 === 0) return num(m) + ' min (' + (m / 1440) + ' d)';
    if (m >= 60 && m % 60 === 0) return num(m) + ' min (' + (m / 60) + ' h)';
    return num(m) + ' min';
  }
  function remaining(m) {
    if (m >= 1440) return Math.floor(m / 1440) + ' d ' + Math.floor((m % 1440) / 60) + ' h';
    if (m >= 60) return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
    return m + ' min';
  }
  function ago(iso) {
    if (!iso) return 'never';
    var s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (s < 0) s = 0;
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function uptime(s) {
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + ' d ' : '') + (d || h ? h + ' h ' : '') + m + ' min';
  }
  function getJson(url) {
    return fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (body) {
        if (!r.ok) throw new Error(body && body.code ? body.code + ': ' + body.message : 'HTTP ' + r.status + ' from ' + url);
        return body;
      });
    });
  }
  var errors = {};
  // One message per source, so a working clients query does not hide a failing status query.
  function setError(where, e) {
    if (e) errors[where] = where + ': ' + (e.message ? e.message : String(e));
    else delete errors[where];
    indicate();
  }
  function indicate() {
    var messages = Object.keys(errors).map(function (k) { return errors[k]; });
    var b = $('banner');
    b.textContent = messages.join('\n');
    b.className = messages.length ? 'banner show' : 'banner';
    $('dot').className = messages.length ? 'dot err' : state.paused ? 'dot' : 'dot live';
  }

  function renderApps(apps) {
    var box = clear($('apps'));
    if (apps.length === 0) { add(box, el('div', 'empty', 'No application has a host key or a request yet.')); return; }
    apps.forEach(function (a) {
      var card = el('div', 'app');
      add(card, add(el('div', 'app-head'), el('span', 'app-name', a.name), el('span', 'chip ' + a.status, STATUS_TEXT[a.status] || a.status)));
      var count = el('div', 'count', num(a.currentCount));
      add(count, el('small', null, 'current count'));
      add(card, count);
      var max = Math.max(a.maxCount, a.currentCount, 1);
      var bar = el('div', 'bar');
      var fill = el('div', 'fill ' + a.status);
      fill.style.width = Math.min(100, (a.currentCount / max) * 100) + '%';
      add(bar, fill);
      a.thresholds.forEach(function (t) {
        var m = el('div', 'mark');
        m.style.left = Math.min(100, (t.nPolicy / max) * 100) + '%';
        m.title = t.label + ' activate at ' + t.nPolicy;
        add(m, el('span', null, String(t.nPolicy)));
        add(bar, m);
      });
      var capAt = a.cap !== null ? a.cap : a.maxCount;
      var cap = el('div', 'mark cap' + (capAt >= max ? ' end' : ''));
      cap.style.left = 'calc(' + Math.min(100, (capAt / max) * 100) + '% - 2px)';
      cap.title = a.cap !== null ? 'count cap: 2 x highest N-policy seen (' + a.highestNPolicy + ')' : 'largest possible count';
      add(cap, el('span', null, 'cap ' + capAt));
      add(bar, cap);
      add(card, bar);
      var rules = el('ul', 'rules');
      a.thresholds.forEach(function (t) {
        add(rules, add(el('li'), el('span', null, t.label + ' (N-policy ' + t.nPolicy + ')'),
          t.activates ? el('span', 'yes', 'activate') : el('span', 'no', 'need ' + t.missing + ' more')));
      });
      add(card, rules);
      add(card, el('div', 'sub', num(a.activeClients) + ' distinct clients in 30 days \u00b7 last request ' + ago(a.lastRequestAt) +
        (a.hostKeyIds.length ? '' : ' \u00b7 no host key covers it')));
      add(box, card);
    });
  }

  function fact(dl, name, value, mono) { add(dl, el('dt', null, name), el('dd', mono ? 'mono' : null, value)); }

  function renderHost(s) {
    var dl = clear($('host'));
    fact(dl, 'Version', s.host.version + ' (' + s.host.mode + ')');
    fact(dl, 'Listening on', s.host.listen.length ? s.host.listen.join(', ') : 'not listening in this process', true);
    fact(dl, 'Activation interval', minutes(s.intervals.activationMinutes));
    fact(dl, 'Renewal interval', minutes(s.intervals.renewalMinutes));
    fact(dl, 'Clock tolerance', s.clockToleranceMinutes === null ? 'not checked' : '\u00b1 ' + minutes(s.clockToleranceMinutes));
    fact(dl, 'Up', uptime(s.host.uptimeSeconds) + ' (since ' + new Date(s.host.startedAt).toLocaleString() + ')');
    fact(dl, 'Active clients', num(s.totals.activeClients) + ' in the last 30 days');
    if (s.ingress) {
      var i = s.ingress;
      fact(dl, 'KMS connections', num(i.connectionsActive || 0) + ' open, ' + num(i.connectionsAccepted || 0) + ' accepted, ' + num(i.connectionsDropped || 0) + ' dropped');
      fact(dl, 'KMS answers', num(i.activated || 0) + ' activated, ' + num(i.refused || 0) + ' refused, ' + num(i.invalid || 0) + ' invalid, ' + num(i.unavailable || 0) + ' unanswered');
    }
    var dns = $('dns-wrap');
    if (s.dns) {
      dns.hidden = false;
      var body = clear($('dns'));
      if (!s.dns.available) add(body, add(el('tr'), add(el('td', 'no', s.dns.error || 'DNS registrar unavailable'))));
      s.dns.domains.forEach(function (d) {
        var tr = el('tr');
        add(tr, el('td', null, d.domain), el('td', d.ok ? 'yes' : 'no', d.outcome), el('td', 'nowrap', ago(d.at)), el('td', 'mono', d.message || d.record || ''));
        add(body, tr);
      });
    } else dns.hidden = true;
  }

  function renderKeys(keys) {
    var body = clear($('keys'));
    if (keys.length === 0) { add(body, add(el('tr'), el('td', 'empty', 'No host key configured.'))); return; }
    keys.forEach(function (k) {
      var tr = el('tr');
      var name = add(el('td'), el('div', null, k.name), el('div', 'sub', k.groupLabel || k.group));
      var covers = el('details');
      add(covers, el('summary', null, k.coveredProducts.length + (k.coveredProducts.length === 1 ? ' product' : ' products')));
      var ul = el('ul');
      k.coveredProducts.forEach(function (p) { add(ul, el('li', null, p.name)); });
      add(covers, ul);
      add(tr, name, el('td', 'mono nowrap', k.epid || 'not generated yet'), el('td', 'mono', k.hwid || '\u2013'),
        el('td', null, k.identitySource), add(el('td'), covers));
      add(body, tr);
    });
  }

  function renderRequests(s) {
    var head = clear($('req-head')), body = clear($('req-body'));
    add(head, el('th', null, 'Requests'));
    s.applications.forEach(function (a) { add(head, el('th', 'num', a.name)); });
    add(head, el('th', 'num', 'All'));
    function row(label, key, strong) {
      var tr = el('tr', strong ? 'strong' : null);
      add(tr, el('td', null, label));
      s.applications.forEach(function (a) { add(tr, el('td', 'num', num(a.requests[key]))); });
      add(tr, el('td', 'num', num(s.totals.requests[key])));
      add(body, tr);
    }
    row('Total requests received', 'total', true);
    row('Failed requests received', 'failed', true);
    LICENSE_KEYS.forEach(function (k, i) { row('License status ' + LICENSE[i], k, false); });
  }

  function fillAppFilter(apps) {
    if (state.appsLoaded) return;
    var sel = $('f-app');
    apps.forEach(function (a) { var o = el('option', null, a.name); o.value = a.applicationId; add(sel, o); });
    state.appsLoaded = true;
  }

  function loadStatus() {
    return getJson('v1/status').then(function (s) {
      $('version').textContent = 'v' + s.host.version + ' \u00b7 ' + s.host.mode;
      renderApps(s.applications);
      renderHost(s);
      renderKeys(s.hostKeys);
      renderRequests(s);
      fillAppFilter(s.applications);
      state.statusShown = true;
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      setError('Status', null);
    }).catch(function (e) {
      $('updated').textContent = 'status failed at ' + new Date().toLocaleTimeString();
      setError('Status', e);
      if (!state.statusShown) clear($('apps')).appendChild(el('div', 'empty', 'Status unavailable: see the message above.'));
    });
  }

  function clientsUrl() {
    var p = new URLSearchParams();
    var pairs = [['application', $('f-app').value], ['workstation', $('f-ws').value.trim()], ['address', $('f-addr').value.trim()],
      ['licenseStatus', $('f-ls').value], ['since', $('f-since').value], ['limit', $('f-limit').value]];
    pairs.forEach(function (kv) { if (kv[1]) p.set(kv[0], kv[1]); });
    if (state.cursor) p.set('cursor', state.cursor);
    return 'v1/clients?' + p.toString();
  }

  function loadClients() {
    return getJson(clientsUrl()).then(function (page) {
      var body = clear($('clients'));
      if (page.clients.length === 0) add(body, add(el('tr'), Object.assign(el('td', 'empty', 'No clients match.'), { colSpan: 10 })));
      page.clients.forEach(function (c) {
        var tr = el('tr');
        var ws = add(el('td'), el('div', null, c.workstation || '(no name)'), el('div', 'sub mono', c.cmid));
        ws.title = 'CMID ' + c.cmid + (c.previousCmid !== '00000000-0000-0000-0000-000000000000' ? ', previous ' + c.previousCmid : '');
        var prod = add(el('td'), el('div', null, c.productName), el('div', 'sub', c.applicationName));
        prod.title = 'SKU ' + c.skuId + ', KMS counted ID ' + c.kmsCountedId + ' (' + c.kmsCountedName + ')';
        var out = el('td', 'outcome-' + c.lastOutcome, c.lastOutcome + (c.lastError ? ' ' + c.lastError : ''));
        add(tr, ws, prod, el('td', 'ls-' + c.licenseStatus, c.licenseStatusName), el('td', 'num', remaining(c.remainingMinutes)),
          el('td', 'mono', c.address), el('td', null, c.vm ? 'VM' : ''), el('td', 'nowrap', ago(c.lastSeen)),
          el('td', 'nowrap', ago(c.firstSeen)), el('td', 'num', num(c.requestCount)), out);
        tr.cells[6].title = c.lastSeen;
        tr.cells[7].title = c.firstSeen;
        add(body, tr);
      });
      state.next = page.nextCursor;
      $('next').disabled = !page.nextCursor;
      $('prev').disabled = state.back.length === 0;
      $('page').textContent = 'page ' + (state.back.length + 1) + ' \u00b7 ' + page.clients.length + ' shown';
      setError('Clients', null);
    }).catch(function (e) { setError('Clients', e); });
  }

  function resetPaging() { state.cursor = null; state.back = []; loadClients(); }

  function tick() {
    if (!state.paused) {
      loadStatus();
      if (state.back.length === 0) loadClients();
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    LICENSE.forEach(function (name, i) { var o = el('option', null, i + ' ' + name); o.value = String(i); add($('f-ls'), o); });
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); resetPaging(); });
    ['f-app', 'f-ls', 'f-since', 'f-limit'].forEach(function (id) { $(id).addEventListener('change', resetPaging); });
    var t = null;
    ['f-ws', 'f-addr'].forEach(function (id) {
      $(id).addEventListener('input', function () { clearTimeout(t); t = setTimeout(resetPaging, 400); });
    });
    $('next').addEventListener('click', function () { if (!state.next) return; state.back.push(state.cursor); state.cursor = state.next; loadClients(); });
    $('prev').addEventListener('click', function () { if (!state.back.length) return; state.cursor = state.back.pop(); loadClients(); });
    $('pause').addEventListener('click', function () {
      state.paused = !state.paused;
      $('pause').textContent = state.paused ? 'Resume' : 'Pause';
      indicate();
    });
    $('refresh').addEventListener('click', function () { loadStatus(); loadClients(); });
    loadStatus();
    loadClients();
    setInterval(tick, REFRESH_MS);
  });
})();
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * Content-Security-Policy of the page: only its own inline script and style
 * (by hash) run, and it may only talk to its own origin.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src ${sha256(JS)}`,
  `style-src ${sha256(CSS)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The dashboard document. */
export const DASHBOARD_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kmsgrid · KMS host</title>
<link rel="icon" href="data:,">
<style>${CSS}</style>
</head>
<body>
<header>
  <h1>kmsgrid</h1>
  <span class="meta" id="version"></span>
  <span class="spacer"></span>
  <span class="meta"><span class="dot" id="dot"></span><span id="updated">loading…</span></span>
  <button id="refresh" type="button">Refresh</button>
  <button id="pause" type="button">Pause</button>
</header>
<main>
  <div class="banner" id="banner" role="alert"></div>
  <section>
    <h2>Activation counts</h2>
    <div class="apps" id="apps"><div class="empty">Loading…</div></div>
  </section>
  <div class="grid2">
    <section>
      <h2>Host</h2>
      <dl class="facts" id="host"></dl>
      <div id="dns-wrap" hidden>
        <h2 class="gap">DNS (_vlmcs._tcp)</h2>
        <table><thead><tr><th>Domain</th><th>Last outcome</th><th>When</th><th>Detail</th></tr></thead><tbody id="dns"></tbody></table>
      </div>
    </section>
    <section>
      <h2>Requests by license state (cumulative)</h2>
      <div class="scroll"><table><thead><tr id="req-head"></tr></thead><tbody id="req-body"></tbody></table></div>
    </section>
  </div>
  <section>
    <h2>Host keys</h2>
    <div class="scroll"><table>
      <thead><tr><th>Host key</th><th>KMS host ePID</th><th>HWID</th><th>Identity</th><th>Covers</th></tr></thead>
      <tbody id="keys"></tbody>
    </table></div>
  </section>
  <section>
    <h2>Clients</h2>
    <form class="filters" id="filters">
      <label>Application<select id="f-app"><option value="">All</option></select></label>
      <label>Workstation (prefix)<input id="f-ws" maxlength="64" placeholder="e.g. PC-"></label>
      <label>Address<input id="f-addr" maxlength="64" placeholder="exact"></label>
      <label>License status<select id="f-ls"><option value="">Any</option></select></label>
      <label>Seen<select id="f-since"><option value="">Any time</option><option value="1h">Last hour</option><option value="24h">Last 24 h</option><option value="7d">Last 7 days</option><option value="30d">Last 30 days</option></select></label>
      <label>Page size<select id="f-limit"><option>25</option><option selected>50</option><option>100</option><option>250</option><option>500</option></select></label>
    </form>
    <div class="scroll"><table class="wide">
      <thead><tr><th>Workstation / CMID</th><th>Product</th><th>License status</th><th class="num">Remaining</th><th>Address</th><th></th><th>Last seen</th><th>First seen</th><th class="num">Requests</th><th>Last outcome</th></tr></thead>
      <tbody id="clients"></tbody>
    </table></div>
    <div class="pager"><span id="page"></span><button id="prev" type="button" disabled>‹ Previous</button><button id="next" type="button" disabled>Next ›</button></div>
  </section>
</main>
<script>${JS}</script>
</body>
</html>
`;
