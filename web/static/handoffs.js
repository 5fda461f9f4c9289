// The agents' console: the queue of handed-over conversations and one conversation, both kept live with
// server-sent events. Every sentence a shopper reads comes from the server (templates/); these are staff labels.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const words = JSON.parse(document.getElementById("console-words")?.textContent || "{}");
  const say = (group, value) => (words[group] && words[group][value]) || String(value).replace(/_/g, " ");

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const locale = document.documentElement.dataset.locale === "es" ? "es-ES" : "en-GB";
  const money = (amount, currency) => new Intl.NumberFormat(locale, { style: "currency", currency: currency || "EUR" }).format(Number(amount));
  const day = (iso) => new Date(iso + "T12:00:00Z").toLocaleDateString(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

  function when(iso) {
    return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(answer.error || "HTTP " + response.status);
    return answer;
  }

  function minutesAndSeconds(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function live(url, onData) {
    const source = new EventSource(url);
    source.onmessage = function (event) { onData(JSON.parse(event.data)); };
    return source;
  }

  // ---------------------------------------------------------------- the queue
  const queue = document.getElementById("queue");
  if (queue) {
    const body = queue.querySelector("tbody");
    const hours = document.getElementById("hours");
    live(queue.dataset.api + "/stream", function (data) {
      if (data.error) { hours.textContent = data.error; return; }
      hours.textContent = data.agents_at_work
        ? "Agents are at work: shoppers are told someone will write shortly."
        : "Outside agents' hours: shoppers are told when you are back (" + new Date(data.next_opening).toLocaleString() + ").";
      body.replaceChildren();
      if (!data.queue.length) {
        const row = el("tr");
        const cell = el("td", "muted", "Nobody is waiting.");
        cell.colSpan = 8;
        row.append(cell);
        body.append(row);
      }
      data.queue.forEach(function (item) {
        const row = el("tr", item.overdue ? "is-overdue" : "");
        row.dataset.id = item.id;
        const wait = item.first_reply_at
          ? el("td", "small", "answered after " + minutesAndSeconds(item.wait_seconds))
          : el("td", item.overdue ? "wait wait--late" : "wait", minutesAndSeconds(item.wait_seconds));
        if (item.overdue) wait.title = "Waiting longer than " + minutesAndSeconds(data.attend_within_seconds) + " for a person";
        row.append(
          wait,
          el("td", "small mono", item.reference),
          el("td", "small", say("channels", item.channel) + " · " + item.name),
          el("td", "", say("languages", item.language)),
          el("td", "", say("reasons", item.reason)),
          el("td", "small", item.tracking_numbers.join(", ") || "—"),
          el("td", "", item.status === "assigned" ? "with " + item.agent : "waiting"),
        );
        const open = el("a", "button", item.status === "waiting" ? "Open" : "View");
        open.href = queue.dataset.prefix + "/conversations/" + item.id;
        const cell = el("td");
        cell.append(open);
        row.append(cell);
        body.append(row);
      });
    });
  }

  // ---------------------------------------------------------------- one conversation
  const root = document.getElementById("conversation");
  if (!root) return;
  const api = root.dataset.api;
  const transcript = document.getElementById("transcript");
  const state = document.getElementById("state");
  const problem = document.getElementById("problem");
  const compose = document.getElementById("compose");
  const text = document.getElementById("text");
  const canned = document.getElementById("canned");
  const takeRow = document.getElementById("take-row");

  function fail(error) {
    problem.textContent = error.message || String(error);
    problem.hidden = false;
  }

  function showTranscript(items) {
    transcript.replaceChildren();
    items.forEach(function (item) {
      const who = item.who === "agent" ? item.name : { shopper: "Shopper", assistant: "Assistant", system: "" }[item.who];
      const line = el("li", "line line--" + item.who);
      if (item.who === "system") {
        line.textContent = (item.text === "pause" ? "The assistant paused" : "The assistant answers again") + " · " + when(item.at);
      } else {
        line.append(el("span", "line__who", who + " · " + when(item.at)), el("p", "line__text", item.text));
      }
      transcript.append(line);
    });
    transcript.lastElementChild?.scrollIntoView({ block: "nearest" });
  }

  function showState(data) {
    const handoff = data.handoff;
    document.getElementById("who").textContent = say("channels", handoff.channel) + " · " + handoff.name;
    const status = handoff.status === "resolved" ? "Handed back to the assistant."
      : handoff.status === "assigned" ? (data.yours ? "You have this conversation." : "With " + handoff.agent + ".")
      : "Waiting for an agent.";
    state.textContent = status + " Why: " + say("reasons", handoff.reason) + ". Language: " + say("languages", handoff.language) + ".";
    compose.hidden = !(handoff.status === "assigned" && data.yours);
    takeRow.hidden = handoff.status !== "waiting";
  }

  function showParcels(parcels) {
    const box = document.getElementById("parcels");
    if (!parcels.length) return;
    box.replaceChildren();
    parcels.forEach(function (parcel) {
      const card = el("div", "parcel");
      card.append(el("h3", "", parcel.number));
      if (!parcel.found) {
        card.append(el("p", "muted", "Not one of ours."));
      } else {
        const owed = parcel.owed ? money(parcel.owed.amount, parcel.owed.currency) + " (" + say("forms", parcel.owed.form) + ", " + say("grants", parcel.owed.grant) + ")" : "nothing";
        card.append(
          el("p", "", "Promise: " + day(parcel.promised_date) + " · " + say("outcomes", parcel.outcome) + (parcel.days_late ? ", " + parcel.days_late + " days late" : "") + (parcel.at_risk ? " (at risk)" : "")),
          el("p", "", "Owed: " + owed),
          el("p", "small muted", "Why: " + parcel.reasons.map((code) => say("findings", code)).join(", ")),
        );
        const claim = el("p", "", "Claim: ");
        if (parcel.claim) {
          const link = el("a", "", parcel.claim.reference);
          link.href = "/console/claims/" + encodeURIComponent(parcel.claim.reference);
          claim.append(link, " (" + say("statuses", parcel.claim.status) + ")");
        } else {
          claim.append("none");
        }
        card.append(claim);
      }
      box.append(card);
    });
  }

  function showNotes(notes) {
    const list = document.getElementById("notes");
    list.replaceChildren();
    notes.forEach(function (note) {
      list.append(el("li", "", note.author + " · " + when(note.at) + ": " + note.text));
    });
  }

  function showActivity(activity) {
    const list = document.getElementById("activity");
    list.replaceChildren();
    activity.forEach(function (entry) {
      list.append(el("li", "", when(entry.at) + " · " + entry.who + " " + entry.action.replace("_", " ")));
    });
  }

  async function load() {
    const response = await fetch(api);
    const data = await response.json();
    if (!response.ok) { fail(new Error(data.error)); return; }
    showState(data);
    showTranscript(data.transcript);
    showParcels(data.parcels);
    showNotes(data.notes);
    showActivity(data.activity);
    canned.replaceChildren(el("option", "", "Pick one to start from…"));
    canned.firstChild.value = "";
    data.canned.forEach(function (reply) {
      const option = el("option", "", reply.text);
      option.value = reply.text;
      canned.append(option);
    });
  }

  canned.addEventListener("change", function () {
    if (canned.value) { text.value = canned.value; text.focus(); }
  });
  document.getElementById("take").addEventListener("click", function () {
    post(api + "/take").then(load).catch(fail);
  });
  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    const message = text.value.trim();
    if (!message) return;
    text.value = "";  // the box is free for the next message while this one is on its way
    post(api + "/messages", { text: message }).then(function () { problem.hidden = true; }).catch(function (error) {
      if (!text.value) text.value = message;  // not sent: given back, unless the agent is already writing the next
      fail(error);
    });
  });
  document.getElementById("hand-back").addEventListener("click", function () {
    post(api + "/hand-back").then(load).catch(fail);
  });
  document.getElementById("note-form").addEventListener("submit", function (event) {
    event.preventDefault();
    const note = document.getElementById("note");
    post(api + "/notes", { text: note.value }).then(function () { note.value = ""; return load(); }).catch(fail);
  });

  load().catch(fail);
  live(api + "/stream", function (data) {
    if (data.error) { fail(new Error(data.error)); return; }
    problem.hidden = true;
    showState(data);
    showTranscript(data.transcript);
  });
})();
