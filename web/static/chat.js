// The web chat: talks to the Rasa server's socket.io channel.
// Opened on ?inbox=<key>, it shows the shopper's notifications and continues the conversation
// they were written into (inbox-<key>), so that a reply is about their parcel.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const log = document.getElementById("log");
  const welcome = document.getElementById("welcome");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const storageKey = "delivery-assistant-session";
  const inboxKey = new URLSearchParams(window.location.search).get("inbox");
  let sessionId = null;
  let socket = null;

  function add(text, who) {
    const item = document.createElement("li");
    item.className = "msg msg--" + who;
    item.textContent = text;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function addNotice(message) {
    const item = add(message.text, "bot");
    item.classList.add("msg--notice");
    const label = document.createElement("span");
    label.className = "msg__label";
    const when = document.createElement("time");
    when.dateTime = message.sent_at;
    when.textContent = new Intl.DateTimeFormat(root.dataset.locale, { dateStyle: "medium", timeStyle: "short" })
      .format(new Date(message.sent_at));
    label.append(root.dataset.textNotice, " · ", when);
    item.prepend(label);
  }

  function setOnline(online) {
    status.textContent = online ? root.dataset.textOnline : root.dataset.textOffline;
    status.classList.toggle("chat__status--online", online);
  }

  // The inbox's conversation {session_id, session_token}, or null for the shopper's own chat (an unknown key).
  async function openInbox(key) {
    if (!/^[0-9a-f]{32}$/.test(key)) {
      add(root.dataset.textInboxUnknown, "bot");
      return null;
    }
    const response = await fetch("/api/inbox/" + key, { cache: "no-store" }).catch(function () { return null; });
    if (response && response.ok) {
      const inbox = await response.json();
      if (inbox.messages.length) {
        welcome.textContent = root.dataset.textInboxWelcome;
      }
      inbox.messages.forEach(addNotice);
      return inbox.session_token ? { session_id: inbox.conversation, session_token: inbox.session_token } : null;
    }
    if (response && response.status === 404) {
      add(root.dataset.textInboxUnknown, "bot");
      return null;
    }
    // Not readable now: the shopper can still ask, in a conversation of their own.
    add(root.dataset.textInboxUnavailable, "bot");
    return null;
  }

  // The conversation this browser was given before ({session_id, session_token}), if any.
  function stored() {
    try {
      const session = JSON.parse(window.localStorage.getItem(storageKey) || "null");
      return session && session.session_id && session.session_token ? session : null;
    } catch (error) {
      return null;
    }
  }

  // The server issues the conversation (and its token); the page only asks to continue one it was given.
  function connect(inboxSession) {
    let session = inboxSession || stored();
    socket = io(root.dataset.rasaUrl, { transports: ["websocket"], reconnection: true });
    socket.on("connect", function () {
      socket.emit("session_request", session || {});
    });
    socket.on("session_confirm", function (confirmed) {
      session = confirmed;
      sessionId = confirmed.session_id;
      if (!inboxSession) {
        window.localStorage.setItem(storageKey, JSON.stringify(confirmed));
      }
      setOnline(true);
    });
    socket.on("disconnect", function () { setOnline(false); });
    socket.on("bot_uttered", function (message) {
      if (message && message.text) {
        add(message.text, "bot");
      }
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !socket || !sessionId) {
      return;
    }
    add(text, "user");
    socket.emit("user_uttered", { message: text, metadata: { language: root.dataset.locale } });
    input.value = "";
    input.focus();
  });

  if (inboxKey === null) {
    connect(null);
  } else {
    openInbox(inboxKey).then(connect);
  }
})();
