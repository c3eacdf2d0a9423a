// /stats: draws the charts (Chart.js, served from static/vendor) from the JSON the page
// embeds in the data-chart attribute of #stats-data (no inline script under the CSP); shows only the period picker's inputs for the chosen
// kind of period; prints with the tables of numbers opened.
(function () {
  "use strict";
  var BAR = "rgba(31, 95, 168, 0.78)";
  var LINE = "#dd6b20";
  var charts = [];

  function readData() {
    var node = document.getElementById("stats-data");
    if (!node || !node.dataset.chart) return null;
    try {
      return JSON.parse(node.dataset.chart);
    } catch (e) {
      return null;
    }
  }

  // The picker: one kind of period at a time; the other inputs are disabled, so the GET
  // form sends only what names the period.
  function picker() {
    var kind = document.getElementById("pick-kind");
    if (!kind) return;
    function show() {
      document.querySelectorAll(".period-picker [data-kind]").forEach(function (input) {
        var on = input.dataset.kind === kind.value;
        input.closest(".field").hidden = !on;
        input.disabled = !on;
      });
    }
    kind.addEventListener("change", show);
    show();
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : value.toFixed(1) + "%";
  }

  function common() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2), // crisp when printed
    };
  }

  function trend(d) {
    var canvas = document.getElementById("chart-trend");
    if (!canvas || !d.trend.labels.length) return;
    var options = common();
    options.interaction = { mode: "index", intersect: false };
    options.scales = {
      y: {
        beginAtZero: true,
        ticks: { precision: 0 },
        title: { display: true, text: d.trend.series.received },
      },
      rate: {
        position: "right",
        min: 0,
        max: 100,
        ticks: { callback: function (v) { return v + "%"; } },
        grid: { drawOnChartArea: false },
        title: { display: true, text: d.trend.series.on_time_rate },
      },
    };
    options.plugins = {
      legend: { position: "bottom", reverse: true },
      tooltip: {
        callbacks: {
          label: function (ctx) {
            var value = ctx.dataset.yAxisID === "rate" ? percent(ctx.parsed.y) : ctx.parsed.y;
            return ctx.dataset.label + ": " + value;
          },
        },
      },
    };
    charts.push(new window.Chart(canvas, {
      data: {
        labels: d.trend.labels,
        datasets: [
          {
            type: "bar", label: d.trend.series.received, data: d.trend.received,
            backgroundColor: BAR, yAxisID: "y", order: 2, maxBarThickness: 56,
          },
          {
            type: "line", label: d.trend.series.on_time_rate, data: d.trend.on_time_rate,
            borderColor: LINE, backgroundColor: LINE, yAxisID: "rate", order: 1,
            spanGaps: true, tension: 0.2, pointRadius: 4, borderWidth: 3,
          },
        ],
      },
      options: options,
    }));
  }

  function share(id, s) {
    var canvas = document.getElementById(id);
    if (!canvas || !s.values.length) return;
    var total = s.values.reduce(function (a, b) { return a + b; }, 0);
    var options = common();
    options.cutout = "55%";
    options.plugins = {
      legend: { display: false }, // the table next to the chart is the legend
      tooltip: {
        callbacks: {
          label: function (ctx) {
            return ctx.label + ": " + ctx.parsed + " (" + percent(100 * ctx.parsed / total) + ")";
          },
        },
      },
    };
    charts.push(new window.Chart(canvas, {
      type: "doughnut",
      data: {
        labels: s.labels,
        datasets: [{ data: s.values, backgroundColor: s.colors, borderColor: "#fff", borderWidth: 2 }],
      },
      options: options,
    }));
  }

  // Printing: the tables of numbers open; the charts redraw at the paper's width.
  function printing() {
    var opened = [];
    window.addEventListener("beforeprint", function () {
      document.querySelectorAll("details[data-print-open]").forEach(function (d) {
        if (!d.open) {
          d.open = true;
          opened.push(d);
        }
      });
      charts.forEach(function (c) { c.resize(); });
    });
    window.addEventListener("afterprint", function () {
      opened.forEach(function (d) { d.open = false; });
      opened = [];
      charts.forEach(function (c) { c.resize(); });
    });
  }

  function start() {
    picker();
    printing();
    var d = readData();
    if (!d || !window.Chart) return;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#3e4c59";
    trend(d);
    share("chart-category", d.category);
    share("chart-channel", d.channel);
    document.body.dataset.chartsReady = String(charts.length);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
