import type { PollResponse } from "../../../protocol/types.js";
import { decodeBody } from "./content-coding.js";
import { openHttpClient } from "./http-client.js";
import { requestShape, RETRY_MS, signal, Sleeper, type Subscriber, type SubscriberOptions } from "./subscriber.js";

/**
 * Short and long polling share one loop: ask for what follows the cursor, deliver it, ask again.
 * Each client has its own keep-alive connection, as a browser tab would; short polling waits out the
 * rest of its period (a browser's setInterval), long polling asks again at once.
 */
export function startPolling(options: SubscriberOptions, mode: "poll" | "long-poll"): Subscriber {
  const { counter, sink } = options;
  const client = options.shared ?? openHttpClient(options.origin, options.wire, counter, mode, options);
  const abort = new AbortController();
  const sleeper = new Sleeper();
  const ready = signal();
  let cursor = options.after;
  let stopped = false;
  let first = true;

  // Query parameters in the dashboard's order (after, client, timeout), as the browser's requests have them.
  const shape = requestShape(options, mode);
  const client_ = shape.client === undefined ? "" : `&client=${shape.client}`;
  const path = (): string =>
    mode === "poll" ? `/api/poll?after=${cursor}${client_}` : `/api/long-poll?after=${cursor}${client_}&timeout=${options.longPollTimeoutMs}`;

  async function ask(): Promise<boolean> {
    counter.requests++;
    const response = await client.request({ method: "GET", path: path(), headers: shape.headers, signal: abort.signal });
    const raw = Buffer.from(await response.body.arrayBuffer());
    counter.body += raw.length;
    const text = decodeBody(raw, response.headers["content-encoding"]).toString("utf8");
    if (response.statusCode !== 200) throw new Error(`${mode}: HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as PollResponse;
    if (body.reset !== undefined) sink.reset(body.reset);
    for (const message of body.messages) sink.message(message);
    cursor = body.cursor;
    return body.more;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      const started = performance.now();
      let wait: number;
      try {
        const more = await ask();
        // Browsers' timers are not in phase with each other: after the first answer each client
        // waits a random part of its period once, so the server does not see every poll at once.
        const period = first ? options.pollIntervalMs * Math.random() : options.pollIntervalMs - (performance.now() - started);
        first = false;
        ready.resolve();
        wait = more || mode === "long-poll" ? 0 : period;
      } catch (error) {
        if (stopped) return;
        sink.error(error);
        sink.reconnect();
        wait = RETRY_MS;
      }
      if (wait > 0 && !stopped) await sleeper.sleep(wait);
    }
  }

  // A long poll has no answer until a message comes: it is ready once its connection is up (on a
  // shared connection, once asked: the phase then waits for the server to count it open).
  if (mode === "long-poll" && options.shared !== undefined) ready.resolve();
  else if (mode === "long-poll") client.once("connect", () => ready.resolve());
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
