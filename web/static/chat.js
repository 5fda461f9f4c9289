// The web chat: talks to the Rasa server's socket.io channel.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const log = document.getElementById("log");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  const status = document.getElementById("status");
  const storageKey = "delivery-assistant-session";
  let sessionId = window.localStorage.getItem(storageKey);

  function add(text, who) {
    const item = document.createElement("li");
    item.className = "msg msg--" + who;
    item.textContent = text;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function setOnline(online) {
    status.textContent = online ? root.dataset.textOnline : root.dataset.textOffline;
    status.classList.toggle("chat__status--online", online);
  }

  const socket = io(root.dataset.rasaUrl, { transports: ["websocket"], reconnection: true });

  socket.on("connect", function () {
    socket.emit("session_request", { session_id: sessionId });
  });
  socket.on("session_confirm", function (confirmed) {
    sessionId = confirmed;
    window.localStorage.setItem(storageKey, sessionId);
    setOnline(true);
  });
  socket.on("disconnect", function () { setOnline(false); });
  socket.on("bot_uttered", function (message) {
    if (message && message.text) {
      add(message.text, "bot");
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !sessionId) {
      return;
    }
    add(text, "user");
    socket.emit("user_uttered", {
      message: text,
      session_id: sessionId,
      metadata: { language: root.dataset.locale },
    });
    input.value = "";
    input.focus();
  });
})();
