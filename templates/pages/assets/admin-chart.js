// The dashboard's chart of the last 30 days (uPlot, served by the instance); the same numbers are in the table below it.
(() => {
  const element = document.getElementById("chart");
  const data = JSON.parse(document.getElementById("chart-data").textContent);
  if (!element || typeof uPlot === "undefined") return;
  const series = [
    { label: "Digests sent", stroke: "#0550ae", width: 2 },
    { label: "Failed", stroke: "#b42318", width: 2 },
    { label: "Bounced", stroke: "#8a4600", width: 2, dash: [6, 3] },
    { label: "Unsubscribed", stroke: "#59636e", width: 2, dash: [2, 3] },
    { label: "New subscribers", stroke: "#0b6b4f", width: 2 },
  ];
  const width = () => Math.max(280, element.clientWidth);
  const chart = new uPlot({ width: width(), height: 260, series: [{}, ...series], axes: [{}, { label: "per day" }], legend: { live: false } }, [data.x, ...data.y], element);
  window.addEventListener("resize", () => chart.setSize({ width: width(), height: 260 }));
})();
