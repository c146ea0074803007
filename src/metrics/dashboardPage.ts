/**
 * The dashboard page served at `GET /` of the metrics port: HTML, its script and stylesheet. The
 * script opens `events` (SSE, one JSON DashboardState per second, src/metrics/dashboard.ts),
 * fills the page with textContent only (slow log arguments are client data: never parsed as
 * HTML) and draws time series with uPlot, served from the package (`assets/uPlot.iife.min.js`):
 * no CDN, the page works offline. Element ids (`ops`, `keys-total`, `cmd-table` ...) are what the
 * browser test (test/integration/dashboard.test.ts) reads.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keydra dashboard</title>
<link rel="stylesheet" href="assets/uPlot.min.css">
<link rel="stylesheet" href="assets/dashboard.css">
</head>
<body>
<header>
  <h1>Keydra</h1>
  <span id="server-line">connecting…</span>
  <span id="status" class="status off">offline</span>
</header>
<main>
  <section class="cards">
    <div class="card"><div class="label">ops/s</div><div class="value" id="ops">–</div><div class="sub" id="ops-sub"></div></div>
    <div class="card"><div class="label">hit ratio</div><div class="value" id="hit-ratio">–</div><div class="sub" id="hit-sub"></div></div>
    <div class="card"><div class="label">memory</div><div class="value" id="mem-used">–</div><div class="bar"><div id="mem-bar"></div></div><div class="sub" id="mem-sub"></div></div>
    <div class="card"><div class="label">clients</div><div class="value" id="clients">–</div><div class="sub" id="clients-sub"></div></div>
    <div class="card"><div class="label">keys</div><div class="value" id="keys-total">–</div><div class="sub" id="keys-sub"></div></div>
    <div class="card"><div class="label">network</div><div class="value" id="net">–</div><div class="sub" id="net-sub"></div></div>
  </section>
  <section class="charts">
    <div class="panel"><h2>Operations per second</h2><div id="chart-ops" class="chart"></div></div>
    <div class="panel"><h2>Memory</h2><div id="chart-mem" class="chart"></div></div>
    <div class="panel"><h2>Event loop delay and GC (ms)</h2><div id="chart-loop" class="chart"></div></div>
  </section>
  <section class="grid">
    <div class="panel wide"><h2>Commands</h2>
      <table id="cmd-table"><thead><tr><th>command</th><th>ops/s</th><th>calls</th><th>µs/call</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>failed</th><th>rejected</th></tr></thead><tbody></tbody></table>
    </div>
    <div class="panel"><h2>Keyspace</h2>
      <table id="keyspace-table"><thead><tr><th>db</th><th>keys</th><th>expires</th><th>avg ttl</th><th>string</th><th>list</th><th>set</th><th>zset</th><th>hash</th><th>stream</th></tr></thead><tbody></tbody></table>
    </div>
    <div class="panel"><h2>Persistence</h2><dl id="persistence"></dl></div>
    <div class="panel"><h2>Replication</h2><dl id="replication"></dl>
      <table id="replicas-table"><thead><tr><th>replica</th><th>state</th><th>offset</th><th>lag s</th></tr></thead><tbody></tbody></table>
    </div>
    <div class="panel wide" id="cluster-panel" hidden><h2>Cluster</h2><dl id="cluster"></dl>
      <table id="cluster-table"><thead><tr><th>node</th><th>address</th><th>role</th><th>primary</th><th>slots</th><th>link</th><th>flags</th></tr></thead><tbody></tbody></table>
    </div>
    <div class="panel"><h2>Runtime</h2><dl id="runtime"></dl></div>
    <div class="panel wide"><h2>Slow log</h2>
      <table id="slowlog-table"><thead><tr><th>id</th><th>time</th><th>µs</th><th>command</th><th>client</th></tr></thead><tbody></tbody></table>
    </div>
  </section>
</main>
<script src="assets/uPlot.iife.min.js"></script>
<script src="assets/dashboard.js"></script>
</body>
</html>
`;

export const PAGE_CSS = `
:root { --bg:#0f1419; --panel:#182029; --line:#2a3540; --text:#d8dee4; --dim:#8b98a5; --accent:#4fb3ff; --warn:#f0a35e; --ok:#5ec27a; --bad:#ef5b5b; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--text); font:14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display:flex; align-items:center; gap:16px; padding:12px 20px; border-bottom:1px solid var(--line); }
header h1 { margin:0; font-size:20px; color:var(--accent); }
#server-line { color:var(--dim); flex:1; }
.status { padding:2px 10px; border-radius:10px; font-size:12px; }
.status.on { background:#1e3b28; color:var(--ok); }
.status.off { background:#3b1e1e; color:var(--bad); }
main { padding:16px 20px; }
.cards { display:grid; grid-template-columns:repeat(6, 1fr); gap:12px; }
.card, .panel { background:var(--panel); border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
[hidden] { display:none !important; }
.card .label { color:var(--dim); font-size:12px; text-transform:uppercase; letter-spacing:.05em; }
.card .value { font-size:26px; font-weight:600; margin:4px 0; font-variant-numeric:tabular-nums; }
.card .sub { color:var(--dim); font-size:12px; }
.bar { height:6px; background:var(--line); border-radius:3px; overflow:hidden; margin:4px 0; }
#mem-bar { height:100%; width:0; background:var(--accent); }
#mem-bar.high { background:var(--warn); }
.charts { display:grid; grid-template-columns:repeat(3, 1fr); gap:12px; margin-top:12px; }
.chart { min-height:180px; }
.grid { display:grid; grid-template-columns:repeat(3, 1fr); gap:12px; margin-top:12px; }
.panel.wide { grid-column: span 3; }
h2 { margin:0 0 8px; font-size:14px; color:var(--dim); font-weight:600; }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:right; padding:3px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
#slowlog-table td:nth-child(4) { text-align:left; white-space:normal; word-break:break-all; font-family:ui-monospace, monospace; }
td .opsbar { display:inline-block; height:8px; background:var(--accent); border-radius:2px; margin-right:6px; vertical-align:middle; }
dl { display:grid; grid-template-columns:auto 1fr; gap:2px 12px; margin:0 0 8px; }
dt { color:var(--dim); }
dd { margin:0; font-variant-numeric:tabular-nums; }
.uplot { font-family:inherit; }
.u-legend { color:var(--text); font-size:12px; }
@media (max-width: 1100px) { .cards { grid-template-columns:repeat(3, 1fr); } .charts, .grid { grid-template-columns:1fr; } .panel.wide { grid-column:auto; } }
`;

export const PAGE_JS = `'use strict';
(function () {
  var POINTS = 120;
  var $ = function (id) { return document.getElementById(id); };
  function int(n) { return Math.round(n).toLocaleString('en-US'); }
  function num(n, d) { return n === null || n === undefined ? '–' : Number(n).toFixed(d); }
  function bytes(n) {
    if (!n) return '0 B';
    var u = ['B', 'KB', 'MB', 'GB', 'TB'];
    var i = Math.min(u.length - 1, Math.floor(Math.log(n) / Math.log(1024)));
    return (n / Math.pow(1024, i)).toFixed(i === 0 ? 0 : 1) + ' ' + u[i];
  }
  function secs(n) {
    n = Math.floor(n);
    if (n < 60) return n + 's';
    if (n < 3600) return Math.floor(n / 60) + 'm ' + (n % 60) + 's';
    if (n < 86400) return Math.floor(n / 3600) + 'h ' + Math.floor((n % 3600) / 60) + 'm';
    return Math.floor(n / 86400) + 'd ' + Math.floor((n % 86400) / 3600) + 'h';
  }
  function when(unix) {
    if (!unix || unix === '0') return 'never';
    return new Date(Number(unix) * 1000).toLocaleString();
  }
  function set(id, text) { var e = $(id); if (e.textContent !== text) e.textContent = text; }
  function cell(tr, text) { var td = document.createElement('td'); td.textContent = text; tr.appendChild(td); return td; }
  function fillTable(id, rows) {
    var tb = $(id).tBodies[0];
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r); });
    tb.replaceChildren(frag);
  }
  function fillDl(id, pairs) {
    var dl = $(id);
    var frag = document.createDocumentFragment();
    pairs.forEach(function (p) {
      var dt = document.createElement('dt'); dt.textContent = p[0];
      var dd = document.createElement('dd'); dd.textContent = p[1];
      if (p[2]) dd.id = p[2];
      frag.appendChild(dt); frag.appendChild(dd);
    });
    dl.replaceChildren(frag);
  }

  // Time series (uPlot): x in Unix seconds.
  var data = { t: [], ops: [], hitsPct: [], used: [], rss: [], max: [], loopP99: [], loopMax: [], gcMax: [] };
  function push(k, v) { data[k].push(v); if (data[k].length > POINTS) data[k].shift(); }
  var charts = [];
  function makeChart(el, series, fmtY) {
    if (typeof uPlot === 'undefined') return null;
    var opts = {
      width: el.clientWidth || 400,
      height: 180,
      scales: { x: { time: true } },
      axes: [
        { stroke: '#8b98a5', grid: { stroke: '#2a3540' }, ticks: { stroke: '#2a3540' } },
        { stroke: '#8b98a5', grid: { stroke: '#2a3540' }, ticks: { stroke: '#2a3540' }, size: 78, values: function (u, vs) { return vs.map(fmtY); } },
      ],
      series: [{}].concat(series),
      legend: { live: false },
    };
    var u = new uPlot(opts, [[]].concat(series.map(function () { return []; })), el);
    u._el = el;
    charts.push(u);
    return u;
  }
  var opsChart = makeChart($('chart-ops'), [
    { label: 'ops/s', stroke: '#4fb3ff', fill: 'rgba(79,179,255,0.12)', width: 2 },
  ], function (v) { return v >= 1000 ? (v / 1000).toFixed(1) + 'k' : String(Math.round(v)); });
  var memChart = makeChart($('chart-mem'), [
    { label: 'used', stroke: '#5ec27a', width: 2 },
    { label: 'rss', stroke: '#8b98a5', width: 1 },
    { label: 'maxmemory', stroke: '#ef5b5b', width: 1, dash: [6, 4] },
  ], bytes);
  var loopChart = makeChart($('chart-loop'), [
    { label: 'loop p99', stroke: '#f0a35e', width: 2 },
    { label: 'loop max', stroke: '#c58af0', width: 1 },
    { label: 'GC max', stroke: '#ef5b5b', width: 1 },
  ], function (v) { return v.toFixed(1); });
  window.addEventListener('resize', function () {
    charts.forEach(function (u) { u.setSize({ width: u._el.clientWidth || 400, height: 180 }); });
  });

  var TYPES = ['string', 'list', 'set', 'zset', 'hash', 'stream'];
  var updates = 0;
  function render(s) {
    updates++;
    document.body.dataset.updates = String(updates);
    set('server-line', 'v' + s.version + ' · port ' + s.port + ' · ' + s.role + ' · up ' + secs(s.uptime));
    set('ops', int(s.ops));
    set('ops-sub', int(s.commandsProcessed) + ' commands processed');
    set('hit-ratio', s.hitRatio === null ? '–' : (s.hitRatio * 100).toFixed(1) + '%');
    set('hit-sub', int(s.hits) + ' hits · ' + int(s.misses) + ' misses' + (s.hitRatioNow === null ? '' : ' · now ' + (s.hitRatioNow * 100).toFixed(1) + '%'));
    set('mem-used', bytes(s.memory.used));
    var pct = s.memory.max > 0 ? Math.min(100, (s.memory.used / s.memory.max) * 100) : 0;
    var bar = $('mem-bar');
    bar.style.width = pct.toFixed(1) + '%';
    bar.className = pct > 90 ? 'high' : '';
    set('mem-sub', s.memory.max > 0 ? pct.toFixed(1) + '% of maxmemory ' + bytes(s.memory.max) + ' (' + s.memory.policy + ')' : 'no maxmemory · rss ' + bytes(s.memory.rss));
    set('clients', int(s.clients.connected));
    set('clients-sub', s.clients.blocked + ' blocked · max ' + int(s.clients.max));
    set('keys-total', int(s.keysTotal));
    set('keys-sub', int(s.expired) + ' expired · ' + int(s.evicted) + ' evicted');
    set('net', num(s.net.inKBps, 1) + ' / ' + num(s.net.outKBps, 1));
    set('net-sub', 'kB/s in / out');

    var t = s.time / 1000;
    push('t', t); push('ops', s.ops);
    push('used', s.memory.used); push('rss', s.memory.rss); push('max', s.memory.max > 0 ? s.memory.max : null);
    push('loopP99', s.runtime.loopDelayP99 * 1000); push('loopMax', s.runtime.loopDelayMax * 1000); push('gcMax', s.runtime.gcMax * 1000);
    if (opsChart) opsChart.setData([data.t, data.ops]);
    if (memChart) memChart.setData([data.t, data.used, data.rss, data.max]);
    if (loopChart) loopChart.setData([data.t, data.loopP99, data.loopMax, data.gcMax]);

    var maxOps = s.commands.reduce(function (m, c) { return Math.max(m, c.ops); }, 0);
    fillTable('cmd-table', s.commands.map(function (c) {
      var tr = document.createElement('tr');
      tr.dataset.cmd = c.cmd;
      cell(tr, c.cmd);
      var td = document.createElement('td');
      var b = document.createElement('span');
      b.className = 'opsbar';
      b.style.width = (maxOps > 0 ? Math.round((c.ops / maxOps) * 60) : 0) + 'px';
      td.appendChild(b);
      td.appendChild(document.createTextNode(num(c.ops, 1)));
      td.className = 'ops';
      tr.appendChild(td);
      cell(tr, int(c.calls)).className = 'calls';
      cell(tr, num(c.usecPerCall, 2));
      cell(tr, num(c.p50, 3));
      cell(tr, num(c.p99, 3));
      cell(tr, num(c.p999, 3));
      cell(tr, int(c.failed));
      cell(tr, int(c.rejected));
      return tr;
    }));
    fillTable('keyspace-table', s.keyspace.map(function (d) {
      var tr = document.createElement('tr');
      tr.dataset.db = String(d.db);
      cell(tr, 'db' + d.db);
      cell(tr, int(d.keys)).className = 'keys';
      cell(tr, int(d.expires));
      cell(tr, d.avgTtl > 0 ? secs(d.avgTtl / 1000) : '–');
      TYPES.forEach(function (ty) { cell(tr, d.types[ty] ? (d.estimated ? '≈' : '') + int(d.types[ty]) : '–').className = 'type-' + ty; });
      return tr;
    }));
    var p = s.persistence;
    var pairs = [];
    if (p.loading === '1') pairs.push(['loading', (p.loading_loaded_perc || '0') + '% · eta ' + (p.loading_eta_seconds || '?') + 's', 'loading']);
    else pairs.push(['loading', 'no', 'loading']);
    pairs.push(['last save', when(p.rdb_last_save_time)]);
    pairs.push(['changes since save', p.rdb_changes_since_last_save || '0']);
    pairs.push(['bgsave', p.rdb_bgsave_in_progress === '1' ? 'in progress ' + (p.current_save_keys_processed || 0) + '/' + (p.current_save_keys_total || 0) + ' keys' : 'idle · last ' + (p.rdb_last_bgsave_status || 'ok')]);
    pairs.push(['aof', p.aof_enabled === '1' ? 'on · ' + bytes(Number(p.aof_current_size || 0)) : 'off']);
    pairs.push(['aof rewrite', p.aof_rewrite_in_progress === '1' ? 'in progress' : p.aof_rewrite_scheduled === '1' ? 'scheduled' : 'idle · last ' + (p.aof_last_bgrewrite_status || 'ok')]);
    pairs.push(['aof last write', p.aof_last_write_status || 'ok']);
    fillDl('persistence', pairs);
    var r = s.replication.info;
    var rp = [['role', r.role || 'master', 'role']];
    if (r.role === 'slave') {
      rp.push(['primary', (r.master_host || '?') + ':' + (r.master_port || '?'), 'repl-primary']);
      rp.push(['link', (r.master_link_status || '?') + (r.master_sync_in_progress === '1' ? ' · syncing' : ''), 'repl-link']);
      rp.push(['replica offset', r.slave_repl_offset || '0', 'repl-replica-offset']);
    }
    rp.push(['replicas', r.connected_slaves || '0', 'repl-replicas']);
    rp.push(['repl offset', r.master_repl_offset || '0', 'repl-offset']);
    rp.push(['replid', (r.master_replid || '').slice(0, 12) + '…']);
    rp.push(['backlog', r.repl_backlog_active === '1' ? bytes(Number(r.repl_backlog_histlen || 0)) : 'inactive']);
    if (r.master_failover_state && r.master_failover_state !== 'no-failover') rp.push(['failover', r.master_failover_state]);
    fillDl('replication', rp);
    fillTable('replicas-table', s.replication.replicas.map(function (x) {
      var tr = document.createElement('tr');
      tr.dataset.replica = (x.ip || '?') + ':' + (x.port || '?');
      cell(tr, tr.dataset.replica);
      cell(tr, x.state || '').className = 'state';
      cell(tr, x.offset || '0').className = 'offset';
      cell(tr, x.lag || '0').className = 'lag';
      return tr;
    }));
    var cl = s.cluster;
    document.getElementById('cluster-panel').hidden = !cl;
    if (cl) {
      fillDl('cluster', [
        ['state', cl.state, 'cluster-state'],
        ['slots assigned', String(cl.slotsAssigned) + ' / 16384'],
        ['primaries with slots', String(cl.size)],
        ['known nodes', String(cl.nodes.length)],
        ['current epoch', String(cl.currentEpoch)],
      ]);
      fillTable('cluster-table', cl.nodes.map(function (n) {
        var tr = document.createElement('tr');
        tr.dataset.node = n.id;
        cell(tr, n.id.slice(0, 8) + (n.id === cl.myId ? ' (this node)' : ''));
        cell(tr, n.addr);
        cell(tr, n.role);
        cell(tr, n.primary ? n.primary.slice(0, 8) : '');
        cell(tr, String(n.slots)).className = 'slots';
        cell(tr, n.link);
        cell(tr, n.flags.join(','));
        return tr;
      }));
    }
    var rt = s.runtime;
    fillDl('runtime', [
      ['event loop p50 / p99', num(rt.loopDelayP50 * 1000, 2) + ' / ' + num(rt.loopDelayP99 * 1000, 2) + ' ms'],
      ['event loop max', num(rt.loopDelayMax * 1000, 2) + ' ms'],
      ['GC (last second)', rt.gcCount + ' pauses · max ' + num(rt.gcMax * 1000, 2) + ' ms'],
      ['V8 heap', bytes(rt.heapUsed) + ' used / ' + bytes(rt.heapTotal) + ' (limit ' + bytes(rt.heapLimit) + ')'],
    ]);
    fillTable('slowlog-table', s.slowlog.map(function (e) {
      var tr = document.createElement('tr');
      cell(tr, String(e.id));
      cell(tr, new Date(e.time * 1000).toLocaleTimeString());
      cell(tr, int(e.duration));
      cell(tr, e.argv.join(' '));
      cell(tr, e.peer + (e.name ? ' (' + e.name + ')' : ''));
      return tr;
    }));
  }

  var status = $('status');
  function online(on) { status.textContent = on ? 'live' : 'reconnecting'; status.className = 'status ' + (on ? 'on' : 'off'); }
  var es = new EventSource('events');
  es.onopen = function () { online(true); };
  es.onerror = function () { online(false); };
  es.onmessage = function (ev) { online(true); render(JSON.parse(ev.data)); };
})();
`;
