/* Charts on /stats, drawn with the vendored Chart.js from data the page
   carries in <script type="application/json"> next to each canvas. Every
   chart has a table with the same figures beside it, so nothing depends on
   this script. */
(function () {
  "use strict";
  var palette = ["#0031d8", "#1b6e2d", "#b78a00", "#c0000c"];
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length], borderWidth: 0 };
        })
      },
      options: {
        indexAxis: data.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
        plugins: { legend: { position: "bottom" } },
        scales: {
          x: { beginAtZero: true, ticks: data.horizontal ? { precision: data.integer ? 0 : 1 } : { autoSkip: false } },
          y: { beginAtZero: true, ticks: data.horizontal ? { autoSkip: false } : { precision: data.integer ? 0 : 1 } }
        }
      }
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
