// The filing form, once a kind is chosen: only that kind's own fields, and the amount
// claimed prefilled with what the rules allow (until the consumer types their own).
(function () {
  "use strict";
  var form = document.querySelector("form[data-filing]");
  if (!form) {
    return;
  }
  var amount = form.querySelector("input[name=claimed_amount]");
  var prefilled = null;

  function choose(radio) {
    form.querySelectorAll("[data-for-kind]").forEach(function (field) {
      field.hidden = !radio || field.getAttribute("data-for-kind") !== radio.value;
    });
    if (!radio || !amount) {
      return;
    }
    if (amount.value === "" || amount.value === prefilled) {
      prefilled = radio.getAttribute("data-maximum");
      amount.value = prefilled;
    }
  }

  form.querySelectorAll("input[name=kind]").forEach(function (radio) {
    radio.addEventListener("change", function () {
      choose(radio);
    });
  });
  choose(form.querySelector("input[name=kind]:checked"));
})();
