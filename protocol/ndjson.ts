import { ProtocolError } from "./protocol-error.js";
import type { ServerFrame } from "./types.js";

/**
 * Incremental NDJSON parser fed with raw bytes. Chunks may split a line, or a multi-byte UTF-8
 * character, anywhere: the streaming TextDecoder keeps partial characters and `rest` keeps the
 * partial line until its newline arrives.
 */
export class NdjsonParser {
  private readonly decoder = new TextDecoder("utf-8", { fatal: true });
  private rest = "";

  /** Feed bytes; returns every complete line parsed, in order. Throws ProtocolError on a bad line. */
  push(chunk: Uint8Array | string): ServerFrame[] {
    const text = typeof chunk === "string" ? chunk : this.decode(chunk);
    const lines = (this.rest + text).split("\n");
    this.rest = lines.pop() ?? "";
    const frames: ServerFrame[] = [];
    for (const line of lines) {
      const trimmed = line.endsWith("\r") ? line.slice(0, -1) : line;
      if (trimmed === "") continue;
      frames.push(parseFrame(trimmed));
    }
    return frames;
  }

  /** Bytes of an unfinished line still waiting for its newline. */
  get pending(): number {
    return this.rest.length;
  }

  private decode(chunk: Uint8Array): string {
    try {
      return this.decoder.decode(chunk, { stream: true });
    } catch {
      throw new ProtocolError("invalid UTF-8 in NDJSON stream");
    }
  }
}

export function parseFrame(line: string): ServerFrame {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(`invalid JSON line: ${line.slice(0, 80)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(`frame is not a JSON object: ${line.slice(0, 80)}`);
  }
  return value as ServerFrame;
}
