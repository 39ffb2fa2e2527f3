// The parts of TinyFed's web pages that the coordinator's dashboard and the registry's own console share:
// small DOM helpers, JSON over fetch, and the SPARQL console with matchmaking. No libraries, nothing from other
// origins; data is only ever put into the page as text, never as markup.
"use strict";

const TinyFed = (() => {
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c === null || c === undefined ? "" : String(c)));
    return e;
  }

  function bytes(n) {
    if (n === null || n === undefined || n === 0) return "";
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1) + " GiB";
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
    if (n >= 1024) return (n / 1024).toFixed(0) + " KiB";
    return n + " B";
  }

  function num(v, digits) {
    return v === null || v === undefined ? "" : Number(v).toFixed(digits);
  }

  async function api(path, options) {
    const opts = Object.assign({ headers: {} }, options || {});
    if (opts.method && opts.method !== "GET") {
      const token = sessionStorage.getItem("tinyfed-token") || "";
      opts.headers["Authorization"] = "Bearer " + token;
    }
    const response = await fetch(path, opts);
    const text = await response.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
    if (!response.ok) {
      const why = body && body.error ? body.error : text || response.statusText;
      throw new Error(response.status + ": " + why);
    }
    return body;
  }

  function fill(tbody, rows) {
    tbody.replaceChildren(...rows);
  }

  /** The console's forms and tables, built into `container`; `subject` labels matchmaking's input. */
  function build(container, subject) {
    const checkbox = (id, label, checked) => el("label", {}, el("input", { id, type: "checkbox", checked: checked ? "" : null }),
        " " + label);
    container.replaceChildren(
        el("form", { id: "sparql-form", "aria-label": "SPARQL query" },
            el("div", { class: "controls" }, el("label", { for: "sparql-example" }, "Shipped query"),
                el("select", { id: "sparql-example" }, el("option", { value: "" }, "(your own)"))),
            el("label", { for: "sparql-text" }, "SPARQL"),
            el("textarea", { id: "sparql-text", rows: 10, spellcheck: "false" }),
            el("div", { class: "controls" }, el("button", { id: "sparql-run", type: "submit" }, "Run"),
                el("a", { id: "sparql-csv", href: "#", download: "results.csv", hidden: "" }, "CSV"),
                el("a", { id: "sparql-json", href: "#", download: "results.json", hidden: "" }, "JSON"),
                el("span", { id: "sparql-message", role: "status" }))),
        el("table", { id: "sparql-results" }, el("thead"), el("tbody")),
        el("h3", {}, "Matchmaking"),
        el("form", { id: "match-form", class: "controls", "aria-label": "Matchmaking" },
            el("label", { for: "match-subject" }, subject), el("input", { id: "match-subject", type: "text" }),
            checkbox("match-device", "it is a device", false), checkbox("match-training", "training", true),
            el("button", { type: "submit" }, "Match"), el("span", { id: "match-message", role: "status" })),
        el("table", { id: "match-results" }, el("thead", {}, el("tr", {}, ...["Device / model", "Format", "Arena", "RAM",
          "Layers", "Why not"].map((h) => el("th", {}, h)))), el("tbody")));
  }

  /**
   * The SPARQL console and matchmaking, built into `container`: `queries` answers the shipped queries
   * ([{name, text}]), `sparql` a query given as ?query= (SPARQL JSON results), `match` matchmaking; `modelId()` names
   * the model a bare version number means; `subject` labels matchmaking's input.
   */
  function registryConsole(container, options) {
    const opts = Object.assign({ modelId: () => null, subject: "Model (IRI or id) or device (IRI)" }, options);
    build(container, opts.subject);

    async function loadQueries() {
      try {
        const queries = await api(opts.queries);
        const select = $("sparql-example");
        for (const q of queries) select.append(el("option", { value: q.name }, q.name));
        select.addEventListener("change", () => {
          const q = queries.find((x) => x.name === select.value);
          if (q) $("sparql-text").value = q.text;
        });
        if (!$("sparql-text").value && queries.length > 0) {
          select.value = queries[0].name;
          $("sparql-text").value = queries[0].text;
        }
      } catch (e) {
        $("sparql-message").textContent = e.message;
      }
    }

    async function runQuery(event) {
      event.preventDefault();
      const message = $("sparql-message");
      const table = $("sparql-results");
      message.textContent = "running ...";
      message.className = "";
      try {
        const started = performance.now();
        const r = await api(opts.sparql + "?query=" + encodeURIComponent($("sparql-text").value));
        const vars = r.head && r.head.vars ? r.head.vars : [];
        if (r.boolean !== undefined) {
          table.tHead.replaceChildren(el("tr", {}, el("th", {}, "answer")));
          fill(table.tBodies[0], [el("tr", {}, el("td", {}, String(r.boolean)))]);
        } else {
          table.tHead.replaceChildren(el("tr", {}, ...vars.map((v) => el("th", {}, v))));
          fill(table.tBodies[0], r.results.bindings.map((b) => el("tr", {},
              ...vars.map((v) => el("td", {}, b[v] ? b[v].value : "")))));
        }
        downloads(vars, r);
        message.textContent = (r.results ? r.results.bindings.length + " rows" : "answered") + " in "
            + Math.round(performance.now() - started) + " ms";
      } catch (e) {
        message.textContent = e.message;
        message.className = "error";
      }
    }

    function downloads(vars, r) {
      const csvCell = (s) => /[",\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
      const rows = r.results ? r.results.bindings.map((b) => vars.map((v) => csvCell(b[v] ? b[v].value : "")).join(","))
          : [String(r.boolean)];
      const csv = [vars.join(",")].concat(rows).join("\n") + "\n";
      for (const [id, text, type] of [["sparql-csv", csv, "text/csv"], ["sparql-json", JSON.stringify(r, null, 2),
        "application/sparql-results+json"]]) {
        const a = $(id);
        if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
        a.href = URL.createObjectURL(new Blob([text], { type }));
        a.hidden = false;
      }
    }

    async function runMatch(event) {
      event.preventDefault();
      const subject = $("match-subject").value.trim();
      const message = $("match-message");
      const params = new URLSearchParams({ training: String($("match-training").checked) });
      if ($("match-device").checked) {
        params.set("device", subject);
      } else {
        params.set("explain", "true");
        if (/^\d+$/.test(subject) && opts.modelId()) {
          params.set("model", opts.modelId());
          params.set("version", subject);
        } else {
          params.set("model", subject || opts.modelId() || "");
        }
      }
      try {
        const m = await api(opts.match + "?" + params);
        m.matches = m.matches || [];
        const rows = m.matches.map((x) => el("tr", {}, el("td", {}, m.device ? x.model : x.device), el("td", {}, x.format),
            el("td", { class: "num" }, bytes(x.arenaBytes) + (x.arenaEstimated ? " (estimated)" : "")),
            el("td", { class: "num" }, bytes(x.ramBytes)), el("td", { class: "num" }, x.trainableLayers ?? ""), el("td", {}, "")));
        for (const x of m.excluded || []) {
          rows.push(el("tr", {}, el("td", {}, x.device), el("td", {}, ""), el("td", {}, ""), el("td", {}, ""), el("td", {}, ""),
              el("td", {}, (x.reasons || []).join("; "))));
        }
        fill($("match-results").tBodies[0], rows);
        message.textContent = m.matches.length + " match" + (m.matches.length === 1 ? "" : "es");
        message.className = "";
      } catch (e) {
        message.textContent = e.message;
        message.className = "error";
      }
    }

    $("sparql-form").addEventListener("submit", runQuery);
    $("match-form").addEventListener("submit", runMatch);
    loadQueries();
  }

  return { $, el, bytes, num, api, fill, registryConsole };
})();
