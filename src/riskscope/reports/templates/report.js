(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#items tbody tr"));
  var fields = ["f-hazard", "f-outcome", "f-persona", "f-attack", "f-text"];
  function value(id) { return document.getElementById(id).value; }
  function apply() {
    var hazard = value("f-hazard"), outcome = value("f-outcome"), persona = value("f-persona"),
        attack = value("f-attack"), text = value("f-text").toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var show = (!hazard || row.dataset.hazard === hazard) && (!outcome || row.dataset.outcome === outcome) &&
        (!persona || row.dataset.persona === persona) && (!attack || row.dataset.attack === attack) &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !show;
      shown += show ? 1 : 0;
    });
    document.getElementById("shown").textContent = String(shown);
  }
  fields.forEach(function (id) { document.getElementById(id).addEventListener("input", apply); });
  apply();
})();
