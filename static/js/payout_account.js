// The payout account form: a saved account needs nothing more; another account shows the
// fields of the method chosen (Alipay, or the bank card's three). Without this script every
// field shows, and the server checks only those of the method.
(function () {
  "use strict";
  var form = document.querySelector("form[data-payout-account]");
  if (!form) {
    return;
  }
  var another = form.querySelector("[data-new-account]");

  function checked(name) {
    return form.querySelector("input[name=" + name + "]:checked");
  }

  function update() {
    var saved = checked("saved");
    var typing = !saved || saved.value === "another";
    another.hidden = !typing;
    var method = checked("method");
    form.querySelectorAll("[data-for-method]").forEach(function (fields) {
      fields.hidden = !method || fields.getAttribute("data-for-method") !== method.value;
    });
  }

  form.querySelectorAll("input[name=saved], input[name=method]").forEach(function (radio) {
    radio.addEventListener("change", update);
  });
  update();
})();
