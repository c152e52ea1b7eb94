import { ProtocolError } from "./protocol-error.js";

/** What an SSE stream yields, per the WHATWG "event stream interpretation" rules. */
export type SseItem = { kind: "event"; event: string; data: string; lastEventId: string } | { kind: "comment"; text: string } | { kind: "retry"; ms: number };

/**
 * Incremental Server-Sent Events parser fed with raw bytes, following the HTML standard: lines end
 * with CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are one line
 * end); a leading BOM is skipped; `data` lines join with "\n"; an event with no data is not
 * dispatched; `id` containing NUL is ignored; `retry` takes ASCII digits only.
 */
export class SseParser {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private line = "";
  private afterCR = false;
  private started = false;
  private eventType = "";
  private data: string[] = [];
  private lastEventId = "";

  constructor(initialLastEventId = "") {
    this.lastEventId = initialLastEventId;
  }

  /** The id the browser would send as `Last-Event-ID` on reconnect. */
  get currentLastEventId(): string {
    return this.lastEventId;
  }

  push(chunk: Uint8Array | string): SseItem[] {
    let text = typeof chunk === "string" ? chunk : this.decode(chunk);
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const items: SseItem[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* LF */ && this.afterCR) {
        this.afterCR = false;
        start = i + 1;
        continue;
      }
      this.afterCR = false;
      if (c === 10 || c === 13) {
        this.line += text.slice(start, i);
        this.processLine(this.line, items);
        this.line = "";
        this.afterCR = c === 13;
        start = i + 1;
      }
    }
    this.line += text.slice(start);
    return items;
  }

  private processLine(line: string, items: SseItem[]): void {
    if (line === "") {
      this.dispatch(items);
      return;
    }
    if (line.startsWith(":")) {
      items.push({ kind: "comment", text: line.slice(1).replace(/^ /, "") });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.eventType = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.lastEventId = value;
        break;
      case "retry":
        if (/^[0-9]+$/.test(value)) items.push({ kind: "retry", ms: Number(value) });
        break;
      default:
        break; // unknown fields are ignored, as the standard says
    }
  }

  private dispatch(items: SseItem[]): void {
    if (this.data.length > 0) {
      items.push({
        kind: "event",
        event: this.eventType === "" ? "message" : this.eventType,
        data: this.data.join("\n"),
        lastEventId: this.lastEventId,
      });
    }
    this.data = [];
    this.eventType = "";
  }

  private decode(chunk: Uint8Array): string {
    try {
      return this.decoder.decode(chunk, { stream: true });
    } catch {
      throw new ProtocolError("invalid UTF-8 in SSE stream");
    }
  }
}
