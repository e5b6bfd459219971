// Draws the zone's county-level units from the shipped GeoJSON (offline; SVG renderer so each
// unit is a real element). Exposes window.coopzoneMap for pages that colour units.
(function () {
  "use strict";
  function draw(el, geojson, options) {
    echarts.registerMap("coopzone-zone", geojson);
    var chart = echarts.init(el, null, { renderer: "svg" });
    var hunan = el.dataset.labelHunan || "湖南", jiangxi = el.dataset.labelJiangxi || "江西";
    var data = geojson.features
      .filter(function (f) { return f.properties.kind !== "context"; })
      .map(function (f) {
        return { name: f.properties.name, adcode: f.properties.adcode,
                 value: String(f.properties.adcode).slice(0, 2) === "43" ? 1 : 2 };
      });
    chart.setOption(Object.assign({
      tooltip: { trigger: "item", formatter: function (p) {
        return window.coopzoneEscape(p.name + " " + (p.data ? p.data.adcode : "")); } },
      visualMap: { type: "piecewise", show: true, dimension: 0, left: 10, bottom: 10,
        pieces: [{ value: 1, label: hunan, color: "#f4b183" },
                 { value: 2, label: jiangxi, color: "#9dc3e6" }] },
      series: [{ type: "map", map: "coopzone-zone", roam: true, data: data,
        label: { show: true, fontSize: 11 }, nameProperty: "name",
        emphasis: { label: { show: true } } }]
    }, options || {}));
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.drawn = String(data.length);
    return chart;
  }
  function load(el, options) {
    return fetch(el.dataset.geojson).then(function (r) { return r.json(); })
      .then(function (g) { return draw(el, g, options); });
  }
  window.coopzoneMap = { load: load, draw: draw };
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("zone-map");
    if (el && !el.dataset.custom) { load(el); }
  });
})();
