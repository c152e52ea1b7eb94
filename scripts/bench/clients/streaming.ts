import { NdjsonParser } from "../../../protocol/ndjson.js";
import { SseParser } from "../../../protocol/sse.js";
import { isControl, type ChatMessage, type ResetSignal, type ServerFrame } from "../../../protocol/types.js";
import { pipeline } from "node:stream";
import { counting, decompressor } from "./content-coding.js";
import { openHttpClient } from "./http-client.js";
import { requestShape, RETRY_MS, signal, Sleeper, type Subscriber, type SubscriberOptions } from "./subscriber.js";

/** Turns raw body bytes into messages and resets; one per connection, since parsers keep state. */
interface Decoder {
  push(chunk: Uint8Array): { messages: ChatMessage[]; resets: ResetSignal[] };
}

function ndjsonDecoder(): Decoder {
  const parser = new NdjsonParser();
  return {
    push(chunk) {
      const messages: ChatMessage[] = [];
      const resets: ResetSignal[] = [];
      for (const frame of parser.push(chunk)) collect(frame, messages, resets);
      return { messages, resets };
    },
  };
}

function sseDecoder(): Decoder {
  const parser = new SseParser();
  return {
    push(chunk) {
      const messages: ChatMessage[] = [];
      const resets: ResetSignal[] = [];
      for (const item of parser.push(chunk)) {
        if (item.kind !== "event") continue;
        if (item.event === "message") messages.push(JSON.parse(item.data) as ChatMessage);
        else if (item.event === "reset") resets.push(JSON.parse(item.data) as ResetSignal);
      }
      return { messages, resets };
    },
  };
}

function collect(frame: ServerFrame, messages: ChatMessage[], resets: ResetSignal[]): void {
  if (!isControl(frame)) messages.push(frame);
  else if (frame.type === "reset") resets.push(frame);
}

/**
 * HTTP streaming (NDJSON) and Server-Sent Events: one long response per client, parsed chunk by
 * chunk with the protocol's tested parsers. A stream the server ends is reopened from the cursor,
 * as EventSource would. Over HTTP/2 each is a stream of its connection (or of the thread's shared one).
 */
export function startStreaming(options: SubscriberOptions, mode: "stream" | "sse"): Subscriber {
  const { counter, sink } = options;
  const client = options.shared ?? openHttpClient(options.origin, options.wire, counter, mode, options);
  const abort = new AbortController();
  const sleeper = new Sleeper();
  const ready = signal();
  let cursor = options.after;
  let stopped = false;
  const shape = requestShape(options, mode);

  async function once(): Promise<void> {
    counter.requests++;
    // A browser's headers carry their own Accept; minimal ones say which format, and the coding asked for.
    const headers: Record<string, string> =
      shape.client !== undefined ? shape.headers : { accept: mode === "sse" ? "text/event-stream" : "application/x-ndjson", ...shape.headers };
    const query = `after=${cursor}${shape.client === undefined ? "" : `&client=${shape.client}`}`;
    const path = mode === "sse" ? `/api/sse?${query}` : `/api/stream?${query}`;
    const response = await client.request({ method: "GET", path, headers, signal: abort.signal });
    if (response.statusCode !== 200) {
      const text = await response.body.text();
      throw new Error(`${mode}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    }
    ready.resolve();
    const decoder = mode === "sse" ? sseDecoder() : ndjsonDecoder();
    // A compressed stream is counted as it came (its share of the bytes down), then inflated.
    const coding = response.headers["content-encoding"];
    const inflate = decompressor(coding);
    const body =
      inflate === null
        ? response.body
        : pipeline(
            response.body,
            counting((n) => (counter.body += n)),
            inflate,
            () => undefined,
          );
    for await (const chunk of body) {
      if (inflate === null) counter.body += (chunk as Buffer).length;
      const { messages, resets } = decoder.push(chunk as Buffer);
      for (const reset of resets) {
        sink.reset(reset);
        cursor = reset.cursor;
      }
      for (const message of messages) {
        sink.message(message);
        cursor = Math.max(cursor, message.id);
      }
    }
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await once();
      } catch (error) {
        if (stopped) return;
        sink.error(error);
      }
      if (stopped) return;
      sink.reconnect();
      await sleeper.sleep(RETRY_MS);
    }
  }

  const running = loop();
  return {
    ready: ready.promise,
    async stop() {
      stopped = true;
      sleeper.cancel();
      abort.abort();
      await running;
      if (options.shared === undefined) await client.destroy();
    },
  };
}
