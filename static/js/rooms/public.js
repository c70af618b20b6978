/* Charts on /stats, drawn with the vendored Chart.js from data the page
   carries in <script type="application/json"> next to each canvas. Every
   chart has a table with the same figures beside it, so nothing depends on
   this script. */
(function () {
  "use strict";
  var palette = ["#0031d8", "#1b6e2d", "#b78a00", "#c0000c"];
  var LABEL_CHARS = 9;  // on a phone, longer category names are shortened on the axis (the table has them whole)
  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    // A lying chart grows with its rows (set here, not in a style attribute: the CSP allows none).
    var figure = canvas.parentElement;
    if (figure && figure.dataset.rows) { figure.style.setProperty("--rows", figure.dataset.rows); }
    // On a narrow screen, bars lie down: rotated names would run off the left edge.
    var narrow = (canvas.parentElement ? canvas.parentElement.clientWidth : window.innerWidth) < 480;
    var horizontal = data.horizontal || narrow;
    var categoryTicks = {
      autoSkip: false,
      callback: function (value) {
        var label = String(this.getLabelForValue(value));
        return narrow && label.length > LABEL_CHARS ? label.slice(0, LABEL_CHARS - 1) + "…" : label;
      }
    };
    var valueTicks = { precision: data.integer ? 0 : 1 };
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map(function (set, i) {
          return { label: set.label, data: set.data, backgroundColor: palette[i % palette.length], borderWidth: 0 };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : { duration: 300 },
        plugins: {
          legend: { position: "bottom" },
          title: { display: !!data.title, text: data.title || "", font: { size: 14, weight: "bold" } }
        },
        scales: {
          x: { beginAtZero: true, ticks: horizontal ? valueTicks : categoryTicks },
          y: { beginAtZero: true, ticks: horizontal ? categoryTicks : valueTicks }
        }
      }
    });
  }
  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
