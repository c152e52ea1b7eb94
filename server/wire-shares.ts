/**
 * "Under the hood": how the captured bytes of one block split into headers, framing and payload,
 * counted on the bytes themselves. Every byte of a block goes to exactly one of the three, so they
 * add up to its total:
 *
 * - headers: an HTTP head (request or status line, header fields, the blank line), or a STOMP
 *   frame's command, header lines and blank line;
 * - payload: the message JSON, byte for byte as the feed serialized it (over STOMP: a frame's body);
 * - framing: everything else a transport adds around them: chunk-size lines and their CRLFs, the
 *   NDJSON newline, SSE's `id:`/`data:`/`retry:` fields and blank lines, a poll answer's
 *   `{"messages":[...],"cursor":...}` envelope, WebSocket frame headers, STOMP's NUL, SockJS's `a[...]`
 *   quoting, and control signals (heartbeats, resets) that carry no message.
 */
export interface ByteShare {
  total: number;
  headers: number;
  framing: number;
  payload: number;
}

/** An HTTP head: all of it is headers. */
export function headShare(head: Buffer | string): ByteShare {
  const total = Buffer.byteLength(head);
  return { total, headers: total, framing: 0, payload: 0 };
}

/** Which wire format an HTTP body carries. */
export type BodyFormat = "json-page" | "ndjson" | "sse";

/**
 * An HTTP response body as captured: chunk framing first (when `chunked`), then the format inside.
 * A capture cut at its byte or time limit may end inside a chunk or a line: what arrived is counted,
 * and an incomplete message counts as framing (its JSON cannot be recognised yet).
 */
export function bodyShare(body: Buffer, format: BodyFormat, chunked: boolean): ByteShare {
  const content = chunked ? dechunk(body).content : body;
  // The payload lies inside the content; everything else, chunk framing included, is framing.
  const payload = format === "json-page" ? pagePayload(content) : format === "ndjson" ? ndjsonPayload(content) : ssePayload(content);
  return { total: body.length, headers: 0, framing: body.length - payload, payload };
}

/** The content of a chunked body and the bytes of its chunk framing (size lines, CRLFs, last chunk). */
export function dechunk(body: Buffer): { content: Buffer; framing: number } {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd === -1) break; // a size line cut short: framing
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString("latin1").split(";")[0] ?? "", 16);
    if (!Number.isFinite(size)) break;
    const start = lineEnd + 2;
    parts.push(body.subarray(start, Math.min(start + size, body.length)));
    if (size === 0) break; // the last chunk; its CRLF (and any trailer) is framing
    offset = start + size + 2;
  }
  const content = Buffer.concat(parts);
  return { content, framing: body.length - content.length };
}

/** A feed message as the wire carries it: a JSON object with an integer id and no control type. */
function isMessageJson(text: string): boolean {
  if (!text.startsWith("{")) return false;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && Number.isInteger((value as { id?: unknown }).id) && !("type" in value);
  } catch {
    return false;
  }
}

/** A poll or long-poll answer: the message objects inside `messages`, found as the bytes the feed wrote. */
function pagePayload(content: Buffer): number {
  let page: { messages?: unknown };
  try {
    page = JSON.parse(content.toString("utf8")) as { messages?: unknown };
  } catch {
    return 0;
  }
  if (!Array.isArray(page.messages)) return 0;
  let payload = 0;
  let from = 0;
  for (const message of page.messages) {
    // The feed serializes each message once with JSON.stringify; parsing keeps its key order, so
    // the same call finds its bytes. A message not found as such counts as framing.
    const bytes = Buffer.from(JSON.stringify(message));
    const at = content.indexOf(bytes, from);
    if (at === -1) continue;
    payload += bytes.length;
    from = at + bytes.length;
  }
  return payload;
}

/** NDJSON: each whole line that is a message is payload; newlines, heartbeats and resets are framing. */
function ndjsonPayload(content: Buffer): number {
  let payload = 0;
  let start = 0;
  for (;;) {
    const end = content.indexOf(0x0a, start);
    if (end === -1) return payload;
    const line = content.subarray(start, end);
    if (isMessageJson(line.toString("utf8"))) payload += line.length;
    start = end + 1;
  }
}

/** SSE: the value of each complete `data:` line that is a message is payload; the rest is framing. */
function ssePayload(content: Buffer): number {
  let payload = 0;
  let start = 0;
  for (;;) {
    const end = content.indexOf(0x0a, start);
    if (end === -1) return payload;
    const line = content.subarray(start, end).toString("utf8");
    if (line.startsWith("data:")) {
      const value = line.slice(line.startsWith("data: ") ? 6 : 5);
      if (isMessageJson(value)) payload += Buffer.byteLength(value);
    }
    start = end + 1;
  }
}

/** One WebSocket frame of the bare WebSocket transport: its header is framing, a message payload is payload. */
export function wsFrameShare(headerLength: number, payload: string): ByteShare {
  const bytes = Buffer.byteLength(payload);
  const message = isMessageJson(payload) ? bytes : 0;
  return { total: headerLength + bytes, headers: 0, framing: headerLength + bytes - message, payload: message };
}

/**
 * One WebSocket frame of a STOMP exchange. Over a plain WebSocket the payload is one STOMP frame:
 * command and headers up to the blank line, the body, a NUL. Over SockJS it is `a["..."]` (server)
 * or `["..."]` (client) with the STOMP frame JSON-quoted inside, or SockJS's own `o`/`h`: the parts
 * are measured in their quoted form, as they crossed the wire.
 */
export function stompFrameShare(headerLength: number, payload: string, sockjs: boolean): ByteShare {
  const total = headerLength + Buffer.byteLength(payload);
  const blank = sockjs ? "\\n\\n" : "\n\n";
  const nul = sockjs ? "\\u0000" : "\0";
  const open = sockjs ? payload.indexOf('["') : 0;
  const headEnd = payload.indexOf(blank, open);
  const bodyEnd = payload.lastIndexOf(nul);
  // SockJS's own frames, and heart-beat end of lines: framing only.
  if (open === -1 || headEnd === -1 || bodyEnd < headEnd) return { total, headers: 0, framing: total, payload: 0 };
  const headStart = sockjs ? open + 2 : 0;
  const headers = Buffer.byteLength(payload.slice(headStart, headEnd + blank.length));
  const body = Buffer.byteLength(payload.slice(headEnd + blank.length, bodyEnd));
  return { total, headers, framing: total - headers - body, payload: body };
}
