import type { FrameKind } from "../../../protocol/client-events.js";
import { STOMP_LABELS, TRANSPORT_LABELS, type Metered } from "../../../protocol/types.js";
import type { ClientEventFeed } from "../client-events.js";
import { el, formatBytes } from "../format.js";
import { describeKinds, laneTicks, TimelineModel, type TimelineRow } from "../timeline-model.js";
import type { ChatView } from "./chat.js";

/** Rows drawn at most (the newest); the model keeps more. */
const RENDER_ROWS = 120;
/** The lanes' time window: the last minute, or since the first row drawn if that is shorter. */
const WINDOW_MS = 60_000;
/** Marks per lane and direction at most: ticks closer than this fraction of the lane merge. */
const BUCKETS = 150;
/** Re-drawn at most this often while events arrive, and this often anyway (open rows grow). */
const FRAME_MS = 250;
const IDLE_MS = 1_000;

const LABELS: Record<Metered, string> = { ...TRANSPORT_LABELS, publish: "Publish", ...STOMP_LABELS };
const COLUMNS = ["Request", "Start", "Wait", "Duration", "Status", "Up", "Down", "Frames"] as const;
const LEGEND: [FrameKind | "in", string][] = [
  ["message", "message"],
  ["heartbeat", "heartbeat"],
  ["ping", "ping / pong"],
  ["ack", "ack, receipt"],
  ["reset", "reset, error, close"],
  ["in", "from the browser (below the line)"],
];

const clock = (ms: number): string => {
  const date = new Date(ms);
  return `${date.toLocaleTimeString("en-GB", { hour12: false })}.${String(date.getMilliseconds()).padStart(3, "0")}`;
};

function duration(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** The path with this tab's own client id left out: it is the same on every row. */
function shortUrl(url: string): string {
  return url.replace(/([?&])client=[^&]*&?/, "$1").replace(/[?&]$/, "");
}

function statusText(row: TimelineRow): string {
  if (row.status === undefined) return row.end === undefined ? "pending" : "(none)";
  if (row.status === 0) return "cancelled";
  return String(row.status);
}

/**
 * The network timeline: each request or held connection this tab made, as the server saw it (the
 * event feed of client-events.ts), like a browser's network panel but with the server's metered
 * bytes: when it started, how long it waited for its answer, how long it lasted, its status and
 * bytes, and for a held connection a tick per write or frame on a shared time axis.
 */
export function setUpTimeline(element: HTMLElement, feed: ClientEventFeed, chat: ChatView): { show(): void; hide(): void } {
  element.classList.add("timeline");
  const heading = el("h2", "Network timeline");
  const intro = el(
    "p",
    "Every request and connection of this tab, as the server saw it: one row per HTTP request (a poll, a long poll, a publish) or per held connection (a stream, SSE, a WebSocket, STOMP). Bytes are the server's socket counts (headers, chunk and frame overhead included). On a held connection each tick is one write or frame, its size in its tooltip and in the row's summary; ticks that fall close together on the lane are merged.",
  );

  const scope = el("fieldset", undefined, "switcher timeline-scope");
  scope.setAttribute("role", "radiogroup");
  scope.setAttribute("aria-label", "Show");
  scope.append(el("legend", "Show"));
  const scopeChoice = (value: string, text: string, checked: boolean): HTMLInputElement => {
    const input = el("input");
    input.type = "radio";
    input.name = "timeline-scope";
    input.value = value;
    input.checked = checked;
    const label = el("label", undefined, "choice");
    label.append(input, el("span", text));
    scope.append(label);
    return input;
  };
  scopeChoice("chat", "The chat's transport (and its publishes)", true);
  const everything = scopeChoice("all", "Everything this tab does (the race too)", false);

  const pause = el("button", "Pause");
  pause.type = "button";
  pause.setAttribute("aria-pressed", "false");
  const clear = el("button", "Clear");
  clear.type = "button";
  const status = el("p", "", "timeline-status");
  status.setAttribute("role", "status");
  const controls = el("div", undefined, "row");
  controls.append(pause, clear, status);

  const legend = el("ul", undefined, "timeline-legend");
  legend.setAttribute("aria-label", "Tick colours");
  for (const [kind, text] of LEGEND) {
    const item = el("li", text);
    item.dataset.kind = kind;
    legend.append(item);
  }

  const table = el("table", undefined, "stack timeline-table");
  table.setAttribute("aria-label", "Network timeline: requests and connections");
  const head = el("thead");
  const headRow = el("tr");
  for (const column of COLUMNS) {
    const th = el("th", column);
    th.scope = "col";
    headRow.append(th);
  }
  head.append(headRow);
  const body = el("tbody");
  table.append(head, body);
  const wrap = el("div", undefined, "table-wrap timeline-wrap");
  wrap.tabIndex = 0;
  wrap.setAttribute("role", "region");
  wrap.setAttribute("aria-label", "Network timeline");
  wrap.append(table);
  const axis = el("p", "", "timeline-axis muted");
  element.append(heading, intro, scope, controls, legend, axis, wrap);

  const model = new TimelineModel();
  let shown = false;
  let paused = false;
  let drawnVersion = -1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastDraw = 0;

  const showStatus = (): void => {
    const open = [...model.rows.values()].filter((row) => row.end === undefined).length;
    const feedState = feed.state === "open" ? "the server is reporting this tab's traffic" : `the event feed is ${feed.state}`;
    status.textContent = `${paused ? "Paused; " : "Live: "}${feedState}; ${model.rows.size} requests kept, ${open} open${feed.dropped > 0 ? `, ${feed.dropped} events dropped by the server` : ""}.`;
  };

  const visibleRows = (): TimelineRow[] => {
    const all = everything.checked;
    const transport = chat.transport;
    const rows = [...model.rows.values()].filter((row) => all || row.transport === transport || row.transport === "publish");
    return rows.slice(-RENDER_ROWS);
  };

  const cell = (row: HTMLTableRowElement, label: string, text: string, name: string): HTMLTableCellElement => {
    const td = el("td", text);
    td.dataset.label = label;
    td.dataset.col = name;
    row.append(td);
    return td;
  };

  /**
   * Lanes are placed by CSS from times (ms after `origin`): the table holds the window (`--from`,
   * `--span`), each bar and tick its own time (`--a`, `--b`), so sliding the window is two
   * properties on the table, and a row that did not change is never drawn again.
   */
  let origin: number | undefined;
  const at = (t: number): string => String(t - (origin ?? t));
  const lane = (row: TimelineRow, to: number): HTMLElement => {
    const box = el("div", undefined, "lane");
    box.setAttribute("aria-hidden", "true");
    const end = row.end ?? to;
    if (row.responded !== undefined) {
      const wait = el("span", undefined, "lane-wait");
      wait.style.setProperty("--a", at(row.start));
      wait.style.setProperty("--b", at(row.responded));
      box.append(wait);
    }
    const bar = el("span", undefined, "lane-bar");
    bar.style.setProperty("--a", at(row.responded ?? row.start));
    bar.style.setProperty("--b", at(end));
    box.append(bar);
    for (const mark of laneTicks(row.ticks, row.start, end, BUCKETS)) {
      const tick = el("span", undefined, "tick");
      tick.dataset.kind = mark.kind;
      tick.dataset.dir = mark.dir;
      tick.style.setProperty("--a", at(mark.t));
      tick.title = mark.title;
      box.append(tick);
    }
    return box;
  };

  const summaryOf = (row: TimelineRow): string => {
    if (row.frames === 0) return row.end === undefined ? "none yet" : "one answer";
    const last = row.ticks.at(-1);
    const tail = last === undefined ? "" : `; last ${last.kinds.join("+")} ${last.bytes} B`;
    return `${row.frames} ${row.frames === 1 ? "write" : "writes"}: ${describeKinds(row.kindCounts)}${tail}`;
  };

  const build = (row: TimelineRow, to: number): HTMLTableRowElement => {
    const tr = el("tr");
    tr.dataset.transport = row.transport;
    tr.dataset.state = row.end === undefined ? "open" : "ended";
    tr.dataset.frames = String(row.frames);
    tr.dataset.messages = String(row.messages);
    const name = el("th");
    name.scope = "row";
    name.dataset.label = "Request";
    const label = el("span", LABELS[row.transport], "tl-transport");
    const request = el("span", `${row.method} ${shortUrl(row.url)}${row.upgrade ? " (upgrade)" : ""}`, "tl-url");
    request.title = row.url;
    name.append(label, " ", request);
    if (row.httpVersion === "2") name.append(" ", el("span", "HTTP/2", "tl-new"));
    else if (row.tls) name.append(" ", el("span", "TLS", "tl-new"));
    if (row.newConnection) name.append(" ", el("span", "new TCP", "tl-new"));
    tr.append(name);
    cell(tr, "Start", clock(row.start), "start");
    cell(tr, "Wait", row.responded === undefined ? "…" : duration(row.responded - row.start), "wait");
    cell(tr, "Duration", `${duration((row.end ?? to) - row.start)}${row.end === undefined ? " (open)" : ""}`, "duration");
    cell(tr, "Status", statusText(row), "status");
    cell(tr, "Up", formatBytes(row.bytesIn), "up");
    cell(tr, "Down", formatBytes(row.bytesOut), "down");
    const frames = cell(tr, "Frames", "", "frames");
    frames.classList.add("tl-frames");
    frames.append(lane(row, to), el("span", summaryOf(row), "tl-summary"));
    return tr;
  };

  /** The rows on screen, by key, with the version they were drawn at. */
  const onScreen = new Map<string, { tr: HTMLTableRowElement; version: number; open: boolean }>();
  let drawnScope = "";

  const draw = (): void => {
    timer = undefined;
    lastDraw = Date.now();
    showStatus();
    if (!shown || paused) return;
    const rows = visibleRows();
    const to = Date.now() - (feed.clockOffset ?? 0);
    origin ??= rows[0]?.start;
    const first = rows[0]?.start ?? to;
    const from = Math.max(to - WINDOW_MS, first);
    table.style.setProperty("--from", at(from));
    // A little room after now, so that what just started is not cut off at the lane's end.
    table.style.setProperty("--span", String(Math.max(1, to - from) * 1.03 + 20));
    axis.textContent =
      rows.length === 0
        ? "No requests yet: chat, switch transports or send a message."
        : `Lanes run from ${clock(from)} to now (${duration(to - from)}); the light part of a bar is the wait for the answer.`;
    // Another scope is another list: drawn again from scratch. Otherwise rows only come at the end
    // and leave from the start, and only rows that changed or are still open are drawn again.
    const scopeNow = `${everything.checked}:${chat.transport}`;
    if (scopeNow !== drawnScope) {
      drawnScope = scopeNow;
      onScreen.clear();
      body.replaceChildren();
    }
    // Followed like a log: kept at the newest rows unless the reader scrolled up.
    const atBottom = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 40;
    const keep = new Set(rows.map((row) => row.key));
    for (const [key, drawn] of onScreen) {
      if (keep.has(key)) continue;
      drawn.tr.remove();
      onScreen.delete(key);
    }
    for (const row of rows) {
      const drawn = onScreen.get(row.key);
      if (drawn !== undefined && drawn.version === row.version && !drawn.open) continue;
      const tr = build(row, to);
      if (drawn === undefined) body.append(tr);
      else drawn.tr.replaceWith(tr);
      onScreen.set(row.key, { tr, version: row.version, open: row.end === undefined });
    }
    if (atBottom) wrap.scrollTop = wrap.scrollHeight;
    drawnVersion = model.version;
  };

  const schedule = (): void => {
    if (timer !== undefined || !shown) return;
    timer = setTimeout(draw, Math.max(0, FRAME_MS - (Date.now() - lastDraw)));
  };

  feed.onEvents((events, epoch) => {
    model.apply(events, epoch);
    schedule();
  });
  feed.onState(() => showStatus());
  chat.onTransportChange(() => schedule());
  scope.addEventListener("change", () => schedule());
  pause.addEventListener("click", () => {
    paused = !paused;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(paused));
    if (!paused) drawnVersion = -1;
    draw();
  });
  clear.addEventListener("click", () => {
    model.clear();
    origin = undefined;
    draw();
  });
  // Open rows grow and the axis slides even when nothing arrives.
  setInterval(() => {
    if (shown && !paused && (drawnVersion !== model.version || [...model.rows.values()].some((row) => row.end === undefined))) schedule();
  }, IDLE_MS);

  return {
    show: () => {
      shown = true;
      draw();
    },
    hide: () => {
      shown = false;
    },
  };
}
