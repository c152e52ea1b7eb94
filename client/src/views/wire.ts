import { getJson } from "../api.js";
import { el } from "../format.js";
import { CHAT_LABELS, CHAT_TRANSPORTS, type ChatTransport } from "../transports/kinds.js";
import { WIRE_NOTES } from "./wire-notes.js";

/** How one captured block's bytes split (server/wire-shares.ts): they add up to `total`. */
interface ByteShare {
  total: number;
  headers: number;
  framing: number;
  payload: number;
}

/** The shape of GET /api/wire/:transport (server/dashboard-wire.ts). */
interface WireCapture {
  transport: ChatTransport;
  request: string;
  response: string;
  truncated: boolean;
  websocket?: {
    key: string;
    accept: string | null;
    expectedAccept: string;
    firstFrame: { headerHex: string; fin: boolean; opcode: number; payloadLength: number; payload: string; share: ByteShare } | null;
  };
  /** STOMP: every WebSocket frame each way, CONNECT to the first MESSAGE. */
  stomp?: { steps: StompStep[] };
  shares: { request: ByteShare; head: ByteShare; body?: ByteShare };
  browserRequest: { method: string; url: string; httpVersion: string; rawHeaders: string[] };
}

interface StompStep {
  from: "client" | "server";
  headerHex: string;
  payload: string;
  share: ByteShare;
}

const SHARE_PARTS = ["headers", "framing", "payload"] as const;

/**
 * A block's byte total and its split, as the server counted them on the captured bytes: a line of
 * figures (the exact numbers, for reading and for screen readers) over a bar of the three shares.
 */
function shareLine(share: ByteShare): HTMLElement {
  const box = el("div", undefined, "share");
  box.dataset.total = String(share.total);
  const percent = (n: number): string => (share.total === 0 ? "0" : ((n / share.total) * 100).toFixed(n === share.total || n === 0 ? 0 : 1));
  const text = el("p", undefined, "share-figures");
  text.append(el("strong", `${share.total.toLocaleString("en-US")} bytes`));
  const bar = el("div", undefined, "share-bar");
  bar.setAttribute("aria-hidden", "true");
  for (const part of SHARE_PARTS) {
    const value = share[part];
    box.dataset[part] = String(value);
    const figure = el("span", `${part} ${value.toLocaleString("en-US")} B (${percent(value)} %)`, `share-${part}`);
    figure.dataset.part = part;
    text.append(" · ", figure);
    if (value > 0) {
      const segment = el("span", undefined, `share-${part}`);
      segment.style.flexGrow = String(value);
      bar.append(segment);
    }
  }
  box.append(text, bar);
  return box;
}

/**
 * The bytes as text, with each line end written out (\r\n, \n): the line ends are the framing this
 * view is about, so they are shown rather than hidden as whitespace.
 */
function block(title: string, text: string, lineEnds = true, share?: ByteShare): HTMLElement {
  const figure = el("figure", undefined, "wire-block");
  const pre = el("pre");
  for (const part of text.split(/(\r\n|\n|\r|\0)/)) {
    if (part === "\0") pre.append(el("span", "\\0", "eol"));
    else if (!lineEnds) pre.append(part);
    else if (part === "\r\n" || part === "\n" || part === "\r") pre.append(el("span", JSON.stringify(part).slice(1, -1), "eol"), "\n");
    else if (part !== "") pre.append(part);
  }
  figure.append(el("figcaption", title));
  if (share !== undefined) figure.append(shareLine(share));
  figure.append(pre);
  return figure;
}

function handshakeCheck(ws: NonNullable<WireCapture["websocket"]>): HTMLElement {
  const ok = ws.accept === ws.expectedAccept;
  return block(
    "Handshake check",
    `Sec-WebSocket-Key:    ${ws.key}\nSec-WebSocket-Accept: ${ws.accept ?? "(missing)"}\nbase64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) = ${ws.expectedAccept} ${ok ? "✓ matches" : "✗ differs"}`,
    false,
  );
}

/** The STOMP command a frame carries, inside SockJS's quoting or not; SockJS's own frames by name. */
function stompCommand(payload: string): string {
  if (payload === "o") return "SockJS open frame";
  if (payload === "h") return "SockJS heartbeat";
  const quoted = /^a?\["([A-Z]+)\\n/.exec(payload);
  if (quoted !== null) return `${quoted[1]} (SockJS-quoted)`;
  return /^([A-Z]+)\n/.exec(payload)?.[1] ?? (payload.trim() === "" ? "heart-beat" : "frame");
}

/** One WebSocket frame of a STOMP exchange: who sent it, its header bytes, its payload as sent. */
function stompStep(step: StompStep): HTMLElement {
  const bytes = new TextEncoder().encode(step.payload).length;
  const direction = step.from === "client" ? "Client → server" : "Server → client";
  const masked = step.from === "client" ? "masked, mask key = last 4 header bytes" : "unmasked";
  const figure = block(`${direction}: ${stompCommand(step.payload)}`, step.payload, true, step.share);
  figure.dataset.from = step.from;
  figure.querySelector("figcaption")?.append(el("span", ` WebSocket frame header ${step.headerHex} (text, ${masked}, payload ${bytes} bytes)`, "muted"));
  return figure;
}

/** "Under the hood": real bytes of one subscribe exchange for the chosen transport, explained. */
export function setUpWire(
  element: HTMLElement,
  chat: { transport: ChatTransport; onTransportChange(listener: (t: ChatTransport) => void): void },
): { show(): void } {
  element.classList.add("wire");
  const intro = el(
    "p",
    "The server opens a TCP connection to itself, sends one subscribe request and records every byte each way (the feed's last message is replayed so a real message appears). Line ends are shown as \\r\\n (CR LF) or \\n (LF). The capture is the server’s own traffic, so it is left out of every figure the lab reports.",
  );
  const legend = el("p", undefined, "share-legend");
  legend.append(
    "Above each captured block: its bytes and their split, counted by the server on the captured bytes: ",
    el("span", "headers", "share-key share-headers"),
    " (HTTP request and status lines and header fields, STOMP commands and headers), ",
    el("span", "framing", "share-key share-framing"),
    " (chunk sizes, CRLFs and newlines, SSE fields, a poll's JSON envelope, WebSocket frame headers, SockJS quoting, heartbeats) and ",
    el("span", "payload", "share-key share-payload"),
    " (the message JSON itself).",
  );
  const picker = el("label", undefined, "field");
  const select = el("select");
  select.name = "wire-transport";
  for (const t of CHAT_TRANSPORTS) {
    const option = el("option", CHAT_LABELS[t]);
    option.value = t;
    select.append(option);
  }
  picker.append(el("span", "Transport"), select);
  const capture = el("button", "Capture again");
  capture.type = "button";
  const controls = el("div", undefined, "row");
  controls.append(picker, capture);
  const output = el("div", undefined, "wire-output");
  output.setAttribute("aria-live", "polite");
  element.append(intro, legend, controls, output);

  const render = (data: WireCapture): void => {
    const headEnd = data.response.indexOf("\r\n\r\n");
    const head = headEnd === -1 ? data.response : data.response.slice(0, headEnd + 4);
    const body = headEnd === -1 ? "" : data.response.slice(headEnd + 4);
    const parts: HTMLElement[] = [
      block("Request the server read", data.request, true, data.shares.request),
      block("Response head the server sent", head, true, data.shares.head),
    ];
    if (data.stomp !== undefined && data.websocket !== undefined) {
      parts.push(handshakeCheck(data.websocket));
      for (const step of data.stomp.steps) parts.push(stompStep(step));
    } else if (data.websocket !== undefined) {
      const ws = data.websocket;
      parts.push(handshakeCheck(ws));
      const f = ws.firstFrame;
      if (f !== null) {
        parts.push(
          block(
            "First frame",
            `header bytes: ${f.headerHex}  (FIN=${f.fin ? 1 : 0}, opcode=${f.opcode}${f.opcode === 1 ? " text" : ""}, unmasked, payload length ${f.payloadLength})\npayload: ${f.payload}`,
            false,
            f.share,
          ),
        );
      }
    } else if (body !== "") {
      parts.push(
        block(
          data.transport === "sse"
            ? "Raw SSE event (inside HTTP chunks)"
            : data.transport === "stream"
              ? "Raw NDJSON line (inside HTTP chunks)"
              : "Response body",
          body,
          true,
          data.shares.body,
        ),
      );
    }
    if (data.truncated) parts.push(el("p", "Capture stopped at its time or size limit (no message yet? send one and capture again).", "note"));
    const notes = el("ul", undefined, "wire-notes");
    notes.setAttribute("aria-label", "What each part means");
    const steps = data.stomp?.steps ?? [];
    const all = [data.request, data.response, ...steps.map((step) => `${step.headerHex}\n${step.payload}`)].join("\n");
    for (const note of WIRE_NOTES[data.transport]) if (note.match.test(all)) notes.append(el("li", note.text));
    const raw = data.browserRequest.rawHeaders;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push(`${raw[i]}: ${raw[i + 1]}`);
    const browser = block(
      "Your browser's request for this capture: request line and headers as the server parsed them (rawHeaders, original case and order)",
      `${data.browserRequest.method} ${data.browserRequest.url} HTTP/${data.browserRequest.httpVersion}\n${pairs.join("\n")}`,
      false,
    );
    output.replaceChildren(el("h2", CHAT_LABELS[data.transport]), notes, ...parts, browser);
  };

  const load = async (): Promise<void> => {
    output.setAttribute("aria-busy", "true");
    try {
      render(await getJson<WireCapture>(`/api/wire/${select.value}`));
    } catch (error) {
      output.replaceChildren(el("p", `Capture failed: ${error instanceof Error ? error.message : String(error)}`, "status"));
    } finally {
      output.removeAttribute("aria-busy");
    }
  };

  select.addEventListener("change", () => void load());
  capture.addEventListener("click", () => void load());
  // Follows the chat's transport, the one the user is looking at.
  chat.onTransportChange((t) => (select.value = t));
  select.value = chat.transport;
  return { show: () => void load() };
}
