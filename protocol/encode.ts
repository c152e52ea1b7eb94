/**
 * Pure encoders for the hand-written wire formats. They build strings and never touch a socket,
 * so the server writes exactly these bytes and the benchmark's framing model can count them.
 */

/** One NDJSON line: the JSON exactly as given, then a newline. */
export function encodeNdjsonLine(json: string): string {
  return json + "\n";
}

/** One SSE event. `json` must hold no newline, which JSON.stringify guarantees. */
export function encodeSseEvent(json: string, options: { id?: number; event?: string } = {}): string {
  let out = "";
  if (options.event !== undefined) out += `event: ${options.event}\n`;
  if (options.id !== undefined) out += `id: ${options.id}\n`;
  return out + `data: ${json}\n\n`;
}

/** An SSE comment: ignored by EventSource, but keeps proxies from cutting an idle stream. */
export function encodeSseComment(text: string): string {
  return `: ${text}\n\n`;
}

/** The SSE reconnection-delay hint. */
export function encodeSseRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}
