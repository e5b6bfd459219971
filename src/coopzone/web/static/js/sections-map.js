// Sections drawn on the zone map (a geo component), coloured by their latest monthly class.
(function () {
  "use strict";
  var colours = { 1: "#0070c0", 2: "#3aa0ff", 3: "#2e9e44", 4: "#f2c200", 5: "#f28c00", 6: "#d62728" };
  var names = { 1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "劣V" };
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("zone-map");
    var points = JSON.parse(document.getElementById("section-points").textContent);
    window.coopzoneMap.load(el).then(function (chart) {
      var lngs = points.map(function (p) { return p.value[0]; });
      var lats = points.map(function (p) { return p.value[1]; });
      var center = points.length ? [(Math.min.apply(null, lngs) + Math.max.apply(null, lngs)) / 2,
                                    (Math.min.apply(null, lats) + Math.max.apply(null, lats)) / 2] : undefined;
      chart.setOption({
        tooltip: { trigger: "item" },
        geo: { map: "coopzone-zone", roam: true, center: center, zoom: points.length ? 4 : 1,
          label: { show: true, color: "#666", fontSize: 11 },
          itemStyle: { areaColor: "#f3f1ec", borderColor: "#999" } },
        series: [{ type: "scatter", coordinateSystem: "geo", symbolSize: 14,
          data: points.map(function (p) {
            return { name: p.name, value: p.value, code: p.code, cls: names[p.cls] || "—",
                     itemStyle: { color: colours[p.cls] || "#888", borderColor: "#222" } }; }),
          label: { show: false, position: "bottom", formatter: "{b}", fontSize: 11 },
          emphasis: { label: { show: true } },
          tooltip: { formatter: function (p) {
            return window.coopzoneEscape(p.name) + " · " + window.coopzoneEscape(p.data.cls); } } }]
      }, true);
      chart.on("click", function (p) {
        if (p.seriesType === "scatter") { window.location = "/ecology/sections/" + p.data.code; }
      });
      el.dataset.sections = String(points.length);
    });
  });
})();
