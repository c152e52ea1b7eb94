import { escapesHeaders, type Header, type StompFrame, unescapeHeader } from "./frame.js";

export interface ParserLimits {
  /** Most bytes of a command line and its header lines together. */
  maxHeadBytes: number;
  maxHeaders: number;
  maxBodyBytes: number;
}

/** A broken frame is the last event: the parser reads nothing after it. */
export type ParseEvent = { type: "frame"; frame: StompFrame } | { type: "heartbeat" } | { type: "error"; message: string };

/** The bytes break the grammar or a limit: the session answers with an ERROR frame and closes. */
class StompParseError extends Error {
  override name = "StompParseError";
}

const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const CONTENT_LENGTH = /^(0|[1-9][0-9]{0,15})$/;

/**
 * A state machine fed only with bytes, split anywhere: between frames each end of line (LF or CRLF)
 * is a heart-beat; a frame's head ends at its empty line; its body is `content-length` bytes then a
 * NUL, or without that header everything up to the first NUL. Unread bytes are kept until a frame is
 * complete, and never more than one frame's limits allow.
 */
export class StompParser {
  private pending: Buffer = Buffer.alloc(0);
  private state: "between" | "head" | "body" = "between";
  /** Where to resume looking for the head's end (bytes before it were already scanned). */
  private scanned = 0;
  private command = "";
  private headers: Header[] = [];
  private bodyLength: number | null = null;
  private failed = false;

  constructor(private readonly limits: ParserLimits) {}

  /** The events `chunk` completes, in order, ending with an error event at the first broken byte. */
  push(chunk: Buffer): ParseEvent[] {
    if (this.failed) return [];
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: ParseEvent[] = [];
    try {
      for (;;) {
        if (this.state === "between" && !this.skipEndOfLine(events)) break;
        if (this.state === "head" && !this.readHead()) break;
        if (this.state === "body" && !this.readBody(events)) break;
      }
    } catch (error) {
      if (!(error instanceof StompParseError)) throw error;
      this.failed = true;
      this.pending = Buffer.alloc(0);
      events.push({ type: "error", message: error.message });
    }
    return events;
  }

  /** Between frames: heart-beats, until the first byte of a command. False when it needs more bytes. */
  private skipEndOfLine(events: ParseEvent[]): boolean {
    const bytes = this.pending;
    if (bytes.length === 0) return false;
    if (bytes[0] === LF) {
      this.consume(1);
      events.push({ type: "heartbeat" });
      return true;
    }
    if (bytes[0] === CR) {
      if (bytes.length < 2) return false;
      if (bytes[1] !== LF) throw new StompParseError("a carriage return must be followed by a line feed");
      this.consume(2);
      events.push({ type: "heartbeat" });
      return true;
    }
    this.state = "head";
    this.scanned = 0;
    return true;
  }

  private readHead(): boolean {
    const bytes = this.pending;
    const end = headEnd(bytes, this.scanned);
    if (end === -1) {
      if (bytes.length > this.limits.maxHeadBytes) throw new StompParseError(`frame head over ${this.limits.maxHeadBytes} bytes`);
      // The empty line may straddle this chunk and the next: rescan its last two bytes.
      this.scanned = Math.max(0, bytes.length - 2);
      return false;
    }
    if (end.lines > this.limits.maxHeadBytes) throw new StompParseError(`frame head over ${this.limits.maxHeadBytes} bytes`);
    const lines = bytes.toString("utf8", 0, end.lines).split("\n");
    const command = stripCr(lines[0] ?? "");
    if (!/^[A-Z]+$/.test(command)) throw new StompParseError(`bad command line ${JSON.stringify(command.slice(0, 32))}`);
    const headerLines = lines.slice(1, -1);
    if (headerLines.length > this.limits.maxHeaders) throw new StompParseError(`more than ${this.limits.maxHeaders} headers`);
    const escaped = escapesHeaders(command);
    this.headers = headerLines.map((line) => parseHeader(stripCr(line), escaped));
    this.command = command;
    this.bodyLength = bodyLength(this.headers, this.limits.maxBodyBytes);
    this.consume(end.body);
    this.state = "body";
    return true;
  }

  private readBody(events: ParseEvent[]): boolean {
    const bytes = this.pending;
    let length = this.bodyLength;
    if (length === null) {
      const nul = bytes.indexOf(NUL);
      if (nul === -1) {
        if (bytes.length > this.limits.maxBodyBytes) throw new StompParseError(`body over ${this.limits.maxBodyBytes} bytes`);
        return false;
      }
      if (nul > this.limits.maxBodyBytes) throw new StompParseError(`body over ${this.limits.maxBodyBytes} bytes`);
      length = nul;
    } else {
      if (bytes.length <= length) return false;
      if (bytes[length] !== NUL) throw new StompParseError("the body does not end with a NUL octet after content-length bytes");
    }
    // A copy: the frame must not pin the chunk it arrived in.
    const body = Buffer.from(bytes.subarray(0, length));
    events.push({ type: "frame", frame: { command: this.command, headers: this.headers, body } });
    this.consume(length + 1);
    this.headers = [];
    this.state = "between";
    return true;
  }

  private consume(count: number): void {
    this.pending = this.pending.subarray(count);
  }
}

/**
 * Where the head's header lines end (`lines`: up to and including the last line's LF) and where the
 * body starts, or -1: the first LF that is followed by LF or CRLF, searching from `from`.
 */
function headEnd(bytes: Buffer, from: number): { lines: number; body: number } | -1 {
  let at = bytes.indexOf(LF, from);
  while (at !== -1) {
    const next = bytes[at + 1];
    if (next === LF) return { lines: at + 1, body: at + 2 };
    if (next === CR && bytes[at + 2] === LF) return { lines: at + 1, body: at + 3 };
    if (next === undefined || (next === CR && at + 2 >= bytes.length)) return -1;
    at = bytes.indexOf(LF, at + 1);
  }
  return -1;
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function parseHeader(line: string, escaped: boolean): Header {
  const colon = line.indexOf(":");
  if (colon <= 0) throw new StompParseError(`bad header line ${JSON.stringify(line.slice(0, 64))}`);
  const rawName = line.slice(0, colon);
  const rawValue = line.slice(colon + 1);
  if (!escaped) return [rawName, rawValue];
  const name = unescapeHeader(rawName);
  const value = unescapeHeader(rawValue);
  if (name === null || value === null) throw new StompParseError(`undefined escape sequence in header ${JSON.stringify(rawName.slice(0, 64))}`);
  return [name, value];
}

/** The first `content-length`, checked against the limit; null without one. */
function bodyLength(headers: Header[], max: number): number | null {
  const value = headers.find(([name]) => name === "content-length")?.[1];
  if (value === undefined) return null;
  if (!CONTENT_LENGTH.test(value)) throw new StompParseError(`bad content-length ${JSON.stringify(value.slice(0, 32))}`);
  const length = Number(value);
  if (length > max) throw new StompParseError(`body over ${max} bytes (content-length ${length})`);
  return length;
}
