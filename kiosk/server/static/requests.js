// The request form: show only the phrases of the chosen category (all show without JS).
(function () {
  var form = document.getElementById("request-form");
  if (!form) { return; }
  function show() {
    var picked = form.querySelector("input[name=category]:checked");
    var groups = form.querySelectorAll(".chip-group[data-category]");
    var hint = form.querySelector(".chip-hint");
    if (hint) { hint.hidden = !!picked; }
    for (var i = 0; i < groups.length; i++) {
      var mine = picked && groups[i].getAttribute("data-category") === picked.value;
      groups[i].hidden = !mine;
      if (!mine) {
        var boxes = groups[i].querySelectorAll("input");
        for (var j = 0; j < boxes.length; j++) { boxes[j].checked = false; }
      }
    }
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "category") { show(); }
  });
  show();
})();

// The board: every 10 s ask whether a request of these halls changed; if so, say so
// (no reload by itself: a staff member may be reading or filtering).
(function () {
  var note = document.querySelector(".req-changed[data-live]");
  if (!note || !window.fetch) { return; }
  var url = note.getAttribute("data-live");
  var stamp = note.getAttribute("data-stamp");
  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.stamp !== stamp) { note.hidden = false; }
      })
      .catch(function () {});
  }
  window.setInterval(check, 10000);
})();
