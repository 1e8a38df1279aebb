// 五必访 on a phone with a bad signal (kiosk/server/admin/visits.py). A visit form is first
// kept on the phone (localStorage), under a key minted here, then sent; it leaves the phone
// only when the server has answered that it stored it. Sending again is harmless: the
// server keeps one visit per key. No build step, no library.
(function () {
  "use strict";
  var STORE = "kiosk-visits-outbox-v1";
  var RETRY_MS = 15000;
  var flushing = false;

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(STORE) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    window.localStorage.setItem(STORE, JSON.stringify(items));
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(18);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function csrf() {
    var field = document.querySelector('input[name="csrf"]');
    return field ? field.value : "";
  }

  function text(el, value) {
    if (el) { el.textContent = value; }
  }

  function render(note) {
    var items = load();
    var box = document.getElementById("visit-outbox");
    if (!box) { return; }
    box.hidden = items.length === 0;
    var list = document.getElementById("visit-outbox-list");
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "outbox-item" + (item.refused ? " refused" : "");
      var label = document.createElement("span");
      label.textContent = item.label + " · " + item.at + (item.refused
        ? " · 未能保存：" + item.refused
        : " · 已保存，待上传");
      li.appendChild(label);
      if (item.refused) {
        var drop = document.createElement("button");
        drop.type = "button";
        drop.className = "btn small danger";
        drop.textContent = "删除这条";
        drop.addEventListener("click", function () {
          if (window.confirm("删除后这条走访记录将不会上传，确定吗？")) {
            save(load().filter(function (i) { return i.key !== item.key; }));
            render();
          }
        });
        li.appendChild(drop);
      }
      list.appendChild(li);
    });
    var waiting = items.filter(function (i) { return !i.refused; }).length;
    var state = note || (navigator.onLine
      ? "有 " + waiting + " 条走访记录待上传"
      : "当前无网络：" + waiting + " 条已保存，待上传，有信号后自动上传");
    text(document.getElementById("visit-outbox-state"), state);
  }

  // One item to the server: "done", "refused" (kept, with the reason), "later" (kept).
  function send(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (pair) { body.append(pair[0], pair[1]); });
    body.append("csrf", csrf());
    return window.fetch(item.action, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (type.indexOf("application/json") < 0) {
        // The login page or an error page: the session ended or the server is unwell.
        return { outcome: "later", login: response.status === 403 };
      }
      return response.json().then(function (answer) {
        if (answer.ok) { return { outcome: "done", message: answer.message }; }
        if (response.status === 403 || response.status >= 500) {
          return { outcome: "later", message: answer.message };
        }
        return { outcome: "refused", message: answer.message };
      });
    }, function () {
      return { outcome: "offline" };
    });
  }

  function flush() {
    if (flushing) { return Promise.resolve(); }
    flushing = true;
    var pending = load().filter(function (i) { return !i.refused; });
    var note = "";
    var sent = [];
    function next(index) {
      if (index >= pending.length) { return Promise.resolve(); }
      var item = pending[index];
      return send(item).then(function (result) {
        var items = load();
        if (result.outcome === "done") {
          save(items.filter(function (i) { return i.key !== item.key; }));
          sent.push(item.label);
          return next(index + 1);
        }
        if (result.outcome === "refused") {
          items.forEach(function (i) { if (i.key === item.key) { i.refused = result.message; } });
          save(items);
          return next(index + 1);
        }
        if (result.login) {
          note = "登录已过期：请重新登录，待上传的记录会自动上传";
        } else if (result.outcome === "offline") {
          note = "当前无网络：走访记录已保存，待上传，有信号后自动上传";
        }
        return Promise.resolve();  // offline or unwell: try the rest later, in order
      });
    }
    return next(0).then(function () {
      flushing = false;
      render(note);
      if (sent.length) {
        text(document.getElementById("visit-form-state"), "已上传：" + sent.join("、"));
        document.dispatchEvent(new CustomEvent("visits-uploaded", { detail: sent }));
      }
    });
  }

  function keep(form) {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf") { fields.push([name, String(value)]); }
    });
    var key = form.elements.key.value;
    var at = form.elements.at ? form.elements.at.value : "";
    var items = load().filter(function (i) { return i.key !== key; });
    items.push({
      key: key,
      action: form.getAttribute("action"),
      fields: fields,
      label: form.getAttribute("data-household") || "",
      at: at,
      savedAt: new Date().toISOString(),
    });
    save(items);
  }

  // "2026-12-03 09:05" in the hall's zone (the form's data-zone), as the server reads it.
  function nowText(zone) {
    var parts = {};
    var options = {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    };
    try {
      if (zone) { options.timeZone = zone; }
      new Intl.DateTimeFormat("en-GB", options).formatToParts(new Date())
        .forEach(function (p) { parts[p.type] = p.value; });
    } catch (e) {
      delete options.timeZone;
      new Intl.DateTimeFormat("en-GB", options).formatToParts(new Date())
        .forEach(function (p) { parts[p.type] = p.value; });
    }
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" +
      parts.minute;
  }

  // The visit time: the form may have been opened (or reopened from the offline cache)
  // long before the visit, so a time the staff member did not type is "now" at 提交.
  // What they typed is kept as typed, however late the form is uploaded.
  function watchTime(form) {
    var field = form.elements.at;
    if (!field) { return function () {}; }
    var zone = form.getAttribute("data-zone") || "";
    var typed = false;
    field.addEventListener("input", function () { typed = true; });
    function follow() { if (!typed) { field.value = nowText(zone); } }
    follow();
    window.setInterval(follow, 30000);
    return function (reset) {
      if (reset) { typed = false; }
      follow();
    };
  }

  function watchForm(form) {
    form.elements.key.value = newKey();  // a fresh key each time the form is opened
    var stamp = watchTime(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var state = document.getElementById("visit-form-state");
      stamp(false);
      keep(form);
      var label = form.getAttribute("data-household") || "";
      form.reset();
      stamp(true);
      form.elements.key.value = newKey();
      text(state, "正在上传…");
      flush().then(function () {
        if (load().some(function (i) { return i.label === label && !i.refused; })) {
          text(state, "已保存，待上传：" + label + "（有信号后自动上传，请勿重复填写）");
        }
        var refused = load().filter(function (i) { return i.label === label && i.refused; });
        if (refused.length) {
          text(state, "未能保存：" + refused[refused.length - 1].refused);
        }
      });
    });
  }

  // Logging out: the pages kept for offline use (household addresses) leave the phone
  // first. The kept forms stay: they are uploaded after the next login.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var action = (event.submitter && event.submitter.getAttribute("formaction")) ||
      form.getAttribute("action") || "";
    if (action.indexOf("/admin/logout") !== 0 || !window.caches || form.dataset.cleared) {
      return;
    }
    event.preventDefault();
    var submitter = event.submitter;
    window.caches.delete("kiosk-visits-v1").catch(function () {}).then(function () {
      form.dataset.cleared = "1";
      form.requestSubmit(submitter);
    });
  });

  function start() {
    var form = document.getElementById("visit-form");
    if (form) { watchForm(form); }
    var button = document.getElementById("visit-outbox-send");
    if (button) { button.addEventListener("click", function () { flush(); }); }
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", function () { render(); });
    window.setInterval(function () { if (load().length) { flush(); } }, RETRY_MS);
    window.visitsOutbox = { flush: flush, load: load, save: save };
    render();
    if (load().length) { flush(); }
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/admin/visits/sw.js", { scope: "/admin/visits/" })
        .catch(function () { /* the pages work without it, only not reopened offline */ });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
