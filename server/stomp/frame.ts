/**
 * STOMP 1.2 frames (https://stomp.github.io/stomp-specification-1.2.html): a command line, header
 * lines, an empty line, a body and a NUL octet. Hand-written, as the lab's other wire formats are:
 * every byte a frame costs is decided here.
 */

export type Header = readonly [name: string, value: string];

export interface StompFrame {
  command: string;
  /** In the order received; a repeated header's first value is the one that counts (1.2, "Repeated Header Entries"). */
  headers: Header[];
  body: Buffer;
}

/** The commands a client may send; anything else is refused with an ERROR frame. */
export const CLIENT_COMMANDS = new Set(["CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "ACK", "NACK", "BEGIN", "COMMIT", "ABORT", "DISCONNECT"]);

/** CONNECT and CONNECTED frames are not escaped, so that 1.0 peers can read them (1.2, "Value Encoding"). */
export function escapesHeaders(command: string): boolean {
  return command !== "CONNECT" && command !== "STOMP" && command !== "CONNECTED";
}

/** The first value of `name`, if the frame has one. */
export function headerOf(frame: Pick<StompFrame, "headers">, name: string): string | undefined {
  for (const [key, value] of frame.headers) if (key === name) return value;
  return undefined;
}

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\r": "\\r", "\n": "\\n", ":": "\\c" };
const UNESCAPES: Record<string, string> = { "\\": "\\", r: "\r", n: "\n", c: ":" };

export function escapeHeader(value: string): string {
  return value.replace(/[\\\r\n:]/g, (c) => ESCAPES[c] ?? c);
}

/** The decoded value, or null for an escape 1.2 does not define (which it calls a fatal protocol error). */
export function unescapeHeader(raw: string): string | null {
  if (!raw.includes("\\")) return raw;
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const decoded = UNESCAPES[raw[i + 1] ?? ""];
    if (decoded === undefined) return null;
    out += decoded;
    i++;
  }
  return out;
}

/**
 * One frame's bytes. A body always gets a `content-length` (computed here unless given), so that a
 * reader never has to scan it for the NUL.
 */
export function encodeFrame(command: string, headers: readonly Header[], body: Buffer | string = ""): Buffer {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const escaped = escapesHeaders(command);
  let head = `${command}\n`;
  for (const [name, value] of headers) head += escaped ? `${escapeHeader(name)}:${escapeHeader(value)}\n` : `${name}:${value}\n`;
  if (bytes.length > 0 && !headers.some(([name]) => name === "content-length")) head += `content-length:${bytes.length}\n`;
  return Buffer.concat([Buffer.from(`${head}\n`), bytes, NUL]);
}

const NUL = Buffer.from([0]);

/** A heart-beat: one end of line between frames. */
export const HEARTBEAT = Buffer.from("\n");
