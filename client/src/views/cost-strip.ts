import type { CountersByTransport, TransportCounters } from "../../../protocol/types.js";
import { CLIENT_ID, fetchStats } from "../api.js";
import { el, formatBytes, formatMs } from "../format.js";
import { type ChatTransport, labelOf } from "../transports/kinds.js";

/** Refreshes at most this often while messages arrive, and this often anyway (a poll costs with no message). */
const MIN_GAP_MS = 300;
const PERIOD_MS = 1_000;

/** What one transport cost since it became the chat's: the server's counters now minus at the switch. */
export interface CostFigures {
  requests: number;
  connections: number;
  bytesIn: number;
  bytesOut: number;
  delivered: number;
}

const ZERO: CostFigures = { requests: 0, connections: 0, bytesIn: 0, bytesOut: 0, delivered: 0 };

function figuresOf(counters: TransportCounters | undefined): CostFigures {
  if (counters === undefined) return ZERO;
  const { requests, connections, bytesIn, bytesOut, delivered } = counters;
  return { requests, connections, bytesIn, bytesOut, delivered };
}

export function since(now: CostFigures, base: CostFigures): CostFigures {
  return {
    requests: now.requests - base.requests,
    connections: now.connections - base.connections,
    bytesIn: now.bytesIn - base.bytesIn,
    bytesOut: now.bytesOut - base.bytesOut,
    delivered: now.delivered - base.delivered,
  };
}

interface Period {
  kind: ChatTransport;
  label: string;
  from: number;
  base: CostFigures;
  latency: number | undefined;
}

interface Line {
  element: HTMLElement;
  title: HTMLElement;
  values: Record<"requests" | "connections" | "up" | "down" | "perMessage" | "latency", HTMLElement>;
}

const clock = (ms: number): string => new Date(ms).toLocaleTimeString("en-GB", { hour12: false });

function line(className: string, prefix: string): Line {
  const element = el("div", undefined, `cost-line ${className}`);
  const title = el("p", "", "cost-title");
  element.append(title);
  const list = el("dl", undefined, "cost-figures");
  const item = (name: keyof Line["values"], label: string): HTMLElement => {
    const box = el("div");
    const value = el("dd", "–");
    value.dataset[prefix] = name;
    box.append(el("dt", label), value);
    list.append(box);
    return value;
  };
  const values = {
    requests: item("requests", "HTTP requests"),
    connections: item("connections", "TCP connections"),
    up: item("up", "Bytes up"),
    down: item("down", "Bytes down"),
    perMessage: item("perMessage", "Per message"),
    latency: item("latency", "Last message"),
  };
  element.append(list);
  return { element, title, values };
}

function show(target: Line, period: Period, figures: CostFigures, final: boolean): void {
  target.title.textContent = final ? `Before: ${period.label}, ${clock(period.from)} to the switch` : `Now: ${period.label}, since ${clock(period.from)}`;
  const set = (element: HTMLElement, text: string, value: number | undefined): void => {
    element.textContent = text;
    if (value === undefined) delete element.dataset.value;
    else element.dataset.value = String(value);
  };
  set(target.values.requests, figures.requests.toLocaleString("en-US"), figures.requests);
  set(target.values.connections, figures.connections.toLocaleString("en-US"), figures.connections);
  set(target.values.up, formatBytes(figures.bytesIn), figures.bytesIn);
  set(target.values.down, formatBytes(figures.bytesOut), figures.bytesOut);
  const perMessage = figures.delivered === 0 ? undefined : (figures.bytesIn + figures.bytesOut) / figures.delivered;
  set(target.values.perMessage, perMessage === undefined ? "– (no message yet)" : `${formatBytes(Math.round(perMessage))} (${figures.delivered})`, perMessage);
  set(target.values.latency, formatMs(period.latency), period.latency);
}

export interface CostStrip {
  /** The chat switched: figures start again from the server's counts now; the old ones stay beside. */
  switchTo(kind: ChatTransport): void;
  /** A live message arrived after `latencyMs`: refresh soon. */
  arrived(latencyMs: number | undefined): void;
}

/**
 * The chat's live cost strip: what the active transport has cost since the last switch, as the
 * server's socket meter counted it for this tab (`/api/stats?client=`), refreshed as messages arrive
 * and every second; the previous transport's figures stay beside for comparison. The race, when it
 * runs, shares this tab's client id and so these counters.
 */
export function setUpCostStrip(element: HTMLElement, initial: ChatTransport): CostStrip {
  element.classList.add("cost-strip");
  element.setAttribute("role", "region");
  element.setAttribute("aria-label", "Live cost");
  element.dataset.client = CLIENT_ID;
  const current = line("cost-now", "cost");
  const previousLine = line("cost-before", "costBefore");
  previousLine.element.hidden = true;
  const note = el("p", "Counted by the server on this tab's TCP sockets (headers, framing and handshakes included).", "cost-note");
  element.append(current.element, previousLine.element, note);

  /** The tab's counters at the last look; a transport not yet used has none (zero). */
  let latest: CountersByTransport | undefined;
  let period: Period = { kind: initial, label: labelOf(initial), from: Date.now(), base: ZERO, latency: undefined };
  let previous: Period | null = null;
  let fetching = false;
  let again = false;
  let lastFetch = 0;
  let soon: ReturnType<typeof setTimeout> | undefined;

  const render = (): void => {
    const now = figuresOf(latest?.[period.kind]);
    show(current, period, since(now, period.base), false);
    if (previous !== null) {
      previousLine.element.hidden = false;
      show(previousLine, previous, since(figuresOf(latest?.[previous.kind]), previous.base), true);
    }
  };

  const refresh = async (): Promise<void> => {
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    lastFetch = Date.now();
    try {
      latest = (await fetchStats()).client?.transports ?? latest;
      render();
    } catch {
      // The next period tries again; the figures shown stay the last ones measured.
    } finally {
      fetching = false;
      if (again) {
        again = false;
        refreshSoon();
      }
    }
  };

  /** Only while the chat is on screen: another view or a hidden tab adds no requests for it. */
  const onScreen = (): boolean => document.visibilityState === "visible" && element.closest("[hidden]") === null;

  const refreshSoon = (): void => {
    if (soon !== undefined || !onScreen()) return;
    soon = setTimeout(
      () => {
        soon = undefined;
        void refresh();
      },
      Math.max(0, MIN_GAP_MS - (Date.now() - lastFetch)),
    );
  };

  setInterval(() => {
    if (onScreen() && Date.now() - lastFetch >= PERIOD_MS) void refresh();
  }, PERIOD_MS);
  render();
  void refresh();

  return {
    switchTo(kind) {
      previous = period;
      // The new transport was idle since the last look, so its counters then are its counters now.
      period = { kind, label: labelOf(kind), from: Date.now(), base: figuresOf(latest?.[kind]), latency: undefined };
      render();
      void refresh();
    },
    arrived(latencyMs) {
      if (latencyMs !== undefined) period.latency = latencyMs;
      refreshSoon();
    },
  };
}
