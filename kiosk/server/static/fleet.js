// Kiosk fleet page: updates the counts and the table in place every 30 s (replaces the old
// <meta http-equiv="refresh">, which reloaded the whole page under a screen reader's feet).
// It fetches the page itself and swaps only the parts marked data-fleet-part, so the rows
// are drawn by one template. Without script the page still works: its 刷新 link reloads it.
// While a remote-care command waits for its kiosk's answer (a screenshot, log lines), it
// polls every 2 s instead, for up to a minute, so the answer shows as soon as it arrives.
(function () {
  var live = document.querySelector("[data-fleet-live]");
  if (!live || !window.fetch || !window.DOMParser) return;
  var url = live.getAttribute("data-fleet-live");
  var every = Math.max(5, parseInt(live.getAttribute("data-every"), 10) || 30) * 1000;
  var auto = document.querySelector("[data-fleet-auto]");
  if (auto) auto.hidden = false;

  function swap(fresh) {
    var parts = live.querySelectorAll("[data-fleet-part]");
    for (var i = 0; i < parts.length; i++) {
      var name = parts[i].getAttribute("data-fleet-part");
      var next = fresh.querySelector('[data-fleet-part="' + name + '"]');
      // Only touch what changed, so a screen reader hears a change, not every poll.
      if (next && next.innerHTML !== parts[i].innerHTML) parts[i].innerHTML = next.innerHTML;
    }
    var stamp = document.querySelector("[data-fleet-updated]");
    var freshStamp = fresh.querySelector("[data-fleet-updated]");
    if (stamp && freshStamp) {
      stamp.textContent = freshStamp.textContent;
      stamp.setAttribute("datetime", freshStamp.getAttribute("datetime") || "");
    }
  }

  function refresh() {
    if (document.visibilityState === "hidden") return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) {
        // Logged out or an error page: keep what is shown; the 刷新 link still works.
        return r.ok && !r.redirected ? r.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        if (fresh.querySelector("[data-fleet-live]")) swap(fresh);
      })
      .catch(function () {});
  }
  var FAST = 2000;
  var fastUntil = 0;
  function waiting() {
    return !!live.querySelector("[data-care-pending]");
  }
  if (waiting()) fastUntil = Date.now() + 60000;
  function tick() {
    var fast = Date.now() < fastUntil && waiting();
    if (fast || Date.now() - last >= every) {
      last = Date.now();
      refresh();
    }
  }
  var last = Date.now();
  setInterval(tick, FAST);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") refresh();
  });
})();
