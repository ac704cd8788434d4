// The Plexus console: a single page over the node's /v1 API, routed by the URL's hash.
// Each page is a function that fetches what it shows and returns DOM nodes; a new block
// (from /v1/events) re-renders the current page, at most once a second.
"use strict";

const BLOCK_WINDOW = 30; // blocks the network page's rates are measured over
const EPOCHS_LISTED = 20;
const CLASS_COLOURS = {
  compute: "#3857d6", storage: "#d97706", bandwidth: "#059669",
  coverage: "#9333ea", poc: "#c026d3", sensor: "#db2777", training: "#0891b2",
  oracles: "#6b7280",
};

// ---------- DOM and formatting ----------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  append(el, children);
  return el;
}

function plx(uplx) {
  if (uplx === undefined || uplx === null) return "–";
  const v = BigInt(uplx);
  const whole = v / 1000000n;
  const frac = (v % 1000000n).toString().padStart(6, "0").replace(/0+$/, "");
  return whole.toLocaleString("en-US") + (frac ? "." + frac : "") + " PLX";
}

function short(hex, n = 12) {
  return hex && hex.length > n + 2 ? hex.slice(0, n) + "…" : hex;
}

function link(href, text, attrs) {
  return h("a", Object.assign({ href }, attrs || {}), text);
}
const deviceLink = (key) => link("#/devices/" + key, h("code", {}, short(key, 16)), { "data-device": key });
const accountLink = (addr) => link("#/accounts/" + addr, h("code", {}, addr));

function statusName(status) {
  if (typeof status === "string") return status;
  if (status && typeof status === "object") return Object.keys(status)[0] || "?";
  return "?";
}
function statusText(status) {
  const name = statusName(status);
  if (typeof status === "object" && status && status[name] && typeof status[name] === "object") {
    const extra = Object.entries(status[name]).map(([k, v]) => `${k} ${v}`).join(", ");
    return extra ? `${name} (${extra})` : name;
  }
  return name;
}

function card(label, value, id) {
  return h("div", { class: "card" }, h("div", { class: "label" }, label),
    h("div", { class: "value", id }, value));
}

function table(columns, rows, emptyText, attrs) {
  if (!rows.length) return h("p", { class: "empty" }, emptyText);
  return h("table", attrs || {},
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", r.attrs || {},
      columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r)))))));
}

function kv(pairs) {
  return h("dl", { class: "kv" }, pairs.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function empty(text) { return h("p", { class: "empty" }, text); }
function errorBox(text) { return h("div", { class: "error", role: "alert" }, text); }

// ---------- the API ----------

class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function api(path) {
  let resp;
  try {
    resp = await fetch(path, { headers: { accept: "application/json" } });
  } catch (e) {
    throw new ApiError(0, "unreachable", `The node's API is unreachable (${path}): ${e.message}`);
  }
  let body;
  try { body = await resp.json(); } catch (e) {
    throw new ApiError(resp.status, "bad_answer", `${path} answered ${resp.status} with no JSON`);
  }
  if (!resp.ok) {
    const err = body && body.error ? body.error : {};
    throw new ApiError(resp.status, err.code || "error", `${path}: ${err.message || resp.status}`);
  }
  return body;
}

async function maybe(path) {
  try { return await api(path); } catch (e) { if (e.status === 404) return null; throw e; }
}

// The devices a filter on /v1/devices matches (the node looks at a bounded number of
// registrations per page; the console at most 1000 matches and 100 pages).
async function matchingDevices(filter) {
  const items = [];
  let from = 0;
  for (let i = 0; i < 100 && items.length < 1000; i++) {
    const page = await api(`/v1/devices?${filter}&from=${from}&limit=1000`);
    items.push(...page.devices);
    if (page.next === null || page.next === undefined) break;
    from = page.next;
  }
  return items;
}

// Every page of a paged list endpoint (bounded: the console lists at most 1000 items).
async function allPages(path, field) {
  const items = [];
  let from = 0;
  for (let i = 0; i < 10; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api(`${path}${sep}from=${from}&limit=100`);
    items.push(...page[field]);
    if (page.next === null || page.next === undefined) break;
    from = page.next;
  }
  return items;
}

// ---------- charts and the map ----------

function lineChart(title, points, opts) {
  return multiLineChart(title, [{ name: opts.id, colour: opts.colour, points }], opts);
}

// Lines over a shared x axis (rounds, or epochs with `xLabel: "epoch"`), one per series, with
// a legend when there are several. `data-points` counts the first series' points.
function multiLineChart(title, series, opts) {
  const W = 460, H = 220, L = 50, R = 12, T = 24, B = 30;
  const xLabel = opts.xLabel || "round";
  const points = series.flatMap((se) => se.points);
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "chart",
    "data-chart": opts.id, "data-points": series.length ? series[0].points.length : 0 });
  svg.appendChild(s("text", { x: L, y: 15, style: "font-weight:600;fill:#1d2433" }, title));
  if (!points.length) {
    svg.appendChild(s("text", { x: W / 2 - 40, y: H / 2 }, opts.empty || `no ${xLabel}s yet`));
    return svg;
  }
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (opts.zero) y0 = Math.min(0, y0);
  if (y1 === y0) { y1 += 1; y0 -= opts.zero ? 0 : 1; }
  const px = (x) => L + (x1 === x0 ? (W - L - R) / 2 : ((x - x0) / (x1 - x0)) * (W - L - R));
  const py = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    svg.appendChild(s("line", { x1: L, x2: W - R, y1: py(v), y2: py(v), stroke: "#eee" }));
    svg.appendChild(s("text", { x: 4, y: py(v) + 4 }, opts.fmt(v)));
  }
  svg.appendChild(s("text", { x: L, y: H - 8 }, `${xLabel} ${x0}`));
  svg.appendChild(s("text", { x: W - R - 60, y: H - 8 }, `${xLabel} ${x1}`));
  series.forEach((se, i) => {
    svg.appendChild(s("polyline", { fill: "none", stroke: se.colour, "stroke-width": 2, "data-series": se.name,
      points: se.points.map((p) => `${px(p.x)},${py(p.y)}`).join(" ") }));
    for (const p of se.points) {
      svg.appendChild(s("circle", { cx: px(p.x), cy: py(p.y), r: 3, fill: se.colour, class: "point" },
        s("title", {}, `${se.name} · ${xLabel} ${p.x}: ${opts.fmt(p.y)}`)));
    }
    if (series.length > 1) {
      const lx = W - R - 110, ly = 12 + 12 * i;
      svg.appendChild(s("rect", { x: lx, y: ly - 8, width: 8, height: 8, fill: se.colour }));
      svg.appendChild(s("text", { x: lx + 12, y: ly }, se.name));
    }
  });
  return svg;
}

function barChart(title, bars, id) {
  const W = 460, H = 180, L = 10, T = 24, B = 24;
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-chart": id });
  svg.appendChild(s("text", { x: L, y: 15, style: "font-weight:600;fill:#1d2433" }, title));
  const max = bars.reduce((m, b) => (b.v > m ? b.v : m), 0);
  const bw = Math.max(2, (W - 2 * L) / Math.max(1, bars.length) - 2);
  bars.forEach((b, i) => {
    const hgt = max > 0 ? (b.v / max) * (H - T - B) : 0;
    const x = L + i * (bw + 2);
    svg.appendChild(s("rect", { x, y: H - B - hgt, width: bw, height: Math.max(hgt, 1), fill: "#3857d6" },
      s("title", {}, b.title)));
  });
  if (bars.length) {
    svg.appendChild(s("text", { x: L, y: H - 6 }, bars[0].label));
    svg.appendChild(s("text", { x: W - 70, y: H - 6 }, bars[bars.length - 1].label));
  }
  return svg;
}

// Hexagons in an equirectangular projection, fitted to the cells' bounding box.
function cellMap(cells, classResource) {
  const W = 700, H = 360, pad = 30;
  const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, id: "device-map",
    "data-cells": cells.length });
  if (!cells.length) {
    svg.appendChild(s("text", { x: W / 2 - 60, y: H / 2 }, "no devices to map"));
    return svg;
  }
  const pts = cells.flatMap((c) => c.boundary);
  let [la0, la1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [lo0, lo1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  const spanLat = Math.max(la1 - la0, 1e-9), spanLng = Math.max(lo1 - lo0, 1e-9);
  const scale = Math.min((W - 2 * pad) / spanLng, (H - 2 * pad) / spanLat);
  const ox = pad + (W - 2 * pad - spanLng * scale) / 2, oy = pad + (H - 2 * pad - spanLat * scale) / 2;
  const proj = ([lat, lng]) => [ox + (lng - lo0) * scale, oy + (la1 - lat) * scale];
  for (const c of cells) {
    const colour = CLASS_COLOURS[classResource[c.class]] || "#999";
    const poly = s("polygon", {
      points: c.boundary.map((p) => proj(p).join(",")).join(" "),
      fill: colour, "fill-opacity": 0.45, stroke: colour, "data-device": c.key,
    }, s("title", {}, `${c.class} · ${statusName(c.status)} · ${c.key}\ncell ${BigInt(c.h3_cell).toString(16)} at ${c.center[0].toFixed(4)}, ${c.center[1].toFixed(4)}`));
    poly.addEventListener("click", () => { location.hash = "#/devices/" + c.key; });
    svg.appendChild(poly);
  }
  svg.appendChild(s("text", { x: 6, y: H - 6 },
    `lat ${la0.toFixed(3)}…${la1.toFixed(3)}, lng ${lo0.toFixed(3)}…${lo1.toFixed(3)}`));
  return svg;
}

// ---------- pages ----------

let chainInfo = null;
async function chain() {
  if (!chainInfo) chainInfo = await api("/v1/chain");
  return chainInfo;
}
function classResources(info) {
  return Object.fromEntries(info.device_classes.map((c) => [c.name, c.resource]));
}

async function networkPage() {
  const [status, info, rewards, staking, validators] = await Promise.all([
    api("/v1/status"), chain(), api("/v1/rewards"), api("/v1/staking"), api("/v1/validators"),
  ]);
  const top = status.height;
  const heights = [];
  for (let hgt = top; hgt > Math.max(0, top - BLOCK_WINDOW); hgt--) heights.push(hgt);
  const blocks = (await Promise.all(heights.map((hgt) => maybe(`/v1/blocks/${hgt}`)))).filter(Boolean);
  let bps = "–", tps = "–";
  if (blocks.length > 1) {
    const secs = (blocks[0].time_ms - blocks[blocks.length - 1].time_ms) / 1000;
    const txs = blocks.slice(0, -1).reduce((n, b) => n + b.txs.length, 0);
    if (secs > 0) { bps = ((blocks.length - 1) / secs).toFixed(2); tps = (txs / secs).toFixed(2); }
  }
  const epochBlocks = info.rewards.epoch_blocks;
  const latestEpoch = rewards.last_ended_epoch > 0 ? await maybe("/v1/epochs/latest") : null;
  const operators = validators.operators || [];
  return [
    h("h1", {}, "Network ", h("code", { id: "chain-id" }, status.chain_id)),
    h("div", { class: "cards" },
      card("Height", String(top), "height"),
      card(`Blocks / s (last ${blocks.length})`, bps, "blocks-per-second"),
      card(`Transactions / s (last ${blocks.length})`, tps, "txs-per-second"),
      card("Transactions committed", String(status.txs_committed), "txs-committed"),
      card("Mempool", String(status.mempool_size)),
      card("Current epoch", String(Math.floor(Math.max(top - 1, 0) / epochBlocks) + 1), "current-epoch"),
      card("Last ended epoch", String(rewards.last_ended_epoch)),
      card("Emission per epoch", latestEpoch ? plx(latestEpoch.epoch.emission) : plx(info.rewards.initial_epoch_emission)),
      card("Minted", plx(rewards.minted)),
      card("Rewards paid", plx(rewards.paid)),
      card("Claimable", plx(rewards.claimable)),
      card("Stake slashed", plx(rewards.slashed_stake)),
      card("Bonded to validators", plx(staking.bonded)),
      card("Minimum fee", plx(status.min_fee)),
      card("Devices", String(status.devices)),
      card("Version", status.version),
    ),
    h("h2", {}, `Validators and operators (${operators.length})`),
    table([
      { label: "Address", cell: (v) => accountLink(v.address) },
      { label: "Kind", cell: (v) => v.kind },
      { label: "Tokens", num: true, cell: (v) => plx(v.tokens) },
      { label: "Commission", num: true, cell: (v) => `${v.commission_bps / 100}%` },
      { label: "Jailed until", cell: (v) => v.jailed_until ?? "–" },
    ], operators, "No validators registered with the staking module (a solo devnet's producer is not one)."),
    h("h2", {}, "Latest blocks"),
    table([
      { label: "Height", num: true, cell: (b) => link(`#/blocks/${b.height}`, String(b.height)) },
      { label: "Time", cell: (b) => new Date(b.time_ms).toISOString().replace("T", " ").slice(0, 23) },
      { label: "Txs", num: true, cell: (b) => String(b.txs.length) },
      { label: "Hash", cell: (b) => h("code", {}, short(b.hash, 16)) },
      { label: "Proposer", cell: (b) => accountLink(b.proposer) },
    ], blocks.slice(0, 15), "No blocks yet.", { id: "latest-blocks" }),
  ];
}

const DEVICES_PER_PAGE = 100;
const DEVICE_STATUSES = ["active", "retired", "slashed", "withdrawn"];

// The devices page: a page of DEVICES_PER_PAGE devices at a time from the registration cursor
// `from`, filtered on the node (which looks at a bounded number of registrations per page),
// with one request each for the devices, their rewards and their cells.
async function devicesPage(params) {
  const from = Math.max(0, parseInt(params.get("from") || "0", 10) || 0);
  const classFilter = params.get("class") || "", statusFilter = params.get("status") || "";
  const filter = new URLSearchParams();
  if (classFilter) filter.set("class", classFilter);
  if (statusFilter) filter.set("status", statusFilter);
  const query = `from=${from}&limit=${DEVICES_PER_PAGE}` + (filter.toString() ? "&" + filter : "");
  const [info, page, rewards, cells] = await Promise.all([
    chain(), api(`/v1/devices?${query}`), api(`/v1/devices/rewards?${query}`), api(`/v1/devices/cells?${query}`),
  ]);
  const devices = page.devices;
  const resources = classResources(info);
  const totals = Object.fromEntries(rewards.rewards.map((r) => [r.device, r.total]));
  const pageHash = (at) => {
    const p = new URLSearchParams(filter);
    if (at) p.set("from", String(at));
    return "#/devices" + (p.toString() ? "?" + p : "");
  };
  const select = (name, values, current) => h("select", {
    name, onchange: (e) => {
      const p = new URLSearchParams(filter);
      p.delete("from");
      p.set(name, e.target.value);
      if (!e.target.value) p.delete(name);
      location.hash = "#/devices" + (p.toString() ? "?" + p : "");
    },
  }, h("option", { value: "" }, `every ${name}`),
  values.map((v) => h("option", v === current ? { value: v, selected: "" } : { value: v }, v)));
  const classes = info.device_classes.map((c) => c.name).sort();
  const usedResources = [...new Set(devices.map((d) => resources[d.class]))].sort();
  const filtered = Boolean(classFilter || statusFilter);
  // Unfiltered, a page is DEVICES_PER_PAGE registrations; filtered, the node says where the
  // next one starts and the way back is to the first.
  const prev = from === 0 ? null : filtered ? 0 : Math.max(0, from - DEVICES_PER_PAGE);
  const through = page.next === null || page.next === undefined ? null : page.next;
  const pager = h("p", { class: "pager" },
    prev === null ? null : link(pageHash(prev), filtered ? "« First" : "« Previous", { id: "devices-prev" }),
    ` Registrations ${from + 1}–${through === null ? "last" : through}${filtered ? " looked at" : ""} `,
    through === null ? null : link(pageHash(through), "Next »", { id: "devices-next", "data-from": through }));
  return [
    h("h1", {}, `Devices (${devices.length} on this page)`),
    h("div", { class: "filters" }, select("class", classes, classFilter), select("status", DEVICE_STATUSES, statusFilter)),
    pager,
    table([
      { label: "Key", cell: (d) => deviceLink(d.key) },
      { label: "Class", cell: (d) => d.class },
      { label: "Resource", cell: (d) => resources[d.class] || "?" },
      { label: "Status", cell: (d) => h("span", { class: "status-" + statusName(d.status) }, statusText(d.status)) },
      { label: "Stake", num: true, cell: (d) => plx(d.stake) },
      { label: "Rewards claimed", num: true, cell: (d) => h("span", { "data-rewards": totals[d.key] }, plx(totals[d.key])) },
      { label: "Owner", cell: (d) => accountLink(d.owner) },
      { label: "Registered", num: true, cell: (d) => `epoch ${d.registered_epoch}` },
    ], devices.map((d) => Object.assign({ attrs: { "data-device-row": d.key } }, d)),
    filtered ? (through === null ? "No device matches these filters." : "No device of these registrations matches; try the next page.")
      : from > 0 ? "No devices past this point." : "No devices are registered yet.",
    { id: "devices-table" }),
    h("h2", {}, "Where they are"),
    h("p", { class: "legend" }, usedResources.map((r) =>
      h("span", {}, h("i", { style: `background:${CLASS_COLOURS[r] || "#999"}` }), r))),
    cellMap(cells.cells, resources),
  ];
}

async function oracleEvidence(key, epochs) {
  const settings = await maybe("/v1/console");
  const oracles = settings ? settings.oracles : [];
  if (!oracles.length) return { note: "This node was not told of an oracle, so no evidence is shown." };
  const base = oracles[0];
  const rows = [];
  try {
    for (const epoch of epochs) {
      const resp = await fetch(`${base}/v1/evidence/${epoch}`);
      if (!resp.ok) continue;
      const text = await resp.text();
      const counts = {};
      for (const line of text.split("\n")) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line);
        if (rec.device !== key) continue;
        counts[rec.kind] = (counts[rec.kind] || 0) + 1;
      }
      rows.push({ epoch, counts });
    }
  } catch (e) {
    return { note: `The oracle at ${base} is unreachable: ${e.message}` };
  }
  return { base, rows };
}

// The audit of the manifest a device was paid from: a claimed reward's manifest is final.
function deviceAuditCell(e, resource) {
  if (!AUDITED.includes(resource)) return "not scored from evidence";
  return e.claimed ? auditCell(e.epoch, resource, true) : link(`#/epochs/${e.epoch}`, "on the epoch's page");
}

async function devicePage(key) {
  const device = await api(`/v1/devices/${encodeURIComponent(key)}`);
  const [rewards, info] = await Promise.all([api(`/v1/devices/${key}/rewards`), chain()]);
  const recent = rewards.epochs.slice(-3).map((e) => e.epoch);
  const evidence = await oracleEvidence(key, recent);
  const c = device.capabilities;
  return [
    h("h1", {}, "Device ", h("code", {}, short(key, 24))),
    kv([
      ["Key", h("code", { id: "device-key" }, device.key)],
      ["Owner", accountLink(device.owner)],
      ["Class", `${device.class} (${classResources(info)[device.class] || "?"})`],
      ["Status", h("span", { id: "device-status", class: "status-" + statusName(device.status) }, statusText(device.status))],
      ["Stake", plx(device.stake)],
      ["Registered", `epoch ${device.registered_epoch}, block ${device.registered_height}`],
      ["H3 cell", h("code", {}, BigInt(device.h3_cell).toString(16))],
      ["Capabilities", `${c.cpu_cores} cores, ${c.memory_mb} MB` + (c.gpu_count ? `, ${c.gpu_count}× ${c.gpu_model}` : "") +
        (c.endpoint ? ` · ${c.endpoint}` : "")],
      ["Rewards claimed", h("span", { id: "device-rewards-total" }, plx(rewards.total))],
    ]),
    h("h2", {}, `Rewards per epoch (${rewards.resource} pool)`),
    barChart("claimed per epoch", rewards.epochs.map((e) => ({
      v: Number(BigInt(e.amount) / 1000n), label: `epoch ${e.epoch}`, title: `epoch ${e.epoch}: ${plx(e.amount)}`,
    })), "device-rewards"),
    table([
      { label: "Epoch", num: true, cell: (e) => link(`#/epochs/${e.epoch}`, String(e.epoch)) },
      { label: "Claimed", cell: (e) => (e.claimed ? "yes" : "no") },
      { label: "Amount", num: true, cell: (e) => h("span", { "data-amount": e.amount }, plx(e.amount)) },
      { label: "Manifest audit", cell: (e) => deviceAuditCell(e, rewards.resource) },
    ], rewards.epochs.slice().reverse().map((e) => Object.assign({ attrs: { "data-epoch": e.epoch } }, e)),
    "No epoch has ended since this device registered.", { id: "device-rewards" }),
    h("h2", {}, "Evidence at the oracle"),
    evidence.note ? empty(evidence.note) : table([
      { label: "Epoch", num: true, cell: (r) => String(r.epoch) },
      { label: "Records", cell: (r) => Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(", ") || "none" },
    ], evidence.rows, `The oracle at ${evidence.base} holds no evidence of the last epochs.`, { id: "device-evidence" }),
  ];
}

// PLX (a float, for drawing only) from base units.
function plxNumber(uplx) {
  return Number(BigInt(uplx || 0)) / 1e6;
}

// The live network's economics over the listed epochs, oldest first: emission, each class's
// pool, what was paid and what went to validators, and the tokens minted to date (the total
// minted less the emission of the epochs after each one).
function economicsCharts(epochs, rewards) {
  const fmt = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(v >= 10 ? 0 : 2));
  const at = (f) => epochs.map((v) => ({ x: v.epoch.epoch, y: f(v) }));
  const resources = [...new Set(epochs.flatMap((v) => v.pools.map((p) => p.resource)))].sort();
  const pool = (v, r) => plxNumber((v.pools.find((p) => p.resource === r) || {}).amount);
  const paid = (v) => plxNumber(v.pools.reduce((n, p) => n + BigInt(p.paid), 0n).toString());
  let later = 0n;
  const minted = [];
  for (const v of epochs.slice().reverse()) {
    minted.push({ x: v.epoch.epoch, y: plxNumber((BigInt(rewards.minted) - later).toString()) });
    later += BigInt(v.epoch.emission);
  }
  minted.reverse();
  const opts = (id) => ({ id, xLabel: "epoch", fmt, zero: true, empty: "no epoch has ended yet" });
  return h("div", { class: "charts", id: "economics" },
    multiLineChart("minted to date (PLX)", [{ name: "minted", colour: "#1d2433", points: minted }], opts("minted")),
    multiLineChart("emission and payouts per epoch (PLX)", [
      { name: "emission", colour: "#3857d6", points: at((v) => plxNumber(v.epoch.emission)) },
      { name: "paid", colour: "#22863a", points: at(paid) },
      { name: "to validators", colour: "#c0352b", points: at((v) => plxNumber(v.epoch.to_validators)) },
    ], opts("emission")),
    multiLineChart("pools by class per epoch (PLX)", resources.map((r) => ({
      name: r, colour: CLASS_COLOURS[r] || "#999", points: at((v) => pool(v, r)),
    })), opts("pools")));
}

// ---------- manifest audits (the node re-runs `plexus audit epoch`) ----------

// Resources whose manifests an oracle scores from evidence that anyone can re-check.
const AUDITED = ["compute", "bandwidth"];
// Results of audits run from this page, by "epoch/resource": pages re-render on each block.
const auditResults = new Map();

function auditResultEl(r) {
  if (r.state === "running") return h("span", { "data-audit-result": "running" }, "auditing…");
  if (r.state === "error") return h("span", { "data-audit-result": "error", class: "status-bad" }, r.message);
  const a = r.audit;
  const roots = [
    " · recomputed root ", h("code", { "data-recomputed-root": a.recomputed.root }, short(a.recomputed.root, 16)),
    a.match ? " = " : " ≠ ", "on chain ", h("code", { "data-on-chain-root": a.on_chain.root }, short(a.on_chain.root, 16)),
    ` · ${a.records} records, ${a.devices_rewarded} devices paid, evidence of ${a.oracle}`,
  ];
  return a.match
    ? h("span", { "data-audit-result": "match", class: "status-active", title: a.recomputed.root }, "matches", roots)
    : h("span", { "data-audit-result": "mismatch", class: "status-bad" },
      `does NOT match (${a.mismatch.join(", ")})`, roots);
}

// A pool's audit: a button that asks the node to re-run it, and what the last run found.
function auditCell(epoch, resource, final) {
  if (!AUDITED.includes(resource)) return "–";
  if (!final) return "no final manifest";
  const key = `${epoch}/${resource}`;
  const cell = h("span", { "data-audit": resource, "data-epoch": epoch });
  const fill = () => {
    const r = auditResults.get(key);
    const button = h("button", {
      type: "button", disabled: r && r.state === "running" ? "" : null,
      onclick: async () => {
        auditResults.set(key, { state: "running" });
        fill();
        try {
          auditResults.set(key, { state: "done", audit: await api(`/v1/epochs/${epoch}/audit/${resource}`) });
        } catch (e) {
          auditResults.set(key, { state: "error", message: e.message });
        }
        // The page may have re-rendered meanwhile: refresh every cell of this audit.
        for (const el of document.querySelectorAll(`[data-audit="${resource}"][data-epoch="${epoch}"]`)) el.refill();
      },
    }, "Re-run audit");
    cell.replaceChildren(button, r ? " " : "", r ? auditResultEl(r) : "");
  };
  cell.refill = fill;
  fill();
  return cell;
}

async function epochsPage() {
  const rewards = await api("/v1/rewards");
  const last = rewards.last_ended_epoch;
  const numbers = [];
  for (let e = last; e >= 1 && numbers.length < EPOCHS_LISTED; e--) numbers.push(e);
  const epochs = await Promise.all(numbers.map((e) => api(`/v1/epochs/${e}`)));
  return [
    h("h1", {}, "Epochs"),
    economicsCharts(epochs.slice().reverse(), rewards),
    table([
      { label: "Epoch", num: true, cell: (v) => link(`#/epochs/${v.epoch.epoch}`, String(v.epoch.epoch)) },
      { label: "Heights", cell: (v) => `${v.epoch.start_height}–${v.epoch.end_height}` },
      { label: "Emission", num: true, cell: (v) => plx(v.epoch.emission) },
      { label: "Final manifests", num: true, cell: (v) => `${v.pools.filter((p) => p.manifest).length} / ${v.pools.length}` },
      { label: "Paid", num: true, cell: (v) => plx(v.pools.reduce((n, p) => n + BigInt(p.paid), 0n).toString()) },
    ], epochs, "No epoch has ended yet.", { id: "epochs-table" }),
  ];
}

async function epochPage(n) {
  const [view, devices] = await Promise.all([api(`/v1/epochs/${encodeURIComponent(n)}`), matchingDevices("status=slashed")]);
  const e = view.epoch;
  const slashed = devices.filter((d) => d.status.slashed && d.status.slashed.at_epoch === e.epoch);
  return [
    h("h1", {}, `Epoch ${e.epoch}`),
    kv([
      ["Heights", `${e.start_height}–${e.end_height}`],
      ["Emission", plx(e.emission)],
      ["To validators", plx(e.to_validators)],
      ["Split dust", plx(e.split_dust)],
      ["Last ended epoch", String(view.last_ended)],
    ]),
    h("h2", {}, "Pools and manifests"),
    table([
      { label: "Pool", cell: (p) => p.resource },
      { label: "Amount", num: true, cell: (p) => plx(p.amount) },
      { label: "Manifest", cell: (p) => (p.manifest ? "final" : "not final") },
      { label: "Manifest root", cell: (p) => (p.manifest ? h("code", { "data-root": p.manifest.root }, p.manifest.root) : "–") },
      { label: "Evidence root", cell: (p) => (p.manifest ? h("code", {}, short(p.manifest.evidence_root, 16)) : "–") },
      { label: "Units", num: true, cell: (p) => (p.manifest ? p.manifest.total_units : "–") },
      { label: "Claimed units", num: true, cell: (p) => p.claimed_units },
      { label: "Paid", num: true, cell: (p) => plx(p.paid) },
      { label: "Forfeited", num: true, cell: (p) => plx(p.forfeited) },
      { label: "Audit", cell: (p) => auditCell(e.epoch, p.resource, Boolean(p.manifest)) },
    ], view.pools.map((p) => Object.assign({ attrs: { "data-pool": p.resource } }, p)), "This epoch has no pools.", { id: "pools-table" }),
    h("h2", {}, "Devices slashed in this epoch"),
    table([
      { label: "Device", cell: (d) => deviceLink(d.key) },
      { label: "Class", cell: (d) => d.class },
      { label: "Owner", cell: (d) => accountLink(d.owner) },
    ], slashed, "No device was slashed in this epoch."),
  ];
}

async function marketPage() {
  const [totals, orders] = await Promise.all([api("/v1/market"), allPages("/v1/market/orders", "orders")]);
  const leases = orders.flatMap((o) => o.leases || []);
  return [
    h("h1", {}, "Compute market"),
    h("div", { class: "cards" },
      card("Orders", String(orders.length)),
      card("Escrowed", plx(totals.escrowed)),
      card("Paid to providers", plx(totals.paid)),
      card("Refunded", plx(totals.refunded)),
      card("Fees", plx(totals.fees)),
      card("Bonds slashed", plx(totals.bonds_slashed)),
      card("Wrong results", String(totals.wrong_results)),
      card("Balanced", String(totals.balanced)),
    ),
    h("h2", {}, "Orders"),
    table([
      { label: "Id", num: true, cell: (o) => String(o.order.id) },
      { label: "Owner", cell: (o) => accountLink(o.order.owner) },
      { label: "State", cell: (o) => o.order.state.state + (o.order.state.reason ? ` (${o.order.state.reason})` : "") },
      { label: "Runtime", cell: (o) => o.order.terms.runtime },
      { label: "Bids", num: true, cell: (o) => String((o.bids || []).length) },
      { label: "Leases", num: true, cell: (o) => String((o.leases || []).length) },
      { label: "Escrow", num: true, cell: (o) => plx(o.order.escrow) },
      { label: "Paid", num: true, cell: (o) => plx(o.order.paid) },
    ], orders.slice().reverse().slice(0, 100), "No compute orders yet.", { id: "orders-table" }),
    h("h2", {}, "Leases"),
    table([
      { label: "Id", num: true, cell: (l) => String(l.id) },
      { label: "Order", num: true, cell: (l) => String(l.order) },
      { label: "Device", cell: (l) => deviceLink(l.device) },
      { label: "State", cell: (l) => l.state.state + (l.state.reason ? ` (${l.state.reason})` : "") },
      { label: "Price / block", num: true, cell: (l) => plx(l.price_per_block) },
      { label: "Check", cell: (l) => l.check },
    ], leases.slice().reverse().slice(0, 100), "No leases yet."),
    await marketChecks(leases),
  ];
}

function roleText(role) {
  if (role.role === "verifier") return `verifier of lease ${role.of}`;
  if (role.role === "referee") return `referee of lease ${role.of} and verifier ${role.verifier}`;
  return role.role;
}

// Re-executions (verifier and referee leases, with the check of the lease they re-ran) and who
// was caught (leases whose results were shown wrong, their bonds slashed), most recent 100.
async function marketChecks(leases) {
  const byId = new Map(leases.map((l) => [l.id, l]));
  const reruns = leases.filter((l) => l.role.role !== "run").reverse().slice(0, 100);
  const caught = leases.filter((l) => l.check === "wrong" || l.check === "forfeited").reverse().slice(0, 100);
  const providers = [...new Set(caught.map((l) => l.provider))];
  const records = new Map(await Promise.all(providers.map(async (p) => [p, await maybe(`/v1/market/providers/${p}`)])));
  return h("section", {},
    h("h2", {}, "Re-executions"),
    table([
      { label: "Lease", num: true, cell: (l) => String(l.id) },
      { label: "Order", num: true, cell: (l) => String(l.order) },
      { label: "Role", cell: (l) => roleText(l.role) },
      { label: "Device", cell: (l) => deviceLink(l.device) },
      { label: "Output", cell: (l) => (l.output ? h("code", {}, short(l.output, 16)) : "–") },
      { label: "Outcome", cell: (l) => {
        const checked = byId.get(l.role.of);
        const outcome = checked ? checked.check : "?";
        return h("span", { "data-outcome": outcome, class: outcome === "wrong" ? "status-bad" : null }, `lease ${l.role.of}: ${outcome}`);
      } },
    ], reruns.map((l) => Object.assign({ attrs: { "data-lease": l.id, "data-of": l.role.of } }, l)),
    "No result has been re-executed yet.", { id: "reexecutions-table" }),
    h("h2", {}, "Caught"),
    table([
      { label: "Lease", num: true, cell: (l) => String(l.id) },
      { label: "Order", num: true, cell: (l) => String(l.order) },
      { label: "Provider", cell: (l) => accountLink(l.provider) },
      { label: "Device", cell: (l) => deviceLink(l.device) },
      { label: "Why", cell: (l) => (l.check === "wrong" ? "result shown wrong" : "sealed result not revealed") },
      { label: "Bond slashed", num: true, cell: (l) => plx(l.deposit) },
      { label: "Provider's record", cell: (l) => {
        const r = records.get(l.provider);
        return r ? `${r.confirmed} confirmed, ${r.wrong} wrong${r.banned ? ", barred from bidding" : ""}` : "–";
      } },
    ], caught.map((l) => Object.assign({ attrs: { "data-lease": l.id, "data-provider": l.provider } }, l)),
    "No provider has been caught with a wrong result.", { id: "caught-table" }),
  );
}

async function storagePage() {
  const [totals, deals] = await Promise.all([api("/v1/storage"), allPages("/v1/storage/deals", "deals")]);
  return [
    h("h1", {}, "Storage"),
    h("div", { class: "cards" },
      card("Deals", String(deals.length)),
      card("Escrowed", plx(totals.escrowed)),
      card("Held", plx(totals.held)),
      card("Paid", plx(totals.paid)),
      card("Refunded", plx(totals.refunded)),
    ),
    h("h2", {}, "Deals"),
    table([
      { label: "Id", num: true, cell: (d) => link(`#/storage/deals/${d.id}`, String(d.id)) },
      { label: "Blob", cell: (d) => h("code", {}, short(d.blob, 16)) },
      { label: "Client", cell: (d) => accountLink(d.client) },
      { label: "Epochs", cell: (d) => `${d.first_epoch}–${d.last_epoch}` },
      { label: "Replicas", cell: (d) => (d.assigned || []).map((a) => h("div", {}, deviceLink(a.device), " ", statusText(a.device_status))) },
      { label: "Failed audits", num: true, cell: (d) => h("span", { "data-failed": (d.failed || []).length }, String((d.failed || []).length)) },
      { label: "Handovers under way", num: true, cell: (d) => h("span", { "data-repairs": (d.handovers || []).length }, String((d.handovers || []).length)) },
      { label: "Escrow", num: true, cell: (d) => plx(d.escrow) },
      { label: "Paid", num: true, cell: (d) => plx(d.paid) },
    ], deals.map((d) => Object.assign({ attrs: { "data-deal": d.id } }, d)), "No storage deals yet.", { id: "deals-table" }),
    storageAudits(deals),
  ];
}

// Every replica's audits: the challenges it failed (and was unpaid and replaced for), and the
// replacements that took over a failed or departed replica (repairs), newest deals first.
function dealReplicas(d) {
  const handover = (key) => (d.handovers || []).find((x) => x.device === key);
  const rows = (d.assigned || []).map((a) => ({
    device: a.device, status: statusText(a.device_status),
    audit: "passing", repair: handover(a.device) ? `replacement, serves from epoch ${handover(a.device).first_epoch}` : "–",
  }));
  for (const f of d.failed || []) {
    const repaired = (d.assigned || []).length >= d.replicas;
    rows.push({ device: f.device, status: "dropped", audit: `failed in epoch ${f.epoch}`,
      repair: repaired ? "reassigned to another device" : "no device left to take it", failedEpoch: f.epoch });
  }
  return rows.map((r) => Object.assign({ deal: d.id, attrs: { "data-replica": r.device, "data-deal": d.id,
    "data-failed-epoch": r.failedEpoch } }, r));
}

function replicaTable(rows, attrs) {
  return table([
    { label: "Deal", num: true, cell: (r) => link(`#/storage/deals/${r.deal}`, String(r.deal)) },
    { label: "Device", cell: (r) => deviceLink(r.device) },
    { label: "Status", cell: (r) => r.status },
    { label: "Audit", cell: (r) => h("span", { class: r.failedEpoch ? "status-bad" : null }, r.audit) },
    { label: "Repair", cell: (r) => r.repair },
  ], rows, "No replica assigned.", attrs);
}

function storageAudits(deals) {
  const rows = deals.slice().reverse().slice(0, 100).flatMap(dealReplicas);
  return h("section", {},
    h("h2", {}, "Replicas, audits and repairs"),
    replicaTable(rows, { id: "replicas-table" }),
  );
}

async function dealPage(id) {
  const d = await api(`/v1/storage/deals/${encodeURIComponent(id)}`);
  return [
    h("h1", {}, `Storage deal ${d.id}`),
    kv([
      ["Blob", link(`#/blobs/${d.blob}`, h("code", {}, d.blob))],
      ["Client", accountLink(d.client)],
      ["Size", `${d.size} bytes`],
      ["Replicas wanted", String(d.replicas)],
      ["Epochs", `${d.first_epoch}–${d.last_epoch}`],
      ["Status", statusText(d.status)],
      ["Price / replica / epoch", plx(d.price_per_replica_epoch)],
      ["Escrow", plx(d.escrow)], ["Paid", plx(d.paid)], ["Refunded", plx(d.refunded)],
    ]),
    h("h2", {}, "Replicas, audits and repairs"),
    replicaTable(dealReplicas(d), { id: "deal-replicas" }),
  ];
}

async function trainingPage() {
  const [totals, tasks] = await Promise.all([api("/v1/learn"), allPages("/v1/learn/tasks", "tasks")]);
  return [
    h("h1", {}, "Training"),
    h("div", { class: "cards" }, Object.entries(totals).filter(([, v]) => typeof v !== "object")
      .map(([k, v]) => card(k.replace(/_/g, " "), /^\d{7,}$/.test(String(v)) ? plx(v) : String(v)))),
    h("h2", {}, "Tasks"),
    table([
      { label: "Task", num: true, cell: (t) => link(`#/training/${t.id}`, String(t.id)) },
      { label: "Created", num: true, cell: (t) => `block ${t.created_height}` },
      { label: "Participants", num: true, cell: (t) => String(t.participants.length) },
      { label: "Rounds", num: true, cell: (t) => String((t.rounds || []).length) },
      { label: "Paid", num: true, cell: (t) => plx(t.paid) },
    ], tasks, "No training tasks yet.", { id: "tasks-table" }),
  ];
}

async function trainingTaskPage(id) {
  const [task, rounds] = await Promise.all([
    api(`/v1/learn/tasks/${encodeURIComponent(id)}`), allPages(`/v1/learn/tasks/${encodeURIComponent(id)}/rounds`, "rounds"),
  ]);
  const last = rounds[rounds.length - 1];
  return [
    h("h1", {}, `Training task ${task.id}`),
    h("div", { class: "charts" },
      lineChart("accuracy by round", rounds.map((r) => ({ x: r.round, y: r.accuracy_ppm / 1e4 })),
        { id: "accuracy", colour: "#22863a", fmt: (v) => v.toFixed(1) + "%", zero: true }),
      lineChart("loss by round", rounds.map((r) => ({ x: r.round, y: r.loss_micro / 1e6 })),
        { id: "loss", colour: "#c0352b", fmt: (v) => v.toFixed(3) })),
    h("h2", {}, "Participants"),
    table([
      { label: "Account", cell: (p) => accountLink(p.account) },
      { label: "From round", num: true, cell: (p) => String(p.from_round) },
      { label: "Bond", num: true, cell: (p) => plx(p.bond) },
      { label: "Bond forfeited", cell: (p) => (p.bond_forfeit ? "yes" : "no") },
      { label: "Earned", num: true, cell: (p) => plx(p.earned) },
      { label: "Last round's score", num: true, cell: (p) => {
        const share = last && last.shares.find((x) => x.participant === p.account);
        return share ? String(share.score) : "–";
      } },
    ], task.participants, "No participants yet."),
    h("h2", {}, "Rounds"),
    table([
      { label: "Round", num: true, cell: (r) => String(r.round) },
      { label: "Block", num: true, cell: (r) => String(r.height) },
      { label: "Accuracy", num: true, cell: (r) => (r.accuracy_ppm / 1e4).toFixed(2) + "%" },
      { label: "Loss", num: true, cell: (r) => (r.loss_micro / 1e6).toFixed(4) },
      { label: "Pot", num: true, cell: (r) => plx(r.pot) },
      { label: "Paid", num: true, cell: (r) => plx(r.paid) },
    ], rounds.slice().reverse(), "No round has closed yet.", { id: "rounds-table" }),
  ];
}

async function accountPage(address) {
  const account = await api(`/v1/accounts/${encodeURIComponent(address)}`);
  const [owned, provider, delegations] = await Promise.all([
    matchingDevices(`owner=${encodeURIComponent(account.address)}`), maybe(`/v1/market/providers/${address}`),
    maybe(`/v1/delegations/${address}`),
  ]);
  return [
    h("h1", {}, "Account"),
    kv([
      ["Address", h("code", { id: "account-address" }, account.address)],
      ["Balance", h("span", { id: "account-balance" }, plx(account.balance))],
      ["Nonce", String(account.nonce)],
      ["Exists", account.exists ? "yes" : "no (never funded)"],
      ["At height", String(account.height)],
      ["Provider record", provider ? `${provider.confirmed} confirmed, ${provider.wrong} wrong, ${provider.forfeited} forfeited${provider.banned ? ", banned" : ""}` : "–"],
    ]),
    h("h2", {}, `Devices owned (${owned.length})`),
    table([
      { label: "Key", cell: (d) => deviceLink(d.key) },
      { label: "Class", cell: (d) => d.class },
      { label: "Status", cell: (d) => statusText(d.status) },
      { label: "Stake", num: true, cell: (d) => plx(d.stake) },
    ], owned, "This account owns no device."),
    h("h2", {}, "Delegations"),
    h("pre", {}, delegations ? JSON.stringify(delegations, null, 1).slice(0, 2000) : "none"),
  ];
}

async function txPage(hash) {
  const tx = await api(`/v1/txs/${encodeURIComponent(hash)}`);
  return [
    h("h1", {}, "Transaction"),
    kv(Object.entries(tx).map(([k, v]) => [k, k === "height" ? link(`#/blocks/${v}`, String(v))
      : k === "fee" ? plx(v) : h("code", {}, typeof v === "object" ? JSON.stringify(v) : String(v))])),
  ];
}

async function blockPage(height) {
  const b = await api(`/v1/blocks/${encodeURIComponent(height)}`);
  return [
    h("h1", {}, `Block ${b.height}`),
    kv([
      ["Hash", h("code", {}, b.hash)], ["Time", new Date(b.time_ms).toISOString()],
      ["Proposer", accountLink(b.proposer)], ["App hash", h("code", {}, b.app_hash || "–")],
      ["Previous app hash", h("code", {}, b.prev_app_hash)], ["Beacon", h("code", {}, b.beacon)],
    ]),
    h("h2", {}, `Transactions (${b.txs.length})`),
    table([{ label: "Hash", cell: (t) => link(`#/txs/${t.hash}`, h("code", {}, t.hash)) }],
      b.txs.map((hash) => ({ hash })), "This block holds no transaction."),
  ];
}

async function blobPage(blob) {
  const view = await api(`/v1/storage/blobs/${encodeURIComponent(blob)}`);
  return [h("h1", {}, "Blob"), h("code", {}, blob), h("h2", {}, "Deals"),
    table([
      { label: "Id", num: true, cell: (d) => String(d.id) },
      { label: "Client", cell: (d) => accountLink(d.client) },
      { label: "Replicas", cell: (d) => (d.assigned || []).map((a) => h("div", {}, deviceLink(a.device))) },
    ], view.deals || [], "No deal keeps this blob.")];
}

// ---------- search ----------

async function search(query) {
  const q = query.trim();
  if (!q) return;
  if (/^plx1[0-9a-z]+$/.test(q)) { location.hash = "#/accounts/" + q; return; }
  if (/^\d+$/.test(q)) { location.hash = "#/blocks/" + q; return; }
  if (/^[0-9a-fA-F]{64}$/.test(q)) {
    const hex = q.toLowerCase();
    if (await maybe(`/v1/devices/${hex}`)) { location.hash = "#/devices/" + hex; return; }
    const tx = await maybe(`/v1/txs/${hex}`);
    if (tx && tx.status !== "unknown") { location.hash = "#/txs/" + hex; return; }
    const blob = await maybe(`/v1/storage/blobs/${hex}`);
    if (blob && (blob.deals || []).length) { location.hash = "#/blobs/" + hex; return; }
    renderError(`Nothing on this chain is known by ${hex}: no device, transaction or blob.`);
    return;
  }
  renderError(`"${q}" is not an address (plx1…), a block height, or a 64-digit hex hash or key.`);
}

// ---------- routing and live updates ----------

const ROUTES = [
  [/^\/?$/, () => networkPage()],
  [/^\/devices$/, (m, params) => devicesPage(params)],
  [/^\/devices\/([0-9a-fA-F]+)$/, (m) => devicePage(m[1])],
  [/^\/epochs$/, () => epochsPage()],
  [/^\/epochs\/(\w+)$/, (m) => epochPage(m[1])],
  [/^\/market$/, () => marketPage()],
  [/^\/storage$/, () => storagePage()],
  [/^\/storage\/deals\/(\d+)$/, (m) => dealPage(m[1])],
  [/^\/training$/, () => trainingPage()],
  [/^\/training\/(\d+)$/, (m) => trainingTaskPage(m[1])],
  [/^\/accounts\/(\w+)$/, (m) => accountPage(m[1])],
  [/^\/txs\/([0-9a-fA-F]+)$/, (m) => txPage(m[1])],
  [/^\/blocks\/(\d+)$/, (m) => blockPage(m[1])],
  [/^\/blobs\/([0-9a-fA-F]+)$/, (m) => blobPage(m[1])],
];

const pageEl = () => document.getElementById("page");
function renderError(text) {
  pageEl().replaceChildren(errorBox(text));
}

let rendering = null, renderAgain = false;
async function render() {
  if (rendering) { renderAgain = true; return rendering; }
  rendering = (async () => {
    do {
      renderAgain = false;
      const hash = location.hash.replace(/^#/, "") || "/";
      const [path, query] = hash.split("?");
      const params = new URLSearchParams(query || "");
      const route = ROUTES.find(([re]) => re.test(path));
      for (const a of document.querySelectorAll("nav a")) {
        const target = a.getAttribute("href").slice(1);
        a.classList.toggle("active", target === "/" ? path === "/" : path.startsWith(target));
      }
      if (!route) { renderError(`No page at ${hash}.`); continue; }
      const shownFor = location.hash;
      try {
        const nodes = await route[1](path.match(route[0]), params);
        if (location.hash !== shownFor) { renderAgain = true; continue; }
        pageEl().replaceChildren(...[nodes].flat());
        // What tests and `console-tests/bench_console.py` wait for: when the page was last
        // drawn, and how soon (ms since the document's navigation began) the page at
        // `renderedHash` was first drawn; redrawing it for a new block leaves that alone.
        pageEl().dataset.renderedAt = String(Date.now());
        if (pageEl().dataset.renderedHash !== shownFor) {
          pageEl().dataset.renderedMs = performance.now().toFixed(1);
          pageEl().dataset.renderedHash = shownFor;
        }
      } catch (e) {
        if (location.hash !== shownFor) { renderAgain = true; continue; }
        renderError(e instanceof ApiError ? e.message : `This page failed: ${e.message}`);
      }
    } while (renderAgain);
  })();
  try { await rendering; } finally { rendering = null; }
}

let lastRefresh = 0, refreshTimer = null;
function onBlock() {
  const wait = Math.max(0, 1000 - (Date.now() - lastRefresh));
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    lastRefresh = Date.now();
    render();
  }, wait);
}

function follow() {
  const badge = document.getElementById("live");
  const events = new EventSource("/v1/events");
  events.addEventListener("open", () => { badge.textContent = "live"; badge.className = "live on"; });
  events.addEventListener("block", (e) => {
    const block = JSON.parse(e.data);
    badge.textContent = `live · #${block.height}`;
    badge.dataset.height = String(block.height);
    onBlock();
  });
  // EventSource reconnects by itself; the badge says when it is down.
  events.addEventListener("error", () => { badge.textContent = "offline"; badge.className = "live off"; });
}

document.getElementById("search").addEventListener("submit", (e) => {
  e.preventDefault();
  search(document.getElementById("search-input").value).catch((err) => renderError(err.message));
});
window.addEventListener("hashchange", () => render());
render();
follow();
