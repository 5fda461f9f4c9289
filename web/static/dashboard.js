// The console's dashboard: each section's figures from /console/api/metrics/<section>, drawn with Chart.js and
// shown as tables, each with its CSV. The words come from the page (templates/pages/console/_words.html.j2).
(function () {
  "use strict";
  const root = document.getElementById("dashboard");
  if (!root) return;
  const words = JSON.parse(document.getElementById("console-words").textContent);
  const api = root.dataset.api;
  const query = root.dataset.query;
  const locale = root.dataset.locale === "es" ? "es-ES" : "en-GB";
  const colours = {
    kept: "#1f7a3d", broken: "#c8102e", excluded: "#9a9ca3", open: "#d8dbe0",
    owed: "#c8102e", claimed: "#e0a100", granted: "#3b6fd8", paid: "#1f7a3d", expired_unclaimed: "#9a9ca3",
  };
  const stageColours = ["#6b4fbb", "#3b6fd8", "#1f9bb0", "#1f7a3d", "#8fb339", "#e0a100", "#c8102e"];
  const channelColours = ["#c8102e", "#3b6fd8", "#1f7a3d", "#e0a100"];
  const RATE = new Set(["on_time_rate", "share", "settled_share"]);
  const MONEY = new Set(["owed", "claimed", "granted", "paid", "expired_unclaimed"]);
  const SECONDS = new Set(["p50_seconds", "p95_seconds", "limit_seconds"]);
  const DATES = new Set(["week", "promised_date", "answer_due_on"]);
  const HIDDEN = new Set(["currency", "stage_name"]);  // said by the money and the stage columns; kept in the CSV
  const VALUE_WORDS = { message: "kinds", channel: "channels", language: "languages", status: "statuses", stage: "stages" };

  // ------------------------------------------------------------------------------------------ formats
  const number = new Intl.NumberFormat(locale);
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  const moment = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
  const money = (amount, currency) =>
    new Intl.NumberFormat(locale, { style: "currency", currency: currency || "EUR" }).format(Number(amount));
  const rate = (value) => (value === null || value === undefined ? "—" : percent.format(value));
  const duration = (seconds) => {
    if (seconds === null || seconds === undefined) return "—";
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  };
  const isoDay = (text) => day.format(new Date(`${text}T12:00:00Z`));

  function cell(column, value, row, columns) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "boolean") return value ? words.yes : words.no;
    if (RATE.has(column)) return rate(value);
    if (MONEY.has(column)) return money(value, row[columns.indexOf("currency")]);
    if (SECONDS.has(column)) return duration(value);
    if (DATES.has(column)) return isoDay(value);
    if (column === "requested_at") return moment.format(new Date(value));
    if (column === "reason" && words.reasons[value]) return words.reasons[value];
    if (VALUE_WORDS[column]) return words[VALUE_WORDS[column]][String(value)] || String(value);
    if (typeof value === "number") return number.format(value);
    return String(value);
  }

  // ------------------------------------------------------------------------------------------ building blocks
  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([name, value]) => node.setAttribute(name, value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csvLink(section, name, extra) {
    return element("a", { class: "button button--small", download: "",
      href: `${api}/${section}?${query}${extra || ""}&format=csv&table=${name}` }, words.download);
  }

  function drawTable(section, name, data, extra, actions) {
    const wrap = element("div", { class: "table-block", "data-table": name });
    const head = element("div", { class: "table-block__head" });
    head.append(element("h3", {}, words.tables[`${section}.${name}`] || name), csvLink(section, name, extra));
    wrap.append(head);
    if (!data.rows.length) {
      wrap.append(element("p", { class: "muted small" }, words.nothing));
      return wrap;
    }
    const scroll = element("div", { class: "table-scroll" });
    const table = element("table", { class: "table table--figures" });
    const headRow = element("tr");
    data.columns.filter((c) => !HIDDEN.has(c)).forEach((c) => headRow.append(element("th", {}, words.columns[c] || c)));
    if (actions) headRow.append(element("th"));
    table.appendChild(element("thead")).append(headRow);
    const body = table.appendChild(element("tbody"));
    data.rows.forEach((row) => {
      const line = body.appendChild(element("tr"));
      data.columns.forEach((column, i) => {
        if (HIDDEN.has(column)) return;
        const numeric = typeof row[i] === "number" || MONEY.has(column);
        line.append(element("td", numeric ? { class: "num" } : {}, cell(column, row[i], row, data.columns)));
      });
      if (actions) line.append(actions(row));
    });
    scroll.append(table);
    wrap.append(scroll);
    return wrap;
  }

  function drawFigures(panel, figures) {
    const box = panel.querySelector("[data-totals]");
    if (!box) return;
    box.replaceChildren(...figures.map(([value, label]) => {
      const figure = element("div", { class: "figure" });
      figure.append(element("span", { class: "figure__value" }, value), element("span", { class: "figure__label" }, label));
      return figure;
    }));
  }

  function chart(panel, config) {
    const canvas = panel.querySelector("canvas");
    const existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom" } } }, config.options || {});
    return new window.Chart(canvas, config);
  }

  function byWeek(rows, columns, key, value) {
    const w = columns.indexOf("week"), k = columns.indexOf(key), v = columns.indexOf(value);
    const weeks = [...new Set(rows.map((r) => r[w]))].sort();
    const keys = [...new Set(rows.map((r) => r[k]))].sort();
    const sums = new Map();
    rows.forEach((r) => sums.set(`${r[w]}|${r[k]}`, (sums.get(`${r[w]}|${r[k]}`) || 0) + Number(r[v])));
    return { weeks, keys, at: (week, item) => sums.get(`${week}|${item}`) || 0 };
  }

  function sumByWeek(rows, columns, names) {
    const w = columns.indexOf("week");
    const weeks = [...new Set(rows.map((r) => r[w]))].sort();
    const series = Object.fromEntries(names.map((name) => {
      const i = columns.indexOf(name);
      return [name, weeks.map((week) => rows.filter((r) => r[w] === week).reduce((s, r) => s + Number(r[i]), 0))];
    }));
    return { weeks, series };
  }

  // ------------------------------------------------------------------------------------------ the sections
  const draw = {
    promises(panel, body) {
      const t = body.totals;
      drawFigures(panel, [[rate(t.on_time_rate), words.figures.on_time_rate], [number.format(t.kept), words.columns.kept],
        [number.format(t.broken), words.columns.broken], [number.format(t.excluded), words.columns.excluded],
        [number.format(t.open), words.columns.open]]);
      const weeks = body.tables.weeks;
      const { weeks: labels, series } = sumByWeek(weeks.rows, weeks.columns, ["kept", "broken", "excluded", "open"]);
      chart(panel, { type: "bar", data: { labels: labels.map(isoDay), datasets: Object.entries(series).map(([name, data]) =>
        ({ label: words.columns[name], data, backgroundColor: colours[name], stack: "promises" })) },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
      return [drawTable("promises", "weeks", weeks), drawTable("promises", "provinces", body.tables.provinces)];
    },

    stages(panel, body) {
      const weeks = body.tables.weeks;
      const grid = byWeek(weeks.rows, weeks.columns, "stage", "days_over");
      const stageChart = chart(panel, { type: "bar",
        data: { labels: grid.weeks.map(isoDay), datasets: grid.keys.map((stage) => ({
          label: words.stages[String(stage)], stage, data: grid.weeks.map((week) => grid.at(week, stage)),
          backgroundColor: stageColours[(stage - 1) % stageColours.length], stack: "days" })) },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: words.columns.days_over } } },
          onHover: (event, active) => { event.native.target.style.cursor = active.length ? "pointer" : "default"; },
          onClick: (event, active) => {
            if (!active.length) return;
            const { datasetIndex, index } = active[0];
            showParcels(grid.weeks[index], stageChart.data.datasets[datasetIndex].stage);
          } } });
      const w = weeks.columns.indexOf("week"), s = weeks.columns.indexOf("stage");
      const open = (row) => {
        const td = element("td");
        const button = element("button", { type: "button", class: "button button--small" }, words.parcels);
        button.addEventListener("click", () => showParcels(row[w], row[s]));
        td.append(button);
        return td;
      };
      return [drawTable("stages", "weeks", weeks, "", open)];
    },

    compensation(panel, body) {
      const currencies = Object.keys(body.totals);
      const figures = currencies.flatMap((currency) => ["owed", "claimed", "granted", "paid", "expired"].map((name) =>
        [money(body.totals[currency][name], currency), words.figures[name]]));
      const c = body.claims;
      figures.push([number.format(c.made), words.figures.claims_made],
        [c.p95_business_days === null ? "—" : number.format(c.p95_business_days), words.figures.claims_p95],
        [`${number.format(c.decided_late)} / ${number.format(c.pending_past_limit)}`, words.figures.claims_late]);
      drawFigures(panel, figures);
      const weeks = body.tables.weeks;
      const names = ["owed", "claimed", "granted", "paid", "expired_unclaimed"];
      const { weeks: labels, series } = sumByWeek(weeks.rows, weeks.columns, names);
      chart(panel, { type: "bar", data: { labels: labels.map(isoDay), datasets: names.map((name) =>
        ({ label: words.columns[name], data: series[name], backgroundColor: colours[name] })) },
        options: { scales: { y: { beginAtZero: true, ticks: { callback: (v) => money(v, currencies[0]) } } } } });
      return [drawTable("compensation", "weeks", weeks)];
    },

    messages(panel, body) {
      const t = body.totals;
      const steps = ["detected", "queued", "sent", "delivered", "read", "replied", "failed", "skipped", "opted_out"];
      drawFigures(panel, steps.map((name) => [number.format(t[name]), words.columns[name] || words.figures[name]]));
      chart(panel, { type: "bar", data: { labels: steps.map((name) => words.columns[name] || words.figures[name]),
        datasets: [{ label: words.figures.messages, data: steps.map((name) => t[name]),
          backgroundColor: steps.map((name) => (name === "failed" || name === "opted_out" ? "#c8102e" : name === "skipped" ? "#9a9ca3" : "#3b6fd8")) }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true } } } });
      return ["funnel", "failures", "opt_outs"].map((name) => drawTable("messages", name, body.tables[name]));
    },

    conversations(panel, body) {
      const t = body.totals;
      drawFigures(panel, [[number.format(t.conversations), words.columns.conversations], [rate(t.settled_without_a_person_share), words.figures.settled],
        [number.format(t.handoffs), words.columns.handoffs], [rate(t.attended_share), words.figures.attended_share],
        [duration(t.p50_seconds), words.columns.p50_seconds], [duration(t.p95_seconds), words.columns.p95_seconds],
        [duration(t.limit_seconds), words.columns.limit_seconds]]);
      const weeks = body.tables.attended_by_week;
      const grid = byWeek(weeks.rows, weeks.columns, "channel", "share");
      chart(panel, { type: "line", data: { labels: grid.weeks.map(isoDay), datasets: [
        ...grid.keys.map((channel, i) => ({ label: words.channels[channel] || channel, data: grid.weeks.map((week) => grid.at(week, channel)),
          borderColor: channelColours[i % channelColours.length], backgroundColor: channelColours[i % channelColours.length] })),
        { label: words.figures.target, data: grid.weeks.map(() => 0.95), borderColor: "#9a9ca3", borderDash: [6, 4], pointRadius: 0 }] },
        options: { scales: { y: { min: 0, max: 1, ticks: { callback: (v) => percent.format(v) } } } } });
      return ["settled", "time_to_person", "attended_by_week", "reasons", "answers_due"].map((name) => drawTable("conversations", name, body.tables[name]));
    },
  };

  async function fetchJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`${response.status}`);
    return response.json();
  }

  async function showParcels(week, stage) {
    const box = document.getElementById("stage-parcels");
    const title = document.getElementById("stage-parcels-title");
    const list = box.querySelector("[data-parcels]");
    box.hidden = false;
    title.textContent = `${words.parcels_of}: ${words.stages[String(stage)]}, ${words.columns.week.toLowerCase()} ${isoDay(week)}`;
    list.replaceChildren(element("p", { class: "muted small" }, words.loading));
    const extra = `&week=${week}&stage=${stage}`;
    try {
      const body = await fetchJson(`${api}/stages/parcels?${query}${extra}`);
      const shown = body.tables.parcels.rows.length;
      const parts = [drawTable("stages/parcels", "parcels", body.tables.parcels, extra)];
      if (shown < body.total) parts.push(element("p", { class: "muted small" }, `${shown} ${words.more_parcels} ${body.total}`));
      list.replaceChildren(...parts);
    } catch (error) {
      console.error("dashboard: the parcels behind the bar", error);
      list.replaceChildren(element("p", { class: "flash flash--error" }, words.failed_to_load));
    }
    box.scrollIntoView({ block: "nearest" });
  }

  async function load(panel) {
    const section = panel.dataset.section;
    const tables = panel.querySelector("[data-tables]");
    tables.replaceChildren(element("p", { class: "muted small" }, words.loading));
    panel.setAttribute("aria-busy", "true");
    try {
      const body = await fetchJson(`${api}/${section}?${query}`);
      tables.replaceChildren(...draw[section](panel, body));
      panel.dataset.loaded = "true";
    } catch (error) {
      console.error(`dashboard: ${section}`, error);
      tables.replaceChildren(element("p", { class: "flash flash--error" }, words.failed_to_load));
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  const picker = document.getElementById("picker");
  const days = document.getElementById("picker-days");
  days.addEventListener("change", () => {
    const custom = days.value === "";
    ["picker-from", "picker-to"].forEach((id) => { document.getElementById(id).disabled = !custom; });
    if (!custom) picker.requestSubmit();
  });
  picker.addEventListener("submit", () => { days.disabled = days.value === ""; });
  document.getElementById("picker-product").addEventListener("change", () => picker.requestSubmit());

  root.querySelectorAll("[data-section]").forEach(load);
})();
