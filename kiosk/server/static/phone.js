// The resident's phone page (/t/{id}): looks again every 10 s and updates in place, instead
// of reloading the whole page. Without script the page's 刷新 link does the same.
(function () {
  "use strict";
  var PERIOD = 10000;
  var root = document.getElementById("ticket");
  if (!root || !root.getAttribute("data-ticket-json")) return;
  var url = root.getAttribute("data-ticket-json");

  function later() { window.setTimeout(check, PERIOD); }

  function changed(data) {
    var shown = document.getElementById("ticket");
    return (
      shown.getAttribute("data-state") !== String(data.state) ||
      shown.getAttribute("data-queue") !== String(data.queue) ||
      shown.getAttribute("data-window") !== (data.window === null ? "" : String(data.window)) ||
      shown.getAttribute("data-ahead") !== String(data.people_ahead) ||
      shown.getAttribute("data-wait") !== String(data.estimated_wait_minutes)
    );
  }

  // Take the server's own rendering of the page (one copy of every sentence) and put its
  // ticket part in place of ours.
  function redraw() {
    return fetch(window.location.href, { cache: "no-store", credentials: "omit" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) return true;
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("ticket");
        if (!fresh) return true;
        document.getElementById("ticket").replaceWith(document.importNode(fresh, true));
        document.title = page.title;
        return Boolean(fresh.getAttribute("data-ticket-json"));
      });
  }

  function check() {
    fetch(url, { cache: "no-store", credentials: "omit", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        var shown = document.getElementById("ticket");
        if (data === null) return shown.hasAttribute("data-missing");
        if (shown.hasAttribute("data-missing") || changed(data)) return redraw();
        return true;
      })
      .then(function (again) { if (again) later(); })
      .catch(later);
  }

  later();
})();
