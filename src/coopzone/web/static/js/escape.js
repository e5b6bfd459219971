// The one way client code puts data into HTML: window.coopzoneEscape(value) returns the text
// with & < > " ' as entities. ECharts tooltip formatters return HTML, so every formatter that
// shows a name passes it through here; anything else sets textContent instead of innerHTML.
(function () {
  "use strict";
  var entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  window.coopzoneEscape = function (value) {
    return (value === null || value === undefined ? "" : String(value))
      .replace(/[&<>"']/g, function (c) { return entities[c]; });
  };
})();
