/* The KPI dashboard's charts: one bar chart per KPI across the area's children, drawn by the vendored ECharts from
   the JSON the page carries (#db-data); a click on a bar opens that child area's dashboard (drill-down). The table
   below the charts is the same data without JavaScript. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("db-data");
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var here = new URL(window.location.href);
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var spec = data.charts[Number(box.getAttribute("data-chart"))];
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption({
        animation: false,
        grid: { left: 48, right: 12, top: 16, bottom: 64 },
        tooltip: { trigger: "axis", renderMode: "richText" },
        xAxis: { type: "category", data: data.names, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: { type: "value" },
        series: [{ type: "bar", data: spec.values, itemStyle: { color: "#1d70b8" }, cursor: "pointer" }]
      });
      chart.on("click", function (event) {
        var area = data.areas[event.dataIndex];
        if (!area) { return; }
        here.searchParams.set("area", area);
        window.location.assign(here.toString());
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
}());
