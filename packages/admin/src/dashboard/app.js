// @mq admin dashboard: plain JS, no framework. Live numbers arrive by Server-Sent
// Events from /api/events; actions call the JSON API with the bearer token.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const POINTS = 120;
  const state = { token: "", prev: undefined, series: [[], [], [], [], []], deadCursor: undefined };

  // ---- token: from the URL fragment (#token=...), kept for this tab only ----
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem("mq-admin-token", fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  state.token = sessionStorage.getItem("mq-admin-token") || "";
  if (!state.token) $("token-box").hidden = false;
  $("token").addEventListener("change", (e) => {
    state.token = e.target.value.trim();
    sessionStorage.setItem("mq-admin-token", state.token);
  });

  // ---- small helpers ----
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  const fmt = (n) => (n >= 1e6 ? (n / 1e6).toFixed(1) + "M" : n >= 1e4 ? (n / 1e3).toFixed(1) + "k" : String(Math.round(n * 100) / 100));
  const ms = (n) => (n >= 1000 ? (n / 1000).toFixed(2) + " s" : n >= 10 ? n.toFixed(0) + " ms" : n === 0 ? "0 ms" : n.toFixed(2) + " ms");
  function notice(text, bad) {
    const box = $("notice");
    box.textContent = text;
    box.className = bad ? "bad" : "";
    box.hidden = false;
    clearTimeout(notice.timer);
    notice.timer = setTimeout(() => (box.hidden = true), bad ? 8000 : 3000);
  }
  async function call(method, path, body) {
    const headers = { authorization: "Bearer " + state.token };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      if (res.status === 401) $("token-box").hidden = false;
      throw new Error(data.message || res.status + " " + res.statusText);
    }
    return data;
  }
  const act = (label, fn) => async () => {
    try {
      notice(label + ": " + (await fn()));
    } catch (e) {
      notice(label + " failed: " + e.message, true);
    }
  };

  // ---- charts (uPlot) ----
  const size = (id) => ({ width: Math.max(280, $(id).clientWidth || 500), height: 200 });
  const axes = [{}, { size: 50 }];
  const throughput = new uPlot(
    { ...size("throughput"), series: [{}, { label: "acked/s", stroke: "#1f9d55", width: 2 }, { label: "enqueued/s", stroke: "#3b6fd8", width: 2 }], axes },
    [[], [], []],
    $("throughput"),
  );
  const latency = new uPlot(
    { ...size("latency"), series: [{}, { label: "wait p99 ms", stroke: "#d68a1f", width: 2 }, { label: "handler p99 ms", stroke: "#8a4fd6", width: 2 }], axes },
    [[], [], []],
    $("latency"),
  );
  window.addEventListener("resize", () => {
    throughput.setSize(size("throughput"));
    latency.setSize(size("latency"));
  });

  function plot(metrics) {
    const t = metrics.at / 1000;
    const acked = metrics.queues.reduce((n, q) => n + q.totals.acked, 0);
    const enqueued = metrics.queues.reduce((n, q) => n + q.totals.enqueued, 0);
    const prev = state.prev;
    state.prev = { t, acked, enqueued };
    if (prev === undefined || t <= prev.t) return;
    const dt = t - prev.t;
    const worst = (pick) => metrics.queues.reduce((m, q) => Math.max(m, pick(q)), 0);
    const s = state.series;
    s[0].push(t);
    s[1].push(Math.max(0, (acked - prev.acked) / dt));
    s[2].push(Math.max(0, (enqueued - prev.enqueued) / dt));
    s[3].push(worst((q) => q.latency.waitMs.p99Ms));
    s[4].push(worst((q) => q.latency.handlerMs.p99Ms));
    if (s[0].length > POINTS) for (const a of s) a.shift();
    throughput.setData([s[0], s[1], s[2]]);
    latency.setData([s[0], s[3], s[4]]);
  }

  // ---- tables ----
  function renderQueues(metrics) {
    const body = $("queues").tBodies[0];
    body.replaceChildren(
      ...metrics.queues.map((q) =>
        el(
          "tr",
          { "data-queue": q.queue },
          el("td", {}, q.queue),
          el("td", { "data-field": "ready" }, fmt(q.ready)),
          el("td", { "data-field": "delayed" }, fmt(q.delayed)),
          el("td", { "data-field": "inFlight" }, fmt(q.inFlight)),
          el("td", { "data-field": "deadLettered" }, fmt(q.deadLettered)),
          el("td", { "data-field": "groups", title: "ordering groups: ready / active / blocked / throttled" }, q.groups ? [q.groups.ready, q.groups.active, q.groups.blocked, q.groups.throttled].map(fmt).join(" / ") : "–"),
          el("td", { "data-field": "acked" }, fmt(q.totals.acked)),
          el("td", {}, fmt(q.rates.enqueued)),
          el("td", {}, fmt(q.rates.acked)),
          el("td", {}, fmt(q.rates.failed)),
          el("td", {}, q.latency.waitMs.count ? ms(q.latency.waitMs.p50Ms) + " / " + ms(q.latency.waitMs.p99Ms) : "–"),
          el("td", {}, q.latency.handlerMs.count ? ms(q.latency.handlerMs.p50Ms) + " / " + ms(q.latency.handlerMs.p99Ms) : "–"),
        ),
      ),
    );
    const select = $("dead-queue");
    const have = new Set([...select.options].map((o) => o.value));
    for (const q of metrics.queues) if (!have.has(q.queue)) select.append(el("option", { value: q.queue }, q.queue));
  }

  const handlerRows = new Map();
  function renderHandlers(handlers) {
    const body = $("handlers").tBodies[0];
    for (const h of handlers) {
      let row = handlerRows.get(h.queue);
      if (row === undefined) {
        // Built once per queue so a value being typed is not overwritten by the next update.
        const input = el("input", { type: "number", min: "1", max: "10000", value: String(h.parallelism), "aria-label": "parallelism of " + h.queue });
        const scale = el("button", { type: "button", "data-action": "scale", onclick: act("scale " + h.queue, async () => {
          const r = await call("POST", "/api/handlers/" + encodeURIComponent(h.queue) + "/scale", { parallelism: Number(input.value) });
          return "parallelism " + r.parallelism;
        }) }, "Scale");
        const toggle = el("button", { type: "button", "data-action": "pause" }, "Pause");
        toggle.addEventListener("click", act("pause/resume " + h.queue, async () => {
          const verb = row.paused ? "resume" : "pause";
          const r = await call("POST", "/api/handlers/" + encodeURIComponent(h.queue) + "/" + verb);
          row.paused = r.paused;
          toggle.textContent = r.paused ? "Resume" : "Pause";
          return r.paused ? "paused" : "running";
        }));
        const cells = { running: el("td", { "data-field": "running" }), parallelism: el("td", { "data-field": "parallelism" }), state: el("td", { "data-field": "state" }) };
        const tr = el("tr", { "data-queue": h.queue }, el("td", {}, h.queue), cells.running, cells.parallelism, cells.state, el("td", {}, input, " ", scale, " ", toggle));
        row = { tr, cells, toggle, paused: h.paused };
        handlerRows.set(h.queue, row);
        body.append(tr);
      }
      row.paused = h.paused;
      row.cells.running.textContent = String(h.running);
      row.cells.parallelism.textContent = String(h.parallelism);
      row.cells.state.textContent = h.paused ? "paused" : "running";
      row.toggle.textContent = h.paused ? "Resume" : "Pause";
    }
  }

  function renderHealth(health, at) {
    const badge = $("health");
    badge.textContent = health.ok ? "healthy" : health.failure ? "failed: " + health.failure.message : health.status;
    badge.className = "badge " + (health.ok ? "ok" : "bad");
    const j = health.journal;
    $("journal").textContent = j.kind + " journal, " + health.durability + ", LSN " + j.lastLsn + (j.syncLagMs ? ", sync lag " + ms(j.syncLagMs) : "");
    $("updated").textContent = "updated " + new Date(at).toLocaleTimeString();
    const rows = [
      ["status", health.status],
      ["journal", j.kind + " (" + j.state + ")"],
      ["durability", health.durability],
      ["last LSN", j.lastLsn],
    ];
    if (j.durableLsn !== undefined) rows.push(["durable LSN", j.durableLsn], ["sync lag", ms(j.syncLagMs || 0)]);
    if (j.lastSnapshot) rows.push(["last snapshot", "LSN " + j.lastSnapshot.lsn + ", " + j.lastSnapshot.items + " items, " + new Date(j.lastSnapshot.at).toLocaleTimeString()]);
    if (health.failure) rows.push(["failure", health.failure.code + ": " + health.failure.message]);
    rows.push(["handlers", health.handlersRunning ? "running" : "stopped"]);
    $("journal-details").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  // ---- dead letters ----
  async function loadDead() {
    const queue = $("dead-queue").value;
    const res = await fetch("/api/dead-letters?limit=50" + (queue ? "&queue=" + encodeURIComponent(queue) : ""));
    const page = await res.json();
    $("dead-total").textContent = "(" + page.total + ")";
    $("dead").tBodies[0].replaceChildren(
      ...page.items.map((l) =>
        el(
          "tr",
          { "data-id": l.message.id },
          el("td", { class: "id", title: "payload: " + JSON.stringify(l.message.payload) }, l.message.id),
          el("td", {}, l.queue),
          el("td", {}, l.reason),
          el("td", { class: "text" }, l.error ? l.error.message : ""),
          el("td", {}, new Date(l.deadLetteredAt).toLocaleTimeString()),
          el("td", {}, el("button", { type: "button", "data-action": "replay", onclick: act("replay " + l.message.id, async () => {
            const r = await call("POST", "/api/dead-letters/" + encodeURIComponent(l.message.id) + "/replay", {});
            await loadDead();
            return r.replayed + " replayed";
          }) }, "Replay")),
        ),
      ),
    );
  }
  const deadFilter = () => ($("dead-queue").value ? { queue: $("dead-queue").value } : {});
  $("dead-refresh").addEventListener("click", () => void loadDead());
  $("dead-queue").addEventListener("change", () => void loadDead());
  $("dead-replay-all").addEventListener("click", act("replay all", async () => {
    const r = await call("POST", "/api/dead-letters/replay", deadFilter());
    await loadDead();
    return r.replayed + " replayed";
  }));
  $("dead-purge").addEventListener("click", () => {
    if (!confirm("Delete the dead letters shown (" + ($("dead-queue").value || "all queues") + ")? This cannot be undone.")) return;
    void act("purge", async () => {
      const r = await call("POST", "/api/dead-letters/purge", deadFilter());
      await loadDead();
      return r.purged + " purged";
    })();
  });
  $("snapshot").addEventListener("click", act("snapshot", async () => {
    const r = await call("POST", "/api/snapshot");
    return "written at LSN " + r.lsn + " (" + r.items + " items, " + ms(r.durationMs) + ")";
  }));

  // ---- live stream ----
  let lastDead = -1;
  const events = new EventSource("/api/events");
  events.addEventListener("metrics", (e) => {
    const { metrics, handlers, health } = JSON.parse(e.data);
    renderHealth(health, metrics.at);
    renderQueues(metrics);
    renderHandlers(handlers);
    plot(metrics);
    if (metrics.total.deadLettered !== lastDead) {
      lastDead = metrics.total.deadLettered;
      void loadDead();
    }
  });
  events.addEventListener("failure", (e) => notice(JSON.parse(e.data).message, true));
  events.onerror = () => {
    $("health").textContent = "disconnected, retrying…";
    $("health").className = "badge bad";
  };
})();
