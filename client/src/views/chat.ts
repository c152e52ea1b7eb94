import { CursorTracker } from "../../../protocol/cursor.js";
import type { ChatMessage } from "../../../protocol/types.js";
import { CLIENT_ID, newNonce, publishHttp } from "../api.js";
import { el, formatClock } from "../format.js";
import type { NegotiatedVersions } from "../http-version.js";
import { arrivalDelay, markSent, recordDelay } from "../latency.js";
import {
  createTransport,
  PollTransport,
  StompSockjsTransport,
  StompWsTransport,
  WsTransport,
  type TransportClient,
  type TransportState,
} from "../transports/index.js";
import { type ChatTransport, isChatTransport, isSockjsChoice, labelOf, sockjsChoice } from "../transports/kinds.js";
import { renderChatShell } from "./chat-shell.js";
import { setUpCostStrip } from "./cost-strip.js";

/** Rows kept in the list: enough to read back, bounded so a tab open for hours stays small. */
const MAX_ROWS = 1_000;

const count = (n: number): string => n.toLocaleString("en-US");

/**
 * Why the polling interval field's value is refused, or undefined when it is valid. The field's own
 * min, max and step are the rules, checked by the browser's constraint validation, so what the field
 * marks invalid and what the chat refuses are one and the same.
 */
function intervalRefusal(input: HTMLInputElement): string | undefined {
  const v = input.validity;
  if (v.valid) return undefined;
  if (v.badInput || v.valueMissing) return "it is not a number";
  if (v.rangeUnderflow) return `it is below the minimum of ${count(Number(input.min))} ms`;
  if (v.rangeOverflow) return `it is above the maximum of ${count(Number(input.max))} ms`;
  if (v.stepMismatch) return `it is not a multiple of ${count(Number(input.step))} ms`;
  return "it is not a valid interval";
}

export interface ChatView {
  /** The transport the chat uses now (the wire view follows it). */
  readonly transport: ChatTransport;
  onTransportChange(listener: (transport: ChatTransport) => void): void;
  /** Close the chat's subscription for a while (the six-connections experiment wants the connections to itself). */
  pause(): void;
  /** Resume after the last id shown, if the chat was connected when paused. */
  resume(): void;
}

/**
 * The chat: one transport at a time, switchable live. The view owns the cursor (a CursorTracker):
 * every switch or reconnect resumes after the last id shown, and any duplicate or gap the
 * transports let through is counted on screen instead of hidden.
 */
export function setUpChat(element: HTMLElement, versions: NegotiatedVersions, ready: Promise<void> = Promise.resolve()): ChatView {
  const ui = renderChatShell(element, versions);
  const tracker = new CursorTracker();
  const listeners: ((transport: ChatTransport) => void)[] = [];
  let kind: ChatTransport = "ws";
  let active: TransportClient | undefined;
  let connected = false;
  let paused = false;
  let delivered = 0;
  let switches = 0;
  /** The interval in effect: the field's value only once the field accepts it. */
  let intervalMs = Number(ui.interval.value);
  const costStrip = setUpCostStrip(ui.costStrip, kind);

  const showCounters = (): void => {
    ui.duplicates.textContent = String(tracker.duplicates);
    ui.gaps.textContent = String(tracker.gaps);
    ui.delivered.textContent = String(delivered);
    ui.switches.textContent = String(switches);
    ui.counters.dataset.clean = String(tracker.duplicates === 0 && tracker.gaps === 0);
  };

  const showVersion = (): void => {
    const negotiated = versions.of(kind);
    const compression = versions.compressionOf(kind);
    const over = negotiated.source === "none" ? "" : `over ${negotiated.label}`;
    ui.activeVersion.textContent = [over, compression.label].filter((part) => part !== "").join(", ");
    ui.activeVersion.title = [negotiated.detail, compression.detail].filter((part) => part !== "").join("; ");
    ui.activeVersion.dataset.compression = compression.label;
  };
  versions.onChange(showVersion);

  const showState = (state: TransportState): void => {
    ui.state.textContent = `${labelOf(kind)}: ${paused ? "paused by the six-connections experiment" : state}`;
    ui.state.dataset.state = state;
    ui.connectButton.textContent = connected ? "Disconnect" : "Connect";
    // The server has counted the request by the time it answers: ask it which version that was.
    if (state === "open") void versions.refreshFromServer();
    showVersion();
  };

  const append = (message: ChatMessage, via: ChatTransport, subscribedAt: number): void => {
    if (!tracker.accept(message)) {
      showCounters();
      return;
    }
    delivered++;
    const delay = arrivalDelay(message);
    recordDelay(via, message, subscribedAt, delay);
    // Only a message published while subscribed measures the transport; a replay measures its age.
    costStrip.arrived(message.time >= subscribedAt ? delay : undefined);
    const row = el("li");
    row.dataset.id = String(message.id);
    // Which transport delivered it, in words (not only a colour).
    const mark = el("span", labelOf(via), "via");
    mark.dataset.transport = via;
    row.append(el("span", message.from, "from"), ": ", el("span", message.text, "text"), " ", el("time", `(${formatClock(message.time)})`), " ", mark);
    row.querySelector("time")?.setAttribute("datetime", new Date(message.time).toISOString());
    const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    ui.log.append(row);
    while (ui.log.childElementCount > MAX_ROWS) ui.log.firstElementChild?.remove();
    if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
    showCounters();
  };

  const note = (text: string, className = "note"): void => {
    const row = el("li", text, className);
    ui.log.append(row);
  };

  /** A divider in the log at each switch: where the new transport took over, and from which id. */
  const markSwitch = (next: ChatTransport): void => {
    const at = new Date().toLocaleTimeString("en-GB", { hour12: false });
    const from = tracker.last === undefined ? "from the recent history" : `after #${tracker.last}`;
    const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    note(`Switched to ${labelOf(next)} at ${at}, resumed ${from}`, "switch-mark");
    if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
  };

  const start = (): void => {
    const via = kind;
    const subscribedAt = Date.now();
    active = createTransport(via, {
      clientId: CLIENT_ID,
      onMessage: (message) => append(message, via, subscribedAt),
      onReset: (signal) => {
        tracker.reset(signal);
        note(`The server could not resume from ${signal.requested} (${signal.reason}); continuing after ${signal.cursor}.`);
        showCounters();
      },
      onState: showState,
      sockjsTransport: sockjsChoice.current,
    });
    if (active instanceof PollTransport) active.intervalMs = intervalMs;
    active.connect(tracker.last);
  };

  /** Close the old transport before the new one starts, both from the one cursor. */
  const switchTo = (next: ChatTransport, force = false): void => {
    if (next === kind && !force) return;
    active?.close();
    active = undefined;
    kind = next;
    switches++;
    markSwitch(next);
    costStrip.switchTo(next);
    showCounters();
    if (connected && !paused) start();
    else showState("closed");
    for (const listener of listeners) listener(kind);
  };

  ui.switcher.addEventListener("change", (event) => {
    const input = event.target as HTMLInputElement;
    if (isChatTransport(input.value)) switchTo(input.value);
  });

  // Another SockJS sub-transport is a switch too when STOMP over SockJS is the one in use.
  ui.sockjs.value = sockjsChoice.current;
  ui.sockjs.addEventListener("change", () => {
    if (!isSockjsChoice(ui.sockjs.value)) return;
    sockjsChoice.set(ui.sockjs.value);
    if (kind === "stomp-sockjs") switchTo(kind, true);
  });

  ui.interval.addEventListener("change", () => {
    const refusal = intervalRefusal(ui.interval);
    ui.interval.setAttribute("aria-invalid", String(refusal !== undefined));
    ui.intervalNote.dataset.refused = String(refusal !== undefined);
    if (refusal !== undefined) {
      const typed = ui.interval.value === "" ? "That value" : `${ui.interval.value} ms`;
      ui.intervalNote.textContent = `${typed} refused: ${refusal} (allowed: ${count(Number(ui.interval.min))} to ${count(Number(ui.interval.max))} ms, in steps of ${count(Number(ui.interval.step))}). Keeping ${count(intervalMs)} ms.`;
      return;
    }
    intervalMs = Number(ui.interval.value);
    ui.intervalNote.textContent = `Interval set to ${count(intervalMs)} ms.`;
    if (active instanceof PollTransport) active.intervalMs = intervalMs;
  });

  ui.connectButton.addEventListener("click", () => {
    connected = !connected;
    if (paused) showState("closed");
    else if (connected) start();
    else {
      active?.close();
      active = undefined;
      showState("closed");
    }
  });

  ui.sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.text.value;
    const from = ui.nickname.value.trim() || "anonymous";
    if (text.trim() === "") return;
    const nonce = newNonce();
    markSent(nonce);
    const request = { from, text, nonce };
    // Up the same connection when the active transport has one (a WebSocket frame, a STOMP SEND):
    // that is one of their selling points.
    const upstream = active instanceof WsTransport || active instanceof StompWsTransport || active instanceof StompSockjsTransport ? active : undefined;
    const sending: Promise<unknown> = upstream !== undefined && upstream.state === "open" ? upstream.publish(request) : publishHttp(request);
    ui.text.value = "";
    sending.then(
      () => (ui.status.textContent = ""),
      (error: unknown) => {
        ui.status.textContent = `Not sent: ${error instanceof Error ? error.message : String(error)}`;
        ui.text.value ||= text;
      },
    );
  });

  connected = true;
  // Once the server watches this tab (the network timeline's event feed), so that the first
  // connection is on the timeline too; a switch made before then starts the transport itself.
  void ready.then(() => {
    if (connected && !paused && active === undefined) start();
  });
  showCounters();
  return {
    get transport() {
      return kind;
    },
    onTransportChange: (listener) => listeners.push(listener),
    pause: () => {
      if (paused) return;
      paused = true;
      active?.close();
      active = undefined;
      showState("closed");
    },
    resume: () => {
      if (!paused) return;
      paused = false;
      if (connected) start();
      else showState("closed");
    },
  };
}
