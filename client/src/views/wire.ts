import { TRANSPORT_LABELS, TRANSPORTS, type Transport } from "../../../protocol/types.js";
import { getJson } from "../api.js";
import { el } from "../format.js";
import type { ChatTransport } from "../transports/kinds.js";
import { WIRE_NOTES } from "./wire-notes.js";

/** The shape of GET /api/wire/:transport (server/dashboard-wire.ts). */
interface WireCapture {
  transport: Transport;
  request: string;
  response: string;
  truncated: boolean;
  websocket?: {
    key: string;
    accept: string | null;
    expectedAccept: string;
    firstFrame: { headerHex: string; fin: boolean; opcode: number; payloadLength: number; payload: string } | null;
  };
  browserRequest: { method: string; url: string; httpVersion: string; rawHeaders: string[] };
}

/**
 * The bytes as text, with each line end written out (\r\n, \n): the line ends are the framing this
 * view is about, so they are shown rather than hidden as whitespace.
 */
function block(title: string, text: string, lineEnds = true): HTMLElement {
  const figure = el("figure", undefined, "wire-block");
  const pre = el("pre");
  for (const part of text.split(/(\r\n|\n|\r)/)) {
    if (!lineEnds) pre.append(part);
    else if (part === "\r\n" || part === "\n" || part === "\r") pre.append(el("span", JSON.stringify(part).slice(1, -1), "eol"), "\n");
    else if (part !== "") pre.append(part);
  }
  figure.append(el("figcaption", title), pre);
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
  const picker = el("label", undefined, "field");
  const select = el("select");
  select.name = "wire-transport";
  for (const t of TRANSPORTS) {
    const option = el("option", TRANSPORT_LABELS[t]);
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
  element.append(intro, controls, output);

  const render = (data: WireCapture): void => {
    const headEnd = data.response.indexOf("\r\n\r\n");
    const head = headEnd === -1 ? data.response : data.response.slice(0, headEnd + 4);
    const body = headEnd === -1 ? "" : data.response.slice(headEnd + 4);
    const parts: HTMLElement[] = [block("Request the server read", data.request), block("Response head the server sent", head)];
    if (data.websocket !== undefined) {
      const ws = data.websocket;
      const ok = ws.accept === ws.expectedAccept;
      parts.push(
        block(
          "Handshake check",
          `Sec-WebSocket-Key:    ${ws.key}\nSec-WebSocket-Accept: ${ws.accept ?? "(missing)"}\nbase64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11)) = ${ws.expectedAccept} ${ok ? "✓ matches" : "✗ differs"}`,
          false,
        ),
      );
      const f = ws.firstFrame;
      if (f !== null) {
        parts.push(
          block(
            "First frame",
            `header bytes: ${f.headerHex}  (FIN=${f.fin ? 1 : 0}, opcode=${f.opcode}${f.opcode === 1 ? " text" : ""}, unmasked, payload length ${f.payloadLength})\npayload: ${f.payload}`,
            false,
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
        ),
      );
    }
    if (data.truncated) parts.push(el("p", "Capture stopped at its time or size limit (no message yet? send one and capture again).", "note"));
    const notes = el("ul", undefined, "wire-notes");
    notes.setAttribute("aria-label", "What each part means");
    const all = data.request + data.response;
    for (const note of WIRE_NOTES[data.transport]) if (note.match.test(all)) notes.append(el("li", note.text));
    const raw = data.browserRequest.rawHeaders;
    const pairs: string[] = [];
    for (let i = 0; i + 1 < raw.length; i += 2) pairs.push(`${raw[i]}: ${raw[i + 1]}`);
    const browser = block(
      "Your browser's request for this capture: request line and headers as the server parsed them (rawHeaders, original case and order)",
      `${data.browserRequest.method} ${data.browserRequest.url} HTTP/${data.browserRequest.httpVersion}\n${pairs.join("\n")}`,
      false,
    );
    output.replaceChildren(el("h2", TRANSPORT_LABELS[data.transport]), notes, ...parts, browser);
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
