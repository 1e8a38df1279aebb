// Counter console: keyboard shortcuts and live waiting counts. The page works without it.
(function () {
  var root = document.querySelector(".console");
  if (!root) return;
  var busy = false;

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || busy) return;
    var tag = (event.target.tagName || "").toLowerCase();
    // Typing in a field is typing; a ticked queue box is not (tick A, then press N).
    var box = tag === "input" && event.target.type === "checkbox";
    if ((tag === "input" && !box) || tag === "textarea" || tag === "select") return;
    var button = root.querySelector('button[data-key="' + event.key.toLowerCase() + '"]');
    if (!button || button.disabled) return;
    event.preventDefault();
    busy = true;
    button.form.requestSubmit ? button.form.requestSubmit(button) : button.form.submit();
  });

  var url = root.getAttribute("data-live");
  var shown = root.querySelector("[data-current]");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        data.queues.forEach(function (q) {
          var el = root.querySelector('[data-queue="' + q.code + '"]');
          if (el) el.textContent = q.waiting;
        });
        var total = root.querySelector("[data-total]");
        if (total) total.textContent = data.waiting_total;
        var served = root.querySelector("[data-served]");
        if (served) served.textContent = data.served_today;
        var hint = root.querySelector("[data-hint]");
        if (hint && hint.textContent !== data.hint) hint.textContent = data.hint;
        var number = data.current ? data.current.number : "—";
        if (shown && shown.textContent.trim() !== number) {
          // Another device changed this window: reload to show the right buttons.
          window.location.reload();
        }
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
})();
