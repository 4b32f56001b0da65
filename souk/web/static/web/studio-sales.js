// The studio's dashboard: draws its charts (Chart.js) from the figures the page carries as
// JSON (#dashboard-data), and again whenever htmx swaps in another period. Each chart has a
// table with the same figures beside it.
(function () {
  "use strict";

  const PALETTE = ["#9a3b12", "#1d6b3a", "#1a5fb4", "#8a5a00", "#6b3fa0", "#0f766e", "#a11d1d", "#5c544b"];

  function money(currency) {
    try {
      return new Intl.NumberFormat(document.documentElement.lang || undefined, { style: "currency", currency: currency });
    } catch (error) {
      return new Intl.NumberFormat();
    }
  }

  function draw(canvasId, config) {
    const canvas = document.getElementById(canvasId);
    if (!canvas) return;
    const old = window.Chart.getChart(canvas);
    if (old) old.destroy();
    new window.Chart(canvas, config);
  }

  function drawAll() {
    const source = document.getElementById("dashboard-data");
    if (!source || !window.Chart) return;
    // Charts whose canvas an earlier swap removed.
    Object.values(window.Chart.instances).forEach((chart) => {
      if (!chart.canvas.isConnected) chart.destroy();
    });
    const data = JSON.parse(source.textContent);
    const format = money(data.currency);
    const reduced = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    const common = { responsive: true, maintainAspectRatio: false, animation: reduced ? false : undefined };
    const moneyAxis = { beginAtZero: true, ticks: { callback: (value) => format.format(value) } };

    draw("chart-monthly", {
      type: "bar",
      data: {
        labels: data.monthly.map((row) => row.month),
        datasets: [{ label: data.labels.revenue, data: data.monthly.map((row) => Number(row.revenue)), backgroundColor: PALETTE[0] }],
      },
      options: {
        ...common,
        scales: { y: moneyAxis },
        plugins: {
          legend: { display: false },
          tooltip: { callbacks: { label: (item) => `${data.labels.revenue}: ${format.format(item.raw)} · ${data.labels.orders}: ${data.monthly[item.dataIndex].orders}` } },
        },
      },
    });

    draw("chart-categories", {
      type: "doughnut",
      data: {
        labels: data.categories.map((row) => row.name || data.labels.uncategorised),
        datasets: [{ data: data.categories.map((row) => Number(row.revenue)), backgroundColor: data.categories.map((row, i) => PALETTE[i % PALETTE.length]) }],
      },
      options: {
        ...common,
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: (item) => `${item.label}: ${format.format(item.raw)} (${Math.round(Number(data.categories[item.dataIndex].share) * 100)} %)` } },
        },
      },
    });

    draw("chart-products", {
      type: "bar",
      data: {
        labels: data.products.map((row) => row.name),
        datasets: [{ label: data.labels.revenue, data: data.products.map((row) => Number(row.revenue)), backgroundColor: PALETTE[2] }],
      },
      options: {
        ...common,
        indexAxis: "y",
        scales: { x: moneyAxis },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: (item) => format.format(item.raw) } } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", drawAll);
  document.addEventListener("htmx:afterSettle", drawAll);
  // Back and forward through periods: htmx puts back the saved page, with blank canvases.
  document.addEventListener("htmx:historyRestore", drawAll);
  // ...and when the browser itself moves through the history, once htmx has put the page back.
  window.addEventListener("popstate", () => window.setTimeout(drawAll, 50));
  window.addEventListener("pageshow", (event) => { if (event.persisted) drawAll(); });
})();
