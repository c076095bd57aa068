// Draws the release dashboard's charts with uPlot from the chart JSON the API serves for this version,
// and again whenever htmx swaps in a fresher live fragment. No inline scripts, no network fetches.
(function () {
  "use strict";
  var HEALTH = { healthy: "#2e7d32", warning: "#ed8c00", critical: "#c62828", unknown: "#757575", skipped: "#9e9e9e" };

  function extent(chart) {
    var lo = Infinity, hi = -Infinity;
    [chart.baseline, chart.new].forEach(function (ys) {
      ys.forEach(function (v) { if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); } });
    });
    var t = chart.thresholds;
    [t.max, t.min, t.warning].forEach(function (v) {
      if (v !== null && v !== undefined && isFinite(lo) && v < hi * 3 + 1e-9 && v > lo / 3 - 1e-9) {
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      }
    });
    if (!isFinite(lo)) { return [0, 1]; }
    var pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    return [Math.max(0, lo - pad), hi + pad];
  }

  function hline(u, value, color, dash) {
    if (value === null || value === undefined) { return; }
    var y = u.valToPos(value, "y", true);
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) { return; }
    var ctx = u.ctx;
    ctx.save(); ctx.strokeStyle = color; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(u.bbox.left, y); ctx.lineTo(u.bbox.left + u.bbox.width, y); ctx.stroke();
    ctx.restore();
  }

  function vline(u, t, color, label, dash, width, row) {
    var x = u.valToPos(t, "x", true);
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) { return; }
    var ctx = u.ctx;
    ctx.save(); ctx.strokeStyle = color; ctx.lineWidth = width * devicePixelRatio; ctx.setLineDash(dash);
    ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.fillStyle = color; ctx.font = (10 * devicePixelRatio) + "px sans-serif";
    // Early checkpoints sit close together: stagger their labels over four rows.
    ctx.fillText(label, x + 3 * devicePixelRatio, u.bbox.top + (11 + 11 * (row || 0)) * devicePixelRatio);
    ctx.restore();
  }

  function draw(figure, chart, tz) {
    var box = figure.querySelector(".plot");
    if (!box || !chart.x.length) { figure.setAttribute("data-drawn", "empty"); return; }
    box.innerHTML = "";
    var t = chart.thresholds, range = extent(chart);
    var opts = {
      width: Math.max(280, box.clientWidth || 420), height: 200,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), tz); },
      legend: { show: false },
      scales: { y: { range: function () { return range; } } },
      series: [{}, { label: "baseline", stroke: "#1e63b5", width: 1.5, spanGaps: false },
                   { label: "new", stroke: "#e0602a", width: 1.8, spanGaps: false }],
      axes: [{}, { size: 56 }],
      hooks: { draw: [function (u) {
        hline(u, t.max, "#c62828", [6, 4]);
        hline(u, t.min, "#c62828", [6, 4]);
        hline(u, t.warning, "#ed8c00", [2, 4]);
        chart.markers.forEach(function (m, i) { vline(u, m.t, HEALTH[m.health] || "#757575", m.label, [3, 3], 1, i % 4); });
        if (chart.rollback) { vline(u, chart.rollback.t, "#b00020", "rollback", [], 2.5, 4); }
      }] }
    };
    new uPlot(opts, [chart.x, chart.baseline, chart.new], box);
    figure.setAttribute("data-drawn", "yes");
  }

  // The chart data comes from the API at a URL that names the dashboard's version, so the browser
  // fetches it once per change and the page itself stays small.
  function drawAll(root) {
    var grid = root.querySelector(".chart-grid[data-charts]");
    if (!grid || typeof uPlot === "undefined") { return; }
    var tz = grid.getAttribute("data-tz") || "UTC";
    if (/^UTC[+-]/.test(tz)) { tz = "UTC"; }
    fetch(grid.getAttribute("data-charts"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("charts: HTTP " + response.status); }
        return response.json();
      })
      .then(function (charts) {
        grid.querySelectorAll("figure.chart").forEach(function (fig) {
          draw(fig, charts[Number(fig.getAttribute("data-index"))], tz);
        });
      })
      .catch(function (error) { grid.setAttribute("data-error", String(error)); });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function () { drawAll(document); });
})();
