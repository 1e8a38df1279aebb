// The request form: show only the phrases of the chosen category (all show without JS).
(function () {
  var form = document.getElementById("request-form");
  if (!form) { return; }
  function show() {
    var picked = form.querySelector("input[name=category]:checked");
    var groups = form.querySelectorAll(".chip-group[data-category]");
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
