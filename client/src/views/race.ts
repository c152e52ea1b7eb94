import type { ChatMessage } from "../../../protocol/types.js";
import { CLIENT_ID, fetchStats, newNonce, publishHttp } from "../api.js";
import { Chart, TRANSPORT_COLORS } from "../charts.js";
import { el, formatMs } from "../format.js";
import { sockjsReachable, versionBadge, type NegotiatedVersions } from "../http-version.js";
import { arrivalDelay, markSent, recordDelay } from "../latency.js";
import { createTransport, type TransportClient } from "../transports/index.js";
import { CHAT_LABELS, CHAT_TRANSPORTS, type ChatTransport, labelOf, sockjsChoice } from "../transports/kinds.js";

/** Messages kept in the table and the chart: the race is about the last few, not history. */
const KEEP = 30;
const TABLE_ROWS = 12;
/**
 * The chart's y axis is logarithmic: polling's delay (up to its interval, a second here) and a
 * WebSocket's few milliseconds are then both readable, each decade the same height. A log axis has
 * no zero, so a delay under 1 ms is drawn at 1 ms (the table and the tooltip keep the real value).
 */
const LOG_FLOOR_MS = 1;
/** Tick labels longer than this are cut with an ellipsis; the full text is the table row's. */
const TICK_CHARS = 24;
/** Below this chart width the legend is hidden (see onResize). */
const NARROW_PX = 560;

interface Lap {
  message: ChatMessage;
  delays: Partial<Record<ChatTransport, number>>;
}

/** How a message is named in the table's rows and on the chart's x axis alike. */
function lapLabel(lap: Lap): string {
  return `${lap.message.from}: ${lap.message.text}`;
}

/** The seven transports subscribed at once; each message's arrival delay per transport, side by side. */
export interface RaceView {
  show(): void;
  /** Stop the race's subscriptions for a while, if it runs (the six-connections experiment wants the connections). */
  pause(): void;
  /** Start it again if it ran when paused. */
  resume(): void;
}

export function setUpRace(element: HTMLElement, versions: NegotiatedVersions): RaceView {
  element.classList.add("race");
  const intro = el(
    "p",
    "All seven transports (the five, and STOMP over WebSocket and over SockJS, with the SockJS transport chosen in the chat) subscribe to the same feed at once. Each message's arrival delay is measured from the moment this tab sent it (or from the server's time for others' messages); the fastest is marked. Polling here polls once a second, so its delay is up to a second by design; the chart's delay axis is logarithmic, so that second and the others' few milliseconds are both readable.",
  );
  const toggle = el("button", "Start race");
  toggle.type = "button";
  const sendButton = el("button", "Send a race message");
  sendButton.type = "button";
  const controls = el("div", undefined, "row");
  controls.append(toggle, sendButton);

  const states = el("ul", undefined, "race-states");
  states.setAttribute("aria-label", "Race transports");
  const stateOf = new Map<ChatTransport, HTMLElement>();
  const nameOf = new Map<ChatTransport, HTMLElement>();
  for (const transport of CHAT_TRANSPORTS) {
    const item = el("li");
    item.dataset.transport = transport;
    const state = el("span", "closed", "state");
    state.dataset.state = "closed";
    const name = el("span", labelOf(transport), "name");
    nameOf.set(transport, name);
    item.append(name, " ", state, " ", versionBadge(versions, transport));
    item.style.setProperty("--swatch", TRANSPORT_COLORS[transport]);
    states.append(item);
    stateOf.set(transport, state);
  }

  const table = el("table", undefined, "race-table stack");
  table.setAttribute("aria-label", "Arrival delay per transport");
  const headRow = el("tr");
  headRow.append(el("th", "Message"), ...CHAT_TRANSPORTS.map((t) => el("th", CHAT_LABELS[t])));
  table.createTHead().append(headRow);
  const body = table.createTBody();
  const wrap = el("div", undefined, "table-wrap");
  wrap.append(table);

  const canvasBox = el("div", undefined, "chart-box");
  const canvas = el("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "Chart: arrival delay per transport over the last messages, on a logarithmic axis (exact values in the table)");
  canvasBox.append(canvas);
  element.append(intro, controls, states, wrap, canvasBox);

  let recent: Lap[] = [];
  const chart = new Chart(canvas, {
    type: "line",
    data: {
      labels: [] as string[],
      datasets: CHAT_TRANSPORTS.map((t) => ({
        label: CHAT_LABELS[t],
        data: [] as (number | null)[],
        borderColor: TRANSPORT_COLORS[t],
        backgroundColor: TRANSPORT_COLORS[t],
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      // On a phone the legend would take most of the chart's height: the list above names each colour.
      onResize: (resized, size) => {
        if (resized.options.plugins?.legend !== undefined) resized.options.plugins.legend.display = size.width >= NARROW_PX;
      },
      scales: {
        x: {
          title: { display: true, text: "message (as in the table)" },
          ticks: {
            maxRotation: 45,
            autoSkip: true,
            callback(value) {
              const label = this.getLabelForValue(Number(value));
              return label.length > TICK_CHARS ? `${label.slice(0, TICK_CHARS - 1)}…` : label;
            },
          },
        },
        y: { type: "logarithmic", title: { display: true, text: "delay (ms, log scale)" } },
      },
      plugins: {
        legend: { display: canvasBox.clientWidth === 0 || canvasBox.clientWidth >= NARROW_PX },
        tooltip: {
          callbacks: {
            label: (item) => {
              const transport = CHAT_TRANSPORTS[item.datasetIndex];
              const delay = transport === undefined ? undefined : recent[item.dataIndex]?.delays[transport];
              return `${item.dataset.label ?? ""}: ${formatMs(delay)}`;
            },
          },
        },
      },
    },
  });

  const laps = new Map<number, Lap>();
  let clients: TransportClient[] = [];
  let started = false;
  let pausedWhileRunning = false;

  const render = (): void => {
    recent = [...laps.values()].slice(-KEEP);
    chart.data.labels = recent.map(lapLabel);
    CHAT_TRANSPORTS.forEach((t, i) => {
      const dataset = chart.data.datasets[i];
      if (dataset !== undefined)
        dataset.data = recent.map((lap) => {
          const delay = lap.delays[t];
          return delay === undefined ? null : Math.max(LOG_FLOOR_MS, delay);
        });
    });
    chart.update();
    // The axes as drawn, for tests and tools that cannot read a canvas.
    const y = chart.scales.y;
    canvas.dataset.axes = JSON.stringify({ x: chart.data.labels, y: { type: y?.type, min: y?.min, max: y?.max } });
    const rows = recent
      .slice(-TABLE_ROWS)
      .reverse()
      .map((lap) => {
        const row = el("tr");
        row.dataset.id = String(lap.message.id);
        const values = CHAT_TRANSPORTS.map((t) => lap.delays[t]).filter((v): v is number => v !== undefined);
        // The first transport to deliver wins; later arrivals cannot beat it.
        const best = values.length > 0 ? Math.min(...values) : undefined;
        row.append(el("th", lapLabel(lap)));
        for (const t of CHAT_TRANSPORTS) {
          const delay = lap.delays[t];
          const cell = el("td", formatMs(delay));
          cell.dataset.transport = t;
          cell.dataset.label = CHAT_LABELS[t];
          if (best !== undefined && delay === best) {
            cell.classList.add("winner");
            cell.append(" ", el("span", "fastest", "badge"));
          }
          row.append(cell);
        }
        return row;
      });
    body.replaceChildren(...rows);
  };

  const arrived = (transport: ChatTransport, message: ChatMessage, subscribedAt: number): void => {
    const delay = arrivalDelay(message);
    recordDelay(transport, message, subscribedAt, delay);
    let lap = laps.get(message.id);
    if (lap === undefined) {
      lap = { message, delays: {} };
      laps.set(message.id, lap);
      // Map order is insertion order: drop the oldest lap beyond the window.
      if (laps.size > KEEP) laps.delete(laps.keys().next().value ?? message.id);
    }
    lap.delays[transport] ??= delay;
    render();
  };

  const start = async (): Promise<void> => {
    started = true;
    toggle.textContent = "Stop race";
    // Start from the newest id: a race over old history would only measure replay.
    const after = await fetchStats().then(
      (stats) => stats.feed.lastId,
      () => undefined,
    );
    if (!started) return;
    const subscribedAt = Date.now();
    const sockjs = sockjsChoice.current;
    for (const [transport, name] of nameOf) name.textContent = labelOf(transport, sockjs);
    // Over HTTP/2 STOMP over SockJS cannot connect (http-version.ts): its badge says why, and it sits out.
    const racing = CHAT_TRANSPORTS.filter((transport) => transport !== "stomp-sockjs" || sockjsReachable());
    clients = racing.map((transport) => {
      const client = createTransport(transport, {
        clientId: CLIENT_ID,
        onMessage: (message) => arrived(transport, message, subscribedAt),
        onState: (state) => {
          const badge = stateOf.get(transport);
          if (badge !== undefined) {
            badge.textContent = state;
            badge.dataset.state = state;
          }
          if (state === "open") void versions.refreshFromServer();
        },
        sockjsTransport: sockjs,
      });
      client.connect(after);
      return client;
    });
  };

  const stop = (): void => {
    started = false;
    toggle.textContent = "Start race";
    for (const client of clients) client.close();
    clients = [];
  };

  toggle.addEventListener("click", () => {
    pausedWhileRunning = false;
    if (started) stop();
    else void start();
  });
  sendButton.addEventListener("click", () => {
    const nonce = newNonce();
    markSent(nonce);
    publishHttp({ from: "race", text: `lap ${new Date().toLocaleTimeString()}`, nonce }).catch(() => undefined);
  });

  return {
    pause: () => {
      if (!started) return;
      pausedWhileRunning = true;
      stop();
    },
    resume: () => {
      if (!pausedWhileRunning) return;
      pausedWhileRunning = false;
      void start();
    },
    // The race starts the first time the view is opened and runs until stopped.
    show: () => {
      if (!started && clients.length === 0 && toggle.dataset.auto !== "done") {
        toggle.dataset.auto = "done";
        void start();
      }
      chart.resize();
    },
  };
}
