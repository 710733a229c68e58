/**
 * The status page: one self-contained HTML document (inline style and script, nothing fetched
 * from elsewhere, so it works on an air-gapped mirror). Its script is the compiled
 * `status-page-client.js`, inlined once and allowed by hash in the page's CSP.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';

export interface StatusPage {
  readonly body: Buffer;
  readonly contentSecurityPolicy: string;
}

const STYLE = `
:root { color-scheme: light dark; --fg: #1d232a; --muted: #66707a; --bg: #fbfbfa; --card: #fff;
  --line: #e3e5e8; --accent: #2f6fdf; --drain: #b26a00; --drain-bg: #fff4e0; --gone: #b3261e;
  --gone-bg: #fde8e7; --warn: #8a5a00; --warn-bg: #fff8d6; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8ea; --muted: #9aa3ad; --bg: #15181b;
  --card: #1d2125; --line: #30363c; --accent: #6ea0ff; --drain: #ffb347; --drain-bg: #3a2a10;
  --gone: #ff8a80; --gone-bg: #3b1614; --warn: #ffd866; --warn-bg: #332b0c; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 1rem 1.5rem 2rem; font: 14px/1.45 system-ui, sans-serif;
  color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; gap: .75rem; align-items: baseline; }
h1 { font-size: 1.3rem; margin: 0 .5rem 0 0; }
.pill { padding: .1rem .6rem; border-radius: 1rem; background: var(--line); font-weight: 600; }
.pill.serving { background: #d9f2e0; color: #17662f; }
.pill.draining { background: var(--drain-bg); color: var(--drain); }
.pill.stopping, .pill.exited { background: var(--gone-bg); color: var(--gone); }
#deadline { color: var(--drain); font-weight: 600; }
#link { margin-left: auto; color: var(--muted); }
body[data-link=reconnecting] #link { color: var(--drain); font-weight: 600; }
body[data-link=gone] #link { color: var(--gone); font-weight: 600; }
body[data-link=gone] main { opacity: .45; }
.notice { margin: .75rem 0; padding: .6rem .9rem; border-radius: .4rem; font-weight: 600; }
#banner { background: var(--drain-bg); color: var(--drain); border: 1px solid var(--drain); }
#gone { background: var(--gone-bg); color: var(--gone); border: 1px solid var(--gone); }
#warnings { background: var(--warn-bg); color: var(--warn); border: 1px solid var(--warn); }
.notice p { margin: 0; }
.notice ul { margin: .3rem 0 0; padding-left: 1.2rem; font-weight: 400; }
.notice li { overflow-wrap: anywhere; }
.cuts li { font-family: ui-monospace, monospace; }
.cards { display: flex; flex-wrap: wrap; gap: .75rem; margin: .75rem 0; }
.cards[hidden] { display: none; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .4rem;
  padding: .4rem .8rem; min-width: 9rem; }
.card span { display: block; }
.card .label { color: var(--muted); font-size: .8rem; }
.card .value { font-size: 1.1rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.chart { background: var(--card); border: 1px solid var(--line); border-radius: .4rem;
  padding: .4rem .8rem; margin-bottom: .75rem; max-width: 640px; }
.chart svg { width: 100%; height: 80px; display: block; }
#chart-line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
#chart-area { fill: var(--accent); opacity: .15; stroke: none; }
.chart .label { color: var(--muted); font-size: .8rem; display: flex; justify-content: space-between; }
/* Narrow screens scroll the table sideways rather than squeeze every column. */
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); }
th, td { padding: .25rem .5rem; border-bottom: 1px solid var(--line); text-align: left;
  white-space: nowrap; }
th { cursor: pointer; user-select: none; color: var(--muted); font-weight: 600; }
th[aria-sort=ascending]::after { content: ' ▲'; }
th[aria-sort=descending]::after { content: ' ▼'; }
/* The file column takes what the others leave (width 100%, max-width 0 lets it shrink) and
   cuts the name on the left: right-to-left box, the name itself isolated left-to-right. */
th[data-key=path], td.path { width: 100%; }
td.path { max-width: 0; min-width: 14rem; font-family: ui-monospace, monospace; }
.file { display: flex; }
.file .method { flex: none; margin-right: .6ch; color: var(--muted); }
.file .name { flex: 1 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis;
  direction: rtl; text-align: left; }
.file bdi { direction: ltr; unicode-bidi: isolate; }
td.client { font-family: ui-monospace, monospace; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.state { color: var(--muted); }
td.progress { min-width: 11rem; }
.bar { display: inline-block; vertical-align: middle; width: 7rem; height: .6rem;
  background: var(--line); border-radius: .3rem; overflow: hidden; margin-right: .4rem; }
.fill { height: 100%; background: var(--accent); transition: width .8s linear; }
.pct { font-variant-numeric: tabular-nums; }
#more, #empty, footer { color: var(--muted); margin: .5rem 0; }
button { font: inherit; }
`;

const BODY = `
<header>
  <h1>ebb</h1>
  <span id="state" class="pill">…</span>
  <span id="deadline"></span>
  <span id="link">connecting…</span>
</header>
<div id="gone" class="notice" role="alert" hidden></div>
<main>
  <div id="banner" class="notice" role="status" hidden></div>
  <div id="warnings" class="notice" role="alert" hidden>
    <p>Warnings from the server:</p>
    <ul id="warning-list"></ul>
  </div>
  <section class="cards">
    <div class="card"><span class="label">uptime</span><span class="value" id="uptime">…</span></div>
    <div class="card"><span class="label">requests</span><span class="value" id="requests">…</span></div>
    <div class="card"><span class="label">bytes served</span><span class="value" id="served">…</span></div>
    <div class="card"><span class="label">throughput</span><span class="value" id="throughput">…</span></div>
    <div class="card"><span class="label">connections</span><span class="value" id="connections">…</span></div>
  </section>
  <section class="cards" id="limits" aria-label="limits" hidden>
    <div class="card"><span class="label">connection cap</span><span class="value" id="cap-total">…</span></div>
    <div class="card"><span class="label">per-IP cap (busiest client)</span><span class="value" id="cap-per-ip">…</span></div>
    <div class="card"><span class="label">refused (503)</span><span class="value" id="cap-refused">…</span></div>
    <div class="card"><span class="label">total rate</span><span class="value" id="rate-total">…</span></div>
    <div class="card"><span class="label">rate per connection</span><span class="value" id="rate-per-connection">…</span></div>
  </section>
  <section class="chart">
    <div class="label"><span>throughput, last 5 minutes</span><span id="chart-max"></span></div>
    <svg viewBox="0 0 600 80" preserveAspectRatio="none" role="img" aria-label="throughput">
      <polygon id="chart-area" points=""></polygon>
      <polyline id="chart-line" points=""></polyline>
    </svg>
  </section>
  <div class="table-wrap">
  <table>
    <thead>
      <tr id="head-row">
        <th data-key="client">client</th><th data-key="path">file</th><th data-key="state">state</th>
        <th data-key="progress">progress</th><th data-key="bytes">received of total</th>
        <th data-key="rate">rate</th><th data-key="eta">ETA</th>
      </tr>
    </thead>
    <tbody id="rows"></tbody>
  </table>
  </div>
  <p id="empty">No connections.</p>
  <p id="more" hidden></p>
  <p><button id="reset-sort" type="button">slowest first</button></p>
</main>
<footer id="meta"></footer>
`;

/** The compiled browser script, without its source-map comment. */
function clientScript(): string {
  const source = readFileSync(new URL('./status-page-client.js', import.meta.url), 'utf8');
  const script = source.replace(/^\/\/# sourceMappingURL=.*$/m, '').trim();
  if (/<\/script/i.test(script)) throw new Error('bug: the status page script contains </script');
  return script;
}

let built: StatusPage | null = null;

/** The page, built on first use and kept. */
export function statusPage(): StatusPage {
  if (built !== null) return built;
  const script = clientScript();
  const hash = createHash('sha256').update(script).digest('base64');
  const html =
    `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>ebb status</title>\n<style>${STYLE}</style>\n</head>\n<body data-link="connecting">` +
    `${BODY}<script type="module">${script}</script>\n</body>\n</html>\n`;
  built = {
    body: Buffer.from(html, 'utf8'),
    contentSecurityPolicy:
      `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; ` +
      `connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
  return built;
}
