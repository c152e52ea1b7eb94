import { METERED, TRANSPORT_LABELS, TRANSPORTS, type Metered, type StatsResponse, type TransportCounters } from "../../../protocol/types.js";
import { fetchStats } from "../api.js";
import { Chart, TRANSPORT_COLORS } from "../charts.js";
import { el, formatBytes, formatMs } from "../format.js";
import { delaySamples, percentile } from "../latency.js";

/** Points per live chart: two minutes at one per second, so a tab open for hours stays the same size. */
const POINTS = 120;
const PERIOD_MS = 1_000;

const LABELS: Record<Metered, string> = { ...TRANSPORT_LABELS, publish: "Publish (POST)" };
/** Column titles, each also the label a cell shows for itself when the table is stacked on a phone. */
const COLUMNS = ["Transport", "Requests, tab / all", "Bytes up, tab / all", "Bytes down, tab / all", "Delivered (tab)", "Bytes down per message", "Latency p50", "Latency p95"];

function perMessage(counters: TransportCounters): number | undefined {
  return counters.delivered === 0 ? undefined : counters.bytesOut / counters.delivered;
}

/** What each transport costs, from the server's socket counters for this tab and for everyone. */
export function setUpCost(element: HTMLElement): { show(): void; hide(): void } {
  element.classList.add("cost");
  const intro = el("p", "Bytes are counted by the server on the TCP socket: request and status lines, headers, chunk and frame overhead included. “Tab” is this browser tab (the chat and the race); “all” is every client of the server. Updated every second.");
  const charts = el("div", undefined, "charts");
  const barBox = el("div", undefined, "chart-box");
  const lineBox = el("div", undefined, "chart-box");
  const barCanvas = el("canvas");
  barCanvas.setAttribute("role", "img");
  barCanvas.setAttribute("aria-label", "Chart: bytes down per delivered message, per transport, for this tab");
  const lineCanvas = el("canvas");
  lineCanvas.setAttribute("role", "img");
  lineCanvas.setAttribute("aria-label", "Chart: bytes down per second, per transport, for this tab, over the last two minutes");
  barBox.append(barCanvas);
  lineBox.append(lineCanvas);
  charts.append(barBox, lineBox);

  const table = el("table", undefined, "cost-table stack");
  table.setAttribute("aria-label", "Cost per transport");
  const head = el("tr");
  head.append(...COLUMNS.map((c) => el("th", c)));
  table.createTHead().append(head);
  const body = table.createTBody();
  const wrap = el("div", undefined, "table-wrap");
  wrap.append(table);
  const status = el("p", "", "status");
  status.setAttribute("role", "status");
  element.append(intro, wrap, charts, status);

  const bar = new Chart(barCanvas, {
    type: "bar",
    data: {
      labels: TRANSPORTS.map((t) => TRANSPORT_LABELS[t]),
      datasets: [{ label: "bytes down per message (tab)", data: TRANSPORTS.map(() => 0), backgroundColor: TRANSPORTS.map((t) => TRANSPORT_COLORS[t]) }],
    },
    options: { animation: false, maintainAspectRatio: false, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: "bytes / message" } } } },
  });
  const line = new Chart(lineCanvas, {
    type: "line",
    data: {
      labels: [] as string[],
      datasets: TRANSPORTS.map((t) => ({ label: TRANSPORT_LABELS[t], data: [] as number[], borderColor: TRANSPORT_COLORS[t], backgroundColor: TRANSPORT_COLORS[t], pointRadius: 0 })),
    },
    options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, title: { display: true, text: "bytes down / s (tab)" } } } },
  });

  let previous: StatsResponse | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const renderTable = (stats: StatsResponse): void => {
    const rows = METERED.map((key) => {
      const all = stats.transports[key];
      const tab = stats.client?.transports[key];
      const row = el("tr");
      row.dataset.transport = key;
      const samples = key === "publish" ? [] : delaySamples(key);
      let column = 1;
      const cell = (name: string, text: string): HTMLElement => {
        const td = el("td", text);
        td.dataset.col = name;
        td.dataset.label = COLUMNS[column++] ?? "";
        return td;
      };
      const per = tab === undefined ? undefined : perMessage(tab);
      row.append(
        el("th", LABELS[key]),
        cell("requests", `${tab?.requests ?? 0} / ${all.requests}`),
        cell("bytes-up", `${formatBytes(tab?.bytesIn ?? 0)} / ${formatBytes(all.bytesIn)}`),
        cell("bytes-down", `${formatBytes(tab?.bytesOut ?? 0)} / ${formatBytes(all.bytesOut)}`),
        cell("delivered", String(tab?.delivered ?? 0)),
        cell("per-message", per === undefined ? "–" : `${Math.round(per)} B`),
        cell("p50", formatMs(percentile(samples, 50))),
        cell("p95", formatMs(percentile(samples, 95))),
      );
      row.querySelector<HTMLElement>("[data-col=bytes-down]")?.setAttribute("data-bytes", String(tab?.bytesOut ?? 0));
      return row;
    });
    body.replaceChildren(...rows);
  };

  const renderCharts = (stats: StatsResponse): void => {
    const dataset = bar.data.datasets[0];
    if (dataset !== undefined) dataset.data = TRANSPORTS.map((t) => {
      const tab = stats.client?.transports[t];
      return tab === undefined ? 0 : Math.round(perMessage(tab) ?? 0);
    });
    bar.update();
    const labels = line.data.labels as string[];
    labels.push(new Date().toLocaleTimeString([], { minute: "2-digit", second: "2-digit" }));
    if (labels.length > POINTS) labels.shift();
    TRANSPORTS.forEach((t, i) => {
      const data = line.data.datasets[i]?.data as number[] | undefined;
      if (data === undefined) return;
      const now = stats.client?.transports[t].bytesOut ?? 0;
      const before = previous?.client?.transports[t].bytesOut ?? now;
      data.push(Math.max(0, now - before));
      if (data.length > POINTS) data.shift();
    });
    line.update();
  };

  const tick = async (): Promise<void> => {
    try {
      const stats = await fetchStats();
      renderTable(stats);
      renderCharts(stats);
      previous = stats;
      status.textContent = "";
    } catch (error) {
      status.textContent = `Stats unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  };

  return {
    show: () => {
      clearInterval(timer);
      void tick();
      timer = setInterval(() => void tick(), PERIOD_MS);
      bar.resize();
      line.resize();
    },
    // Nobody is looking: stop polling the stats, so the cost view does not add to the cost.
    hide: () => {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
