// One item's readings over time with the GB 3838-2002 class bands behind them.
(function () {
  "use strict";
  var colours = ["rgba(0,112,192,.12)", "rgba(58,160,255,.12)", "rgba(46,158,68,.12)",
                 "rgba(242,194,0,.16)", "rgba(242,140,0,.16)", "rgba(214,39,40,.14)"];
  var names = ["I", "II", "III", "IV", "V", "劣V"];
  function bands(limits, direction, top) {
    var out = [], lo = direction === "lower" ? top : 0, i;
    if (!limits.length) { return out; }
    for (i = 0; i < 5; i++) {
      var hi = limits[i];
      if (direction === "lower") { out.push([{ yAxis: hi, name: names[i], itemStyle: { color: colours[i] } }, { yAxis: lo }]); }
      else if (hi > lo) { out.push([{ yAxis: lo, name: names[i], itemStyle: { color: colours[i] } }, { yAxis: hi }]); }
      lo = hi;
    }
    out.push([{ yAxis: lo, name: names[5], itemStyle: { color: colours[5] } },
              { yAxis: direction === "lower" ? 0 : top }]);
    return out;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("readings-chart");
    var data = JSON.parse(document.getElementById("chart-data").textContent);
    var values = data.points.map(function (p) { return p[1]; });
    var top = Math.ceil(Math.max.apply(null, values.concat(data.limits.slice(0, 4))) * 110) / 100 || 1;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" }, yAxis: { type: "value", name: data.name + " (" + data.unit + ")", max: top },
      dataZoom: [{ type: "inside" }, { type: "slider" }],
      series: [{ type: "line", name: data.name, data: data.points, showSymbol: false,
        markArea: { silent: true, label: { position: "insideRight" }, data: bands(data.limits, data.direction, top) } }]
    });
    el.dataset.points = String(data.points.length);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
