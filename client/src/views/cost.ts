import { METERED, STOMP_LABELS, TRANSPORT_LABELS, type Metered, type StatsResponse, type TransportCounters } from "../../../protocol/types.js";
import { fetchStats } from "../api.js";
import { Chart, TRANSPORT_COLORS } from "../charts.js";
import { el, formatBytes, formatMs } from "../format.js";
import { delaySamples, percentile } from "../latency.js";
import { CHAT_LABELS, CHAT_TRANSPORTS } from "../transports/kinds.js";
import { appendSample, emptySeries, sampleOf, WINDOW_MS, type Sample } from "./cost-series.js";

const PERIOD_MS = 1_000;
/** Time-axis marks on whole quarter minutes of the clock, so they stay put while the window slides. */
const TICK_MS = 15_000;
/** Direction, not transport: the bars already sit over their transport's name. */
const UP_COLOR = "#f08c00";
const DOWN_COLOR = "#495057";

const LABELS: Record<Metered, string> = { ...TRANSPORT_LABELS, publish: "Publish (POST)", ...STOMP_LABELS };
/** Column titles, each also the label a cell shows for itself when the table is stacked on a phone. */
const COLUMNS = [
  "Transport",
  "Requests, tab / all",
  "Bytes up, tab / all",
  "Bytes down, tab / all",
  "Delivered (tab)",
  "Up per message",
  "Down per message",
  "Total per message",
  "Latency p50",
  "Latency p95",
];

interface PerMessage {
  up: number;
  down: number;
}

/** Both directions count: for polling, the requests' headers going up are most of the cost. */
function perMessage(counters: TransportCounters | undefined): PerMessage | undefined {
  if (counters === undefined || counters.delivered === 0) return undefined;
  return { up: counters.bytesIn / counters.delivered, down: counters.bytesOut / counters.delivered };
}

function clockLabel(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}:${String(date.getSeconds()).padStart(2, "0")}`;
}

function canvasIn(box: HTMLElement, label: string): HTMLCanvasElement {
  const canvas = el("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  box.append(canvas);
  return canvas;
}

/** What each transport costs, from the server's socket counters for this tab and for everyone. */
export function setUpCost(element: HTMLElement): { show(): void; hide(): void } {
  element.classList.add("cost");
  const intro = el(
    "p",
    "Bytes are counted by the server on the TCP socket: request and status lines, headers, chunk and frame overhead included. Up is what the browser sent (requests, headers, WebSocket frames), down what it received. “Tab” is this browser tab (the chat and the race); “all” is every client of the server. Updated every second while this view is visible.",
  );
  const charts = el("div", undefined, "charts");
  const barBox = el("div", undefined, "chart-box");
  const lineBox = el("div", undefined, "chart-box");
  const barCanvas = canvasIn(barBox, "Chart: bytes per delivered message for this tab, per transport, up and down stacked (exact values in the table)");
  const lineCanvas = canvasIn(
    lineBox,
    "Chart: bytes per second, up plus down, per transport, for this tab, over the last two minutes of real time; gaps where the view was hidden",
  );
  const lineNote = el(
    "p",
    "Bytes up + down per second for this tab, over the last two minutes. A break in a line is time this view or tab was hidden: nothing was sampled then, and those bytes are in the table’s totals, not spread over one second.",
    "muted chart-note",
  );
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
  element.append(intro, wrap, charts, lineNote, status);

  const bar = new Chart(barCanvas, {
    type: "bar",
    data: {
      labels: CHAT_TRANSPORTS.map((t) => CHAT_LABELS[t]),
      datasets: [
        { label: "up (browser → server)", data: CHAT_TRANSPORTS.map(() => 0), backgroundColor: UP_COLOR },
        { label: "down (server → browser)", data: CHAT_TRANSPORTS.map(() => 0), backgroundColor: DOWN_COLOR },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: {
        tooltip: {
          mode: "index",
          callbacks: { footer: (items) => `total: ${Math.round(items.reduce((sum, item) => sum + (item.parsed.y ?? 0), 0))} B` },
        },
      },
      scales: {
        x: { stacked: true },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: "bytes / message (tab)" } },
      },
    },
  });

  const series = emptySeries();
  const line = new Chart(lineCanvas, {
    type: "line",
    data: {
      datasets: CHAT_TRANSPORTS.map((t) => ({
        label: CHAT_LABELS[t],
        data: series[t],
        borderColor: TRANSPORT_COLORS[t],
        backgroundColor: TRANSPORT_COLORS[t],
        pointRadius: 0,
        spanGaps: false,
      })),
    },
    options: {
      animation: false,
      parsing: false,
      normalized: true,
      maintainAspectRatio: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      plugins: { tooltip: { callbacks: { title: (items) => (items[0] === undefined ? "" : clockLabel(items[0].parsed.x ?? 0)) } } },
      scales: {
        x: {
          type: "linear",
          afterBuildTicks: (scale) => {
            const first = Math.ceil(scale.min / TICK_MS) * TICK_MS;
            const ticks = [];
            for (let value = first; value <= scale.max; value += TICK_MS) ticks.push({ value });
            scale.ticks = ticks;
          },
          ticks: { callback: (value) => clockLabel(Number(value)), maxRotation: 0 },
        },
        y: { beginAtZero: true, title: { display: true, text: "bytes / s, up + down (tab)" } },
      },
    },
  });

  let previous: Sample | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;
  let shown = false;

  const renderTable = (stats: StatsResponse): void => {
    const rows = METERED.map((key) => {
      const all = stats.transports[key];
      const tab = stats.client?.transports[key];
      const row = el("tr");
      row.dataset.transport = key;
      const samples = key === "publish" ? [] : delaySamples(key);
      let column = 1;
      const cell = (name: string, text: string, bytes?: number): HTMLElement => {
        const td = el("td", text);
        td.dataset.col = name;
        td.dataset.label = COLUMNS[column++] ?? "";
        if (bytes !== undefined) td.dataset.bytes = String(bytes);
        return td;
      };
      const per = perMessage(tab);
      const perCell = (name: string, bytes: number | undefined): HTMLElement =>
        bytes === undefined ? cell(name, "–") : cell(name, `${Math.round(bytes)} B`, bytes);
      row.append(
        el("th", LABELS[key]),
        cell("requests", `${tab?.requests ?? 0} / ${all.requests}`),
        cell("bytes-up", `${formatBytes(tab?.bytesIn ?? 0)} / ${formatBytes(all.bytesIn)}`, tab?.bytesIn ?? 0),
        cell("bytes-down", `${formatBytes(tab?.bytesOut ?? 0)} / ${formatBytes(all.bytesOut)}`, tab?.bytesOut ?? 0),
        cell("delivered", String(tab?.delivered ?? 0)),
        perCell("up-per-message", per?.up),
        perCell("down-per-message", per?.down),
        perCell("per-message", per === undefined ? undefined : per.up + per.down),
        cell("p50", formatMs(percentile(samples, 50))),
        cell("p95", formatMs(percentile(samples, 95))),
      );
      return row;
    });
    body.replaceChildren(...rows);
  };

  const renderCharts = (stats: StatsResponse, sample: Sample): void => {
    const per = CHAT_TRANSPORTS.map((t) => perMessage(stats.client?.transports[t]));
    const stacks = { up: per.map((p) => Math.round(p?.up ?? 0)), down: per.map((p) => Math.round(p?.down ?? 0)) };
    const [up, down] = bar.data.datasets;
    if (up !== undefined) up.data = stacks.up;
    if (down !== undefined) down.data = stacks.down;
    bar.update();
    // A canvas has no DOM to read back: the e2e suite checks the plotted values on the canvases.
    barCanvas.dataset.series = JSON.stringify(stacks);

    appendSample(series, previous, sample);
    const x = line.options.scales?.x;
    if (x !== undefined) {
      x.min = sample.at - WINDOW_MS;
      x.max = sample.at;
    }
    line.update();
    lineCanvas.dataset.series = JSON.stringify(series);
  };

  const tick = async (): Promise<void> => {
    try {
      const stats = await fetchStats();
      const sample = sampleOf(stats, Date.now());
      renderTable(stats);
      renderCharts(stats, sample);
      previous = sample;
      status.textContent = "";
    } catch (error) {
      status.textContent = `Stats unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
  };

  const start = (): void => {
    clearInterval(timer);
    void tick();
    timer = setInterval(() => void tick(), PERIOD_MS);
  };
  // Nobody is looking: stop polling the stats, so the cost view does not add to the cost.
  const stop = (): void => {
    clearInterval(timer);
    timer = undefined;
  };

  // A hidden browser tab gets its timers throttled or frozen anyway; stopping outright makes the
  // pause explicit, and the series shows it as a gap.
  document.addEventListener("visibilitychange", () => {
    if (!shown) return;
    if (document.visibilityState === "hidden") stop();
    else start();
  });

  return {
    show: () => {
      shown = true;
      if (document.visibilityState !== "hidden") start();
      bar.resize();
      line.resize();
    },
    hide: () => {
      shown = false;
      stop();
    },
  };
}
