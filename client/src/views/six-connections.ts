import type { ConnectionCounts, PublishRequest, StatsResponse } from "../../../protocol/types.js";
import { CLIENT_ID, newNonce } from "../api.js";
import { el } from "../format.js";
import { pageProtocol, protocolLabel } from "../http-version.js";
import { Probe, type ProbeKind, type ProbeStatus } from "./six-probe.js";

export const MIN_SUBSCRIPTIONS = 1;
export const MAX_SUBSCRIPTIONS = 16;
const STATS_EVERY_MS = 1_000;
const TICK_MS = 250;

/** What the others must give up while the experiment runs: their held connections. */
export interface Pausable {
  pause(): void;
  resume(): void;
}

const KIND_LABELS: Record<ProbeKind, string> = { sse: "SSE", stream: "NDJSON stream" };

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The experiment's state, as the explanation needs it. */
export interface SixOutcome {
  version: string;
  kind: ProbeKind;
  probes: readonly ProbeStatus[];
  published: boolean;
  now: number;
  /** The server's latest count, undefined until the first answer. */
  connections: ConnectionCounts | undefined;
}

/** One sentence that says what happened and why, from what was measured. */
export function explainSix(outcome: SixOutcome): string {
  const n = outcome.probes.length;
  const open = outcome.probes.filter((p) => p.openedAt !== undefined).length;
  const failed = outcome.probes.filter((p) => p.failed !== undefined && p.openedAt === undefined).length;
  const waiting = outcome.probes.filter((p) => p.openedAt === undefined && p.failed === undefined);
  const received = outcome.probes.filter((p) => p.receivedAt !== undefined).length;
  const kind = KIND_LABELS[outcome.kind];
  if (n === 0) return "Open the subscriptions, then publish one message.";
  const got = outcome.published ? `${received} of ${n} received the message` : "no message published yet";
  if (waiting.length > 0) {
    const longest = Math.max(...waiting.map((p) => outcome.now - p.startedAt));
    return `${open} of ${n} ${kind} subscriptions are open (${got}) and ${plural(waiting.length, "waits", "wait")} for a connection, the longest for ${seconds(longest)}: over ${outcome.version} a browser opens at most six connections to one host, and each open subscription holds one of them for as long as it is open.`;
  }
  const failure = failed > 0 ? ` (${failed} failed)` : "";
  if (outcome.version === "HTTP/2") {
    const h2 = outcome.connections?.h2;
    const seen =
      h2 === undefined
        ? ""
        : ` (the server counts ${plural(h2.open, "HTTP/2 connection")} carrying ${plural(h2.streams, "open stream")}, this view's stats request among them)`;
    return `All ${n} ${kind} subscriptions are open${failure} and ${got}: over HTTP/2 each one is a stream of one shared connection${seen}, so the browser's six-connection limit never applies.`;
  }
  return `All ${n} ${kind} subscriptions are open${failure} and ${got}: ${n} is within the six connections a browser opens to one host over ${outcome.version}; ask for more than six to see the limit.`;
}

/**
 * The six-connections experiment: N SSE or NDJSON subscriptions at once from this tab, then one
 * message. Over HTTP/1.1 the browser holds the seventh and later requests until a connection frees
 * up; over HTTP/2 all N are streams of one connection. Each subscription shows whether it is open or
 * how long it has waited and whether the message came; the server's own connection counts are polled.
 *
 * Two things would otherwise skew it, and are handled so that the connections are the experiment's:
 * the chat's and the race's subscriptions are paused while it runs; and this view's own requests
 * (stats, publish) are sent without credentials on HTTP/1.1, which Chromium keeps in a connection
 * pool of their own, so they neither queue behind the subscriptions nor take one of their six.
 */
export function setUpSixConnections(element: HTMLElement, others: readonly Pausable[]): { show(): void; hide(): void } {
  element.classList.add("six");
  const heading = el("h2", "Six connections");
  const intro = el(
    "p",
    "Open several long-lived subscriptions from this tab at once, then publish one message. Over HTTP/1.1 a browser opens at most six connections to one host, and a held SSE or NDJSON response keeps its connection busy, so the seventh subscription waits; over HTTP/2 all of them share one connection.",
  );
  const version = protocolLabel(pageProtocol()) ?? "an unknown HTTP version";
  const page = el("p", undefined, "six-page");
  page.append("This page came over ", el("strong", version), ` (${location.protocol === "https:" ? "TLS port" : "plain port"}).`);
  if (location.protocol !== "https:") page.append(" Open the dashboard on the TLS port (https, 3443 by default) to run it over HTTP/2.");
  else page.append(" Open the dashboard on the plain port (http, 3000 by default) to run it over HTTP/1.1.");

  const kindSelect = el("select");
  kindSelect.name = "six-kind";
  for (const kind of ["sse", "stream"] as const) {
    const option = el("option", KIND_LABELS[kind]);
    option.value = kind;
    kindSelect.append(option);
  }
  const count = el("input");
  count.type = "number";
  count.name = "six-count";
  count.min = String(MIN_SUBSCRIPTIONS);
  count.max = String(MAX_SUBSCRIPTIONS);
  count.step = "1";
  count.value = "8";
  count.required = true;
  const field = (text: string, input: HTMLElement): HTMLLabelElement => {
    const label = el("label", undefined, "field");
    label.append(el("span", text), input);
    return label;
  };
  const startButton = el("button", "Open subscriptions");
  startButton.type = "button";
  const publishButton = el("button", "Publish one message");
  publishButton.type = "button";
  const stopButton = el("button", "Stop");
  stopButton.type = "button";
  const controls = el("div", undefined, "row");
  controls.append(
    field("Subscribe with", kindSelect),
    field(`Subscriptions (${MIN_SUBSCRIPTIONS} to ${MAX_SUBSCRIPTIONS})`, count),
    startButton,
    publishButton,
    stopButton,
  );
  const note = el("p", "", "status six-note");
  note.setAttribute("role", "status");

  const server = el("p", "", "six-server");
  server.setAttribute("aria-label", "Connections the server sees");
  server.setAttribute("role", "status");
  const list = el("ol", undefined, "six-list");
  list.setAttribute("aria-label", "Subscriptions");
  const result = el("p", "", "six-result");
  result.id = "six-result";
  result.setAttribute("aria-live", "polite");

  const howLink = el("a", "How it is counted");
  howLink.href = "#six-how";
  const accounting = el(
    "p",
    "While it runs, the chat's and the race's subscriptions are paused, so the connections are the experiment's alone. The server's connection counts are every client's, and include the connection (HTTP/1.1) or stream (HTTP/2) of this view's own stats request; on HTTP/1.1 that request and the publish go without credentials, which Chromium keeps on a connection of their own, so they neither wait behind the subscriptions nor take one of the six. ",
    "chart-note muted",
  );
  accounting.append(howLink, ".");
  const how = el("details", undefined, "six-how");
  how.id = "six-how";
  how.append(
    el("summary", "How it is counted"),
    el(
      "p",
      "Open and waiting are this tab's own observations: a subscription is open once its response started (EventSource's open event, or fetch resolving for NDJSON) and waiting until then, timed from the moment it was asked for. Received means the published message (recognised by its nonce) arrived on it. The connection counts are the server's: /api/stats reports the TCP connections it holds now by the HTTP version they carry (connections.http1.open, connections.h2.open and the streams open on them) and this experiment's held responses (its own ?client= id), polled every second. The README explains it under Dashboard, Six connections.",
    ),
  );
  howLink.addEventListener("click", (event) => {
    event.preventDefault();
    how.open = true;
    how.querySelector("summary")?.focus();
  });

  element.append(heading, intro, page, controls, note, server, list, result, accounting, how);

  const experimentClient = `${CLIENT_ID}-six`;
  // Credentials decide Chromium's connection pool: anonymous requests on HTTP/1.1 get their own sockets.
  const credentials: RequestCredentials = version === "HTTP/1.1" ? "omit" : "same-origin";
  let probes: Probe[] = [];
  let kind: ProbeKind = "sse";
  let published = false;
  let running = false;
  /** When Stop was pressed: the waiting times shown freeze there. */
  let stoppedAt: number | undefined;
  let connections: ConnectionCounts | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let statsTimer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  const loadStats = async (): Promise<StatsResponse> => {
    const response = await fetch(`/api/stats?client=${experimentClient}`, { cache: "no-store", credentials });
    if (!response.ok) throw new Error(`stats answered ${response.status}`);
    return (await response.json()) as StatsResponse;
  };

  const showServer = (stats: StatsResponse): void => {
    const { http1, h2 } = stats.connections;
    connections = stats.connections;
    const held = stats.client?.transports[kind].open ?? 0;
    const parts = [
      `${KIND_LABELS[kind]} responses the server holds for this experiment: ${held}`,
      `HTTP/1.1 connections open: ${http1.open} (over TLS: ${http1.tls})`,
      `HTTP/2 connections open: ${h2.open}, streams open on them: ${h2.streams}`,
    ];
    server.replaceChildren(el("strong", "Server sees: "), parts.join(" · "));
    server.dataset.held = String(held);
    server.dataset.http1Open = String(http1.open);
    server.dataset.h2Open = String(h2.open);
    server.dataset.h2Streams = String(h2.streams);
    render();
  };

  const render = (): void => {
    const now = stoppedAt ?? performance.now();
    const rows = probes.map(({ status }) => {
      const row = el("li");
      row.dataset.index = String(status.index);
      const state = status.openedAt !== undefined ? "open" : status.failed !== undefined ? "failed" : "waiting";
      row.dataset.state = state;
      row.dataset.received = String(status.receivedAt !== undefined);
      const badge = el("span", state, "state");
      badge.dataset.state = state === "waiting" ? "connecting" : state === "open" ? "open" : "closed";
      const when =
        status.openedAt !== undefined
          ? `opened after ${Math.round(status.openedAt - status.startedAt)} ms`
          : status.failed !== undefined
            ? status.failed
            : running
              ? `waiting for ${seconds(now - status.startedAt)}`
              : `never opened (waited ${seconds(now - status.startedAt)}, then stopped)`;
      const got = status.receivedAt !== undefined ? "received the message" : published ? "not received" : "";
      row.append(el("span", `#${status.index}`, "six-index"), badge, el("span", when, "six-when"));
      if (got !== "") row.append(el("span", got, status.receivedAt !== undefined ? "six-got" : "six-missed"));
      return row;
    });
    list.replaceChildren(...rows);
    result.textContent = running || probes.length > 0 ? explainSix({ version, kind, probes: probes.map((p) => p.status), published, now, connections }) : "";
    startButton.disabled = running;
    publishButton.disabled = !running || published;
    stopButton.disabled = !running;
    kindSelect.disabled = running;
    count.disabled = running;
  };

  const pollStats = (gen: number): void => {
    loadStats().then(
      (stats) => {
        if (gen === generation) showServer(stats);
      },
      (error: unknown) => {
        if (gen === generation) server.textContent = `Stats unavailable: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
    statsTimer = setTimeout(() => pollStats(gen), STATS_EVERY_MS);
  };

  const start = async (): Promise<void> => {
    if (running) return;
    if (!count.checkValidity()) {
      note.textContent = `Choose ${MIN_SUBSCRIPTIONS} to ${MAX_SUBSCRIPTIONS} subscriptions, in whole numbers.`;
      return;
    }
    note.textContent = "";
    running = true;
    published = false;
    stoppedAt = undefined;
    kind = kindSelect.value === "stream" ? "stream" : "sse";
    const gen = ++generation;
    for (const other of others) other.pause();
    render();
    // Subscribe after the newest id: only the message published here (or anyone's, later) can arrive.
    const after = await loadStats().then(
      (stats) => stats.feed.lastId,
      () => undefined,
    );
    if (gen !== generation) return;
    const n = Number(count.value);
    probes = Array.from({ length: n }, (_, i) => Probe.open(i + 1, kind, after, experimentClient, render));
    ticker = setInterval(render, TICK_MS);
    server.textContent = "Asking the server…";
    pollStats(gen);
    render();
  };

  const publish = (): void => {
    if (!running || published) return;
    published = true;
    const nonce = newNonce();
    for (const probe of probes) probe.await(nonce);
    const request: PublishRequest = { from: "six-connections", text: `one message for ${probes.length} subscriptions`, nonce };
    fetch(`/api/messages?client=${experimentClient}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
      credentials,
    }).then(
      (response) => {
        if (!response.ok) note.textContent = `Publish answered ${response.status}.`;
      },
      (error: unknown) => (note.textContent = `Not published: ${error instanceof Error ? error.message : String(error)}`),
    );
    render();
  };

  const stop = (): void => {
    if (!running) return;
    running = false;
    stoppedAt = performance.now();
    generation++;
    clearInterval(ticker);
    clearTimeout(statsTimer);
    ticker = statsTimer = undefined;
    for (const probe of probes) probe.close();
    for (const other of others) other.resume();
    render();
  };

  startButton.addEventListener("click", () => void start());
  publishButton.addEventListener("click", publish);
  stopButton.addEventListener("click", stop);
  render();

  return {
    show: () => undefined,
    // Leaving the view closes every subscription and gives the chat and the race their connections back.
    hide: stop,
  };
}
