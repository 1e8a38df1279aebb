// A request's photo form: camera photos are made smaller in the browser before they are
// sent (longest side 1600 px, JPEG), so several fit under the server's 5 MB body limit.
// Without script (or an old browser) the originals go as they are; the server cleans
// every photo either way (kiosk/server/requests/photos.py).
(function () {
  var form = document.querySelector("form.req-photo-form");
  if (!form || !window.DataTransfer || !window.createImageBitmap) { return; }
  var input = form.querySelector("input[type=file]");
  var SIDE = 1600;
  var busy = false;
  function shrink(file) {
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob ? new File([blob], "photo.jpg", { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });  // not an image: the server says why
  }
  form.addEventListener("submit", function (event) {
    if (busy || !input.files.length) { return; }
    event.preventDefault();
    busy = true;
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; button.textContent = "正在处理照片…"; }
    Promise.all(Array.prototype.map.call(input.files, shrink)).then(function (files) {
      var list = new DataTransfer();
      files.forEach(function (f) { list.items.add(f); });
      input.files = list.files;
      form.submit();
    });
  });
})();
