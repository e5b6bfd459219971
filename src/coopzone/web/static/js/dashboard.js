// The dashboard: agreements by unit on the map (click for the unit's panel) and three bar
// charts; the data comes from the page's JSON blocks.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var data = JSON.parse(document.getElementById("dashboard-data").textContent);
    var go = function (p) { if (p.data && p.data.link) { window.location.href = p.data.link; } };
    var max = Math.max.apply(null, data.byCounty.map(function (c) { return c.count; }).concat([1]));
    var mapEl = document.getElementById("dashboard-map");
    window.coopzoneMap.load(mapEl, {
      tooltip: { trigger: "item", formatter: function (p) {
        return window.coopzoneEscape(p.data ? p.name + " · " + p.data.value : p.name); } },
      visualMap: { type: "continuous", min: 0, max: max, left: 10, bottom: 10, text: [String(max), "0"],
        inRange: { color: ["#fde8dc", "#f4a582", "#b22222"] }, calculable: false },
      series: [{ type: "map", map: "coopzone-zone", roam: true, selectedMode: "single",
        data: data.byCounty.map(function (c) { return { name: c.name, adcode: c.code, value: c.count }; }),
        label: { show: true, fontSize: 11 }, emphasis: { label: { show: true } } }]
    }).then(function (chart) {
      chart.on("click", function (p) {
        if (p.data && p.data.adcode) {
          htmx.ajax("GET", "/dashboard/unit/" + p.data.adcode, { target: "#unit-panel", swap: "innerHTML" });
        }
      });
      mapEl.dataset.ready = "1";
    });
    function bar(id, names, items, horizontal) {
      var el = document.getElementById(id);
      var chart = echarts.init(el, null, { renderer: "svg" });
      var cat = { type: "category", data: names, axisLabel: { interval: 0, rotate: horizontal ? 0 : 45 } };
      var val = { type: "value", minInterval: 1 };
      chart.setOption({
        tooltip: { trigger: "axis" }, grid: { left: horizontal ? 110 : 40, right: 20, top: 10, bottom: horizontal ? 30 : 70 },
        xAxis: horizontal ? val : cat, yAxis: horizontal ? Object.assign(cat, { inverse: true }) : val,
        series: [{ type: "bar", itemStyle: { color: "#b22222" }, label: { show: true, position: horizontal ? "right" : "top" },
          data: items.map(function (i) { return { value: i.count, link: i.link }; }) }]
      });
      chart.on("click", go);
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.drawn = String(items.length);
    }
    var fieldLabels = JSON.parse(document.getElementById("field-labels").textContent);
    bar("chart-field", data.byField.map(function (f) { return fieldLabels[f.code] || f.code; }), data.byField, true);
    bar("chart-county", data.byCounty.map(function (c) { return c.name; }), data.byCounty, false);
    bar("chart-year", data.byYear.map(function (y) { return String(y.year); }), data.byYear, false);
  });
})();
