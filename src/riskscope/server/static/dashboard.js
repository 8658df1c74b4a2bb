// The only script the dashboard runs (CSP: script-src 'self'). It only submits the filter form
// when a filter changes; every page works without it.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
    select.addEventListener("change", function () { form.submit(); });
  });
})();
