// TinyFed coordinator dashboard: one page over the coordinator's JSON API, kept current by its
// server-sent events (/api/events says what changed; the page then fetches that part). No libraries,
// nothing from other origins. Data is only ever put into the page as text, never as markup. The helpers
// and the registry's SPARQL console come from tinyfed-console.js, which the registry's own console shares.
"use strict";

const PAGES = ["fleet", "device", "training", "models", "registry", "rollouts"];
const PAGE_SIZE = 100;
// Reports move the fleet's figures many times a second in a large fleet: its table is fetched at most this often.
const FLEET_EVERY_MS = 3000;
const state = {
  live: null, page: "fleet", device: null, fleet: [], deployed: new Map(), sort: { key: "id", dir: 1 }, fleetPage: 0,
  modelId: null, dirty: new Set(), fleetLoaded: 0, fleetTimer: null, deadline: null,
};

const { $, el, bytes, num, api, fill } = TinyFed;

function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

// ---- connection ------------------------------------------------------------------------------------

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("state", (event) => {
    const next = JSON.parse(event.data);
    const before = state.live;
    state.live = next;
    setConnection(true);
    changed(before, next);
  });
  source.onopen = () => setConnection(true);
  source.onerror = () => setConnection(false); // EventSource reconnects by itself
}

function setConnection(up) {
  const c = $("connection");
  if (up) {
    c.textContent = "live";
    c.className = "connection live";
  } else {
    c.textContent = "coordinator unreachable, retrying ...";
    c.className = "connection lost";
    state.live = null; // everything is reloaded when it is back
  }
}

function changed(before, now) {
  $("fleet-name").textContent = now.fleet + " / " + now.modelId;
  state.modelId = now.modelId;
  const all = before === null;
  const fleet = all || before.known !== now.known || before.online !== now.online
      || before.samplesReported !== now.samplesReported || before.rollouts !== now.rollouts;
  const training = all || before.roundsClosed !== now.roundsClosed || before.roundOpen !== now.roundOpen
      || before.running !== now.running || before.version !== now.version || before.evaluations !== now.evaluations
      || before.refusedUpdates !== now.refusedUpdates || before.refusedMessages !== now.refusedMessages
      || before.roundsWanted !== now.roundsWanted;
  const models = all || before.version !== now.version;
  const rollouts = all || before.rollouts !== now.rollouts;
  const open = training || before.roundAccepted !== now.roundAccepted;
  renderRun(now);
  if (fleet) state.dirty.add("fleet").add("device");
  if (training) state.dirty.add("training");
  if (open) state.dirty.add("open");
  if (models) state.dirty.add("models");
  if (rollouts) state.dirty.add("rollouts");
  refresh();
}

// Only the page in view is fetched; the others are fetched when they come into view.
function refresh() {
  const page = state.page;
  if (page === "fleet" && state.dirty.has("fleet")) {
    const wait = state.fleetLoaded + FLEET_EVERY_MS - Date.now();
    if (wait > 0) {
      if (!state.fleetTimer) state.fleetTimer = setTimeout(() => { state.fleetTimer = null; refresh(); }, wait);
    } else {
      state.dirty.delete("fleet");
      state.fleetLoaded = Date.now();
      loadFleet();
    }
  }
  if (page === "device" && state.dirty.has("device")) { state.dirty.delete("device"); loadDevice(); }
  if (page === "training" && state.dirty.has("training")) { state.dirty.delete("training"); loadTraining(); }
  if (page === "training" && state.dirty.has("open")) { state.dirty.delete("open"); loadOpenRound(); }
  if (page === "models" && state.dirty.has("models")) { state.dirty.delete("models"); loadModels(); }
  if (page === "rollouts" && state.dirty.has("rollouts")) { state.dirty.delete("rollouts"); loadRollouts(); }
}

// ---- pages -----------------------------------------------------------------------------------------

function show() {
  const wanted = location.hash.replace("#", "");
  if (wanted.startsWith("device/")) {
    state.page = "device";
    state.device = decodeURIComponent(wanted.substring("device/".length));
    state.dirty.add("device");
  } else {
    state.page = PAGES.includes(wanted) && wanted !== "device" ? wanted : "fleet";
  }
  for (const p of PAGES) {
    $("page-" + p).hidden = p !== state.page;
  }
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.page === state.page) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  refresh();
}

// Fleet

async function loadFleet() {
  try {
    const [fleet, deployments] = await Promise.all([api("/api/fleet"), api("/api/deployments").catch(() => [])]);
    state.deployed = new Map(deployments.map((d) => [d.device, d.servingVersion]));
    state.fleet = (fleet.devices || []).map((d) => Object.assign({}, d, {
      formats: (d.formats || []).join(" "), deployed: state.deployed.get(d.id) || null,
    }));
    $("fleet-summary").textContent = fleet.known + " devices known, " + fleet.online + " online, "
        + fleet.eligible + " can train the current version";
    renderFleet();
  } catch (e) {
    $("fleet-summary").textContent = "fleet: " + e.message;
  }
}

function renderFleet() {
  const filter = $("fleet-filter").value.trim().toLowerCase();
  const onlineOnly = $("fleet-online").checked;
  const { key, dir } = state.sort;
  const rows = state.fleet.filter((d) => (!onlineOnly || d.online) && (!filter
      || [d.id, d.cpu, d.formats, d.gateway].some((v) => v && String(v).toLowerCase().includes(filter))));
  rows.sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === y) return a.id < b.id ? -1 : 1;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  const pages = Math.max(1, Math.ceil(rows.length / PAGE_SIZE));
  state.fleetPage = Math.min(state.fleetPage, pages - 1);
  const start = state.fleetPage * PAGE_SIZE;
  fill($("fleet-table").tBodies[0], rows.slice(start, start + PAGE_SIZE).map((d) => el("tr", { "data-device": d.id },
      el("td", {}, el("a", { href: "#device/" + encodeURIComponent(d.id) }, d.id)),
      el("td", { class: d.online ? "online" : "offline" }, d.online ? "online" : "offline"),
      el("td", {}, d.cpu || ""),
      el("td", { class: "num" }, bytes(d.ramBytes)),
      el("td", { class: "num" }, bytes(d.flashBytes)),
      el("td", {}, d.formats),
      el("td", {}, d.gateway || ""),
      el("td", { class: "num" }, d.samplesSeen == null ? "" : d.samplesSeen),
      el("td", { class: "num" }, num(d.prequentialLoss, 4)),
      el("td", { class: "num" }, d.rounds),
      el("td", { class: d.refused > 0 ? "num error" : "num" }, d.refused),
      el("td", { class: "num" }, d.deployed == null ? "" : "v" + d.deployed))));
  $("fleet-page").textContent = rows.length === 0 ? "no devices" : "devices " + (start + 1) + "-"
      + Math.min(rows.length, start + PAGE_SIZE) + " of " + rows.length;
  if (!state.rendered && state.fleet.length > 0) {
    state.rendered = true; // the first fleet the page shows, painted: what "first render" means in the browser tests
    requestAnimationFrame(() => setTimeout(() => performance.mark("tinyfed-fleet-rendered"), 0));
  }
  $("fleet-prev").disabled = state.fleetPage === 0;
  $("fleet-next").disabled = state.fleetPage >= pages - 1;
  for (const b of document.querySelectorAll("#fleet-table th button")) {
    if (b.dataset.sort === key) b.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    else b.removeAttribute("aria-sort");
  }
}

// One device

async function loadDevice() {
  const id = state.device;
  if (!id) return;
  try {
    const [d, deployments] = await Promise.all([api("/api/fleet/" + encodeURIComponent(id)),
      api("/api/deployments").catch(() => [])]);
    const dev = d.device;
    const deployment = deployments.find((x) => x.device === id);
    $("device-title").textContent = "Device " + dev.id;
    const facts = [["State", dev.online ? "online" : "offline"], ["CPU", dev.cpu || ""],
      ["RAM / flash", bytes(dev.ramBytes) + " / " + (bytes(dev.flashBytes) || "-")], ["Formats", (dev.formats || []).join(" ")],
      ["Sensors", (dev.sensors || []).join(", ") || "-"], ["Gateway", dev.gateway || "- (direct)"],
      ["Samples seen", dev.samplesSeen ?? "-"], ["Prequential loss", num(dev.prequentialLoss, 4) || "-"],
      ["Arena in use", bytes(d.arenaBytes) || "-"], ["Saturations", d.saturations ?? "-"],
      ["Rounds contributed", dev.rounds], ["Updates refused", dev.refused],
      ["Last refusal", d.lastRefusal ? d.lastRefusal + " (" + d.lastRefusalAt + ")" : "-"],
      ["Serves", deployment ? "v" + (deployment.servingVersion ?? "-") + " (" + deployment.state + ")" : "-"]];
    $("device-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    const points = (d.reports || []).filter((r) => r.prequentialLoss !== null).map((r) => [r.samplesSeen, r.prequentialLoss]);
    lineChart($("device-chart"), points, "samples");
    fill($("device-rounds").tBodies[0], (d.rounds || []).slice().reverse().map((r) => el("tr", { "data-round": r.round },
        el("td", { class: "num" }, r.round), el("td", {}, "v" + r.baseVersion),
        el("td", {}, r.newVersion > 0 ? "v" + r.newVersion : "none"),
        el("td", { class: r.part === "accepted" ? "online" : "error" }, r.part))));
  } catch (e) {
    $("device-title").textContent = "Device " + id;
    $("device-facts").replaceChildren(el("dt", {}, "Error"), el("dd", { class: "error" }, e.message));
  }
}

// Training

function renderRun(live) {
  $("run-model").textContent = live.modelId;
  $("run-round").textContent = String(live.roundsClosed) + (live.roundOpen ? " (round open)" : "");
  $("run-version").textContent = "v" + live.version;
  const left = live.roundsWanted - live.roundsClosed;
  $("run-state").textContent = !live.running ? "stopped"
      : left > 0 || live.roundOpen ? "running, " + Math.max(left, 0) + " rounds to go"
      : "finished: its " + live.roundsWanted + " rounds have closed";
}

async function loadOpenRound() {
  try {
    const t = await api("/api/training");
    const a = t.aggregation;
    $("run-aggregation").textContent = a.strategy + ", " + a.innerSteps + " inner steps at lr " + a.innerLearningRate
        + ", batch " + a.batchSize + ", quorum " + Math.round(a.quorum * 100) + "%, at least " + a.minReplies
        + (a.minReplies === 1 ? " update" : " updates") + ", round timeout " + a.roundTimeout.replace("PT", "").toLowerCase() + ", update norm bound " + a.normBound;
    const o = t.open;
    if (o) {
      $("run-open").textContent = "round " + o.round + ": " + o.accepted + " of " + o.selected + " updates accepted, "
          + o.refused + " refused; closes at " + o.early + " (needs " + o.needed + " by its deadline)";
      state.deadline = Date.now() + o.remainingMillis;
    } else {
      $("run-open").textContent = "none";
      state.deadline = null;
    }
    tick();
  } catch (e) {
    $("run-message").textContent = "training: " + e.message;
  }
}

function tick() {
  $("run-left").textContent = state.deadline == null ? "-"
      : Math.max(0, Math.round((state.deadline - Date.now()) / 1000)) + " s";
}

async function loadTraining() {
  try {
    const [history, rounds, rejections] = await Promise.all([api("/api/metrics/history"), api("/api/rounds"),
      api("/api/rejections")]);
    lineChart($("loss-chart"), history.map((e) => [e.round, e.adaptedLoss]));
    barChart($("updates-chart"), rounds.map((r) => [r.round, (r.accepted || []).length,
      Object.values(r.rejected || {}).reduce((a, b) => a + b, 0)]));
    const reasons = (table, counts) => fill(table.tBodies[0], Object.entries(counts).sort((a, b) => b[1] - a[1])
        .map(([reason, n]) => el("tr", { "data-reason": reason }, el("td", {}, reason), el("td", { class: "num" }, n))));
    reasons($("refusals-table"), rejections.updates || {});
    reasons($("messages-table"), rejections.messages || {});
  } catch (e) {
    $("run-message").textContent = "training: " + e.message;
  }
}

function frame(chart, xs, ys, unit, lastX) {
  chart.replaceChildren();
  const w = 600, h = 220, left = 48, bottom = 24, top = 10, right = 10;
  const minX = Math.min(...xs), maxX = Math.max(...xs);
  const maxY = Math.max(...ys, 0), minY = Math.min(...ys, 0);
  const sx = (x) => left + (maxX === minX ? (w - left - right) / 2 : (x - minX) / (maxX - minX) * (w - left - right));
  const sy = (y) => h - bottom - (maxY === minY ? 0 : (y - minY) / (maxY - minY) * (h - top - bottom));
  chart.append(svg("line", { class: "axis", x1: left, y1: h - bottom, x2: w - right, y2: h - bottom }),
      svg("line", { class: "axis", x1: left, y1: top, x2: left, y2: h - bottom }));
  const label = (x, y, text, anchor) => {
    const t = svg("text", { x, y, "text-anchor": anchor });
    t.textContent = text;
    chart.append(t);
  };
  label(left - 4, top + 8, Number(maxY.toPrecision(3)), "end");
  label(left - 4, h - bottom, Number(minY.toPrecision(3)), "end");
  label(left, h - 6, (unit || "round") + " " + minX, "start");
  label(w - right, h - 6, (unit || "round") + " " + (lastX ?? maxX), "end");
  return { sx, sy, h, bottom };
}

function lineChart(chart, points, unit) {
  if (points.length === 0) {
    chart.replaceChildren();
    return;
  }
  const what = unit || "round";
  const { sx, sy } = frame(chart, points.map((p) => p[0]), points.map((p) => p[1]), what);
  chart.append(svg("polyline", { class: "line", points: points.map((p) => sx(p[0]) + "," + sy(p[1])).join(" ") }));
  for (const p of points) {
    const dot = svg("circle", { class: "dot", cx: sx(p[0]), cy: sy(p[1]), r: 3 });
    const title = svg("title", {});
    title.textContent = what + " " + p[0] + ": " + p[1].toPrecision(4);
    dot.append(title);
    chart.append(dot);
  }
}

function barChart(chart, rounds) {
  if (rounds.length === 0) {
    chart.replaceChildren();
    return;
  }
  const xs = rounds.map((r) => r[0]);
  // one slot past the last round, so its bar has room; the axis names the last round
  const { sx, sy, h, bottom } = frame(chart, xs.concat([Math.max(...xs) + 1]), rounds.map((r) => r[1] + r[2]), "round",
      Math.max(...xs));
  const width = Math.max(2, (sx(xs[0] + 1) - sx(xs[0])) * 0.8);
  for (const [round, accepted, refused] of rounds) {
    const bar = svg("rect", { class: "bar", x: sx(round), y: sy(accepted), width, height: h - bottom - sy(accepted) });
    const title = svg("title", {});
    title.textContent = "round " + round + ": " + accepted + " accepted, " + refused + " refused";
    bar.append(title);
    chart.append(bar);
    if (refused > 0) {
      chart.append(svg("rect", { class: "refused", x: sx(round), y: sy(accepted + refused), width,
        height: sy(accepted) - sy(accepted + refused) }));
    }
  }
}

async function runAction(start) {
  const message = $("run-message");
  try {
    if (start) {
      await api("/api/runs", { method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ rounds: Number($("run-rounds").value) }) });
      message.textContent = "started";
    } else {
      await api("/api/runs/current", { method: "DELETE" });
      message.textContent = "stopped";
    }
    message.className = "";
  } catch (e) {
    message.textContent = e.message;
    message.className = "error";
  }
}

// Models

async function loadModels() {
  if (!state.modelId) return;
  try {
    const versions = await api("/api/models/" + encodeURIComponent(state.modelId) + "/versions");
    fill($("versions-table").tBodies[0], versions.slice().reverse().map((v) => {
      const base = "/api/models/" + encodeURIComponent(v.modelId) + "/versions/" + v.version;
      const href = base + "/snapshot";
      const c = base + "/c";
      const refused = Object.values(v.rejected || {}).reduce((a, b) => a + b, 0);
      return el("tr", {}, el("td", {}, "v" + v.version), el("td", { class: "num" }, v.round),
          el("td", {}, v.parentVersion ? "v" + v.parentVersion : ""), el("td", {}, v.strategy || ""),
          el("td", { class: "num" }, (v.contributors || []).length), el("td", { class: "num" }, refused),
          el("td", { class: "num" }, num(v.metaEvalLoss, 4)), el("td", {}, v.createdAt || ""),
          el("td", {}, el("a", { href, download: v.modelId + "-v" + v.version + ".snapshot" }, "download")),
          el("td", {}, el("a", { href: c, download: v.modelId + "-" + v.version + "-c.zip" }, "inference"), " ",
              el("a", { href: c + "?train=true", download: v.modelId + "-" + v.version + "-train-c.zip" }, "training")));
    }));
  } catch (e) {
    fill($("versions-table").tBodies[0], [el("tr", {}, el("td", { colspan: 10, class: "error" }, e.message))]);
  }
}

// Rollouts

async function loadRollouts() {
  try {
    const rollouts = await api("/api/rollouts");
    $("rollouts-empty").hidden = (rollouts || []).length > 0;
    $("rollouts").replaceChildren(...(rollouts || []).map(rolloutCard));
  } catch (e) {
    $("rollouts").replaceChildren(el("p", { class: "error" }, e.message));
  }
}

// What each action needs of a rollout's phase (the API refuses the others with 409).
const ACTIONS = {
  pause: (p) => p === "RUNNING", resume: (p) => p === "PAUSED", abort: (p) => p === "RUNNING" || p === "PAUSED",
  rollback: (p) => p !== "ROLLED_BACK",
};

function time(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "";
}

function rolloutCard(r) {
  const actions = el("div", { class: "controls" });
  for (const [action, allowed] of Object.entries(ACTIONS)) {
    const b = el("button", { type: "button", "data-action": action, disabled: allowed(r.phase) ? null : "" }, action);
    b.addEventListener("click", async () => {
      try {
        await api("/api/rollouts/" + encodeURIComponent(r.id) + "/" + action, { method: "POST" });
      } catch (e) {
        alertIn(actions, e.message);
      }
    });
    actions.append(b);
  }
  const table = (heads, rows) => el("table", {}, el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", {}, h)))),
      el("tbody", {}, ...rows));
  const waves = table(["Wave", "Devices", "Opened", "Deadline", "Closed", "Installed", "Median loss ratio", "Verdict"],
      (r.waves || []).map((w) => el("tr", {}, el("td", {}, w.wave), el("td", { class: "num" }, w.devices),
          el("td", {}, time(w.opened)), el("td", {}, time(w.deadline)), el("td", {}, time(w.closed)),
          el("td", { class: "num" }, w.installedFraction == null ? "" : Math.round(w.installedFraction * 100) + "%"),
          el("td", { class: "num" }, num(w.medianLossRatio, 3)), el("td", {}, w.verdict || ""))));
  const devices = table(["Device", "Wave", "Step", "Serves", "Shadow samples", "Loss", "Before", "Ratio", "Why"],
      (r.devices || []).map((d) => el("tr", { "data-device": d.id }, el("td", {}, d.id), el("td", { class: "num" }, d.wave),
          el("td", { class: /FAILED|TIMED_OUT/.test(d.step) ? "error" : "" }, d.step),
          el("td", {}, d.servingVersion == null ? "" : "v" + d.servingVersion), el("td", { class: "num" }, d.shadowSamples ?? ""),
          el("td", { class: "num" }, num(d.shadowLoss, 4)), el("td", { class: "num" }, num(d.previousLoss, 4)),
          el("td", { class: "num" }, num(d.lossRatio, 3)), el("td", {}, d.reason || ""))));
  const decisions = el("ol", { class: "decisions" }, ...(r.decisions || []).map((x) => el("li", {}, time(x.at) + " " + x.text)));
  const counts = Object.entries(r.counts || {}).map(([k, v]) => k + " " + v).join(", ");
  return el("div", { class: "rollout", "data-rollout": r.id },
      el("h3", {}, r.id + ": " + r.modelId + " v" + r.version + " - " + r.phase),
      el("p", { class: "summary" }, (r.reason ? r.reason + ". " : "") + "Devices: " + counts + ". Created "
          + time(r.created) + ", wave " + r.currentWave + " of " + (r.waves || []).length + "."), waves, actions,
      el("details", {}, el("summary", {}, "Devices (" + (r.devices || []).length + ")"), devices),
      el("details", {}, el("summary", {}, "Decisions (" + (r.decisions || []).length + ")"), decisions));
}

function alertIn(container, text) {
  container.append(el("span", { class: "error", role: "alert" }, text));
}

// ---- start -----------------------------------------------------------------------------------------

function init() {
  $("token").value = sessionStorage.getItem("tinyfed-token") || "";
  $("token").addEventListener("input", (e) => sessionStorage.setItem("tinyfed-token", e.target.value.trim()));
  $("fleet-filter").addEventListener("input", () => { state.fleetPage = 0; renderFleet(); });
  $("fleet-online").addEventListener("change", () => { state.fleetPage = 0; renderFleet(); });
  $("fleet-prev").addEventListener("click", () => { state.fleetPage--; renderFleet(); });
  $("fleet-next").addEventListener("click", () => { state.fleetPage++; renderFleet(); });
  for (const b of document.querySelectorAll("#fleet-table th button")) {
    b.addEventListener("click", () => {
      state.sort = { key: b.dataset.sort, dir: state.sort.key === b.dataset.sort ? -state.sort.dir : 1 };
      state.fleetPage = 0;
      renderFleet();
    });
  }
  $("run-form").addEventListener("submit", (e) => { e.preventDefault(); runAction(true); });
  $("run-stop").addEventListener("click", () => runAction(false));
  window.addEventListener("hashchange", show);
  setInterval(tick, 1000);
  show();
  TinyFed.registryConsole($("registry-console"), { queries: "/api/queries", sparql: "/api/sparql", match: "/api/match",
    modelId: () => state.modelId, subject: "Model version (number or IRI) or device id" });
  connect();
}

document.addEventListener("DOMContentLoaded", init);
