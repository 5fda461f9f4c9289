// The staff console's editor: live preview (debounced) through POST /console/api/preview,
// line numbers with the problem lines marked, the sample picker, and confirmations.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  // Agents and admins, on every page: a shopper waiting too long for a person is said at once.
  const alert = document.getElementById("overdue-alert");
  if (alert && window.EventSource) {
    const link = alert.querySelector("a");
    new EventSource(alert.dataset.stream).onmessage = (event) => {
      const data = JSON.parse(event.data);
      if (data.error || !data.overdue) { alert.hidden = true; return; }
      const minutes = Math.floor(data.longest_wait_seconds / 60);
      link.textContent = (data.overdue === 1 ? "1 shopper has" : data.overdue + " shoppers have") +
        " waited more than 3 minutes for a person (the longest " + minutes + " min). Open the queue";
      alert.hidden = false;
    };
  }

  const editor = document.getElementById("editor");
  if (!editor) return;
  const source = document.getElementById("source");
  const sample = document.getElementById("sample");
  const shipment = document.getElementById("shipment");
  const text = document.getElementById("preview-text");
  const problems = document.getElementById("problems");
  const state = document.getElementById("preview-state");
  const chars = document.getElementById("preview-chars");
  const lines = document.getElementById("line-numbers");
  let badLines = new Set();
  let timer = null;
  let sequence = 0;

  // The text wraps, so each line number gets the height its (possibly wrapped) line takes: measured in a
  // hidden copy of the textarea with the same width and font.
  const mirror = document.createElement("div");
  mirror.className = "code__mirror";
  mirror.setAttribute("aria-hidden", "true");
  source.parentElement.append(mirror);

  function drawLineNumbers() {
    const texts = source.value.split("\n");
    const style = getComputedStyle(source);
    mirror.style.width = source.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) + "px";
    mirror.replaceChildren(...texts.map((line) => {
      const row = document.createElement("div");
      row.textContent = line || " ";
      return row;
    }));
    lines.replaceChildren();
    texts.forEach((_, i) => {
      const span = document.createElement("span");
      span.textContent = i + 1;
      span.style.height = mirror.children[i].getBoundingClientRect().height + "px";
      if (badLines.has(i + 1)) span.className = "line--bad";
      lines.append(span);
    });
    lines.scrollTop = source.scrollTop;
  }

  function showProblems(list) {
    problems.replaceChildren();
    badLines = new Set();
    for (const problem of list) {
      const item = document.createElement("li");
      item.className = "problem";
      const kind = document.createElement("span");
      kind.className = "problem__kind";
      kind.textContent = problem.kind;
      item.append(kind, (problem.line ? ` line ${problem.line}: ` : " ") + problem.message);
      problems.append(item);
      if (problem.line) badLines.add(problem.line);
    }
    state.textContent = list.length ? `${list.length} problem(s).` : "No problems found.";
    drawLineNumbers();
  }

  async function refresh() {
    const mine = ++sequence;
    text.classList.add("bubble--stale");
    try {
      const response = await fetch(editor.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({
          message: editor.dataset.message,
          channel: editor.dataset.channel,
          locale: editor.dataset.locale,
          source: source.value,
          sample: Number(sample.value),
          tracking_number: shipment.value.trim() || null,
        }),
      });
      if (mine !== sequence) return; // a newer request is on its way
      if (response.status === 429 || response.status === 503) { // ours still running, or all busy: ask again
        state.textContent = "Preview on its way…";
        clearTimeout(timer);
        timer = setTimeout(refresh, response.status === 429 ? 400 : 1500);
        return;
      }
      const body = await response.json();
      if (!response.ok) {
        showProblems([{ kind: "preview", message: body.error || `the preview failed (${response.status})`, line: null }]);
        return;
      }
      if (body.text !== null) {
        text.textContent = body.text;
        chars.textContent = body.characters;
      }
      showProblems(body.problems);
      text.classList.toggle("bubble--stale", body.text === null);
    } catch (error) {
      if (mine === sequence) state.textContent = "The preview is unavailable: " + error.message;
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  source.addEventListener("input", () => { drawLineNumbers(); later(); });
  source.addEventListener("scroll", () => { lines.scrollTop = source.scrollTop; });
  window.addEventListener("resize", drawLineNumbers);
  sample.addEventListener("change", () => {
    document.querySelectorAll(".sample-json").forEach((pre) => { pre.hidden = pre.dataset.sample !== sample.value; });
    refresh();
  });
  shipment.addEventListener("input", later);
  drawLineNumbers();
  refresh();
})();
