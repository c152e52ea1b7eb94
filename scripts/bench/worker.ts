import { parentPort, workerData } from "node:worker_threads";
import { openHttpClient } from "./clients/http-client.js";
import { startSubscriber } from "./clients/index.js";
import type { Subscriber, SubscriberSink } from "./clients/subscriber.js";
import { createHistogram, encode, recordMicros } from "./measure/histogram.js";
import { SocketCounter } from "./measure/socket-counter.js";
import { epochNow, ThreadLoadMonitor } from "./measure/thread-load.js";
import { Tally } from "./tally.js";
import { isPlainTransport } from "./transports.js";
import type { FromWorker, ToWorker, WorkerInit } from "./worker-protocol.js";

/** A subscriber thread: runs its share of one transport's clients and reports what they measured. */

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error("worker.ts must run in a worker thread");
const send = (message: FromWorker): void => port.postMessage(message);

const counter = new SocketCounter();
const tally = new Tally(init.clients, init.measuredCount);
const load = new ThreadLoadMonitor(init.name);
const errors = { count: 0, resets: 0, reconnects: 0, samples: [] as string[] };

// Time to first message: each subscriber's connect start, and the first message it parsed after it.
const connectStart: number[] = [];
const firstSeen = new Uint8Array(init.clients);
const firstMessage = createHistogram();

function sinkFor(index: number): SubscriberSink {
  return {
    message: (message) => {
      const now = epochNow();
      if (firstSeen[index] === 0) {
        firstSeen[index] = 1;
        recordMicros(firstMessage, (now - (connectStart[index] ?? now)) * 1000);
      }
      tally.record(index, message, now);
    },
    reset: () => {
      errors.resets++;
    },
    error: (error) => {
      errors.count++;
      if (errors.samples.length < 5) errors.samples.push(error instanceof Error ? error.message : String(error));
    },
    reconnect: () => {
      errors.reconnects++;
    },
  };
}

// `--h2-shared`: one HTTP/2 connection for every client of this thread, as one tab multiplexes its streams.
const shared =
  init.wire?.shared === true && isPlainTransport(init.transport) && init.transport !== "ws"
    ? openHttpClient(init.origin, init.wire, counter, init.transport, { longPollTimeoutMs: init.longPollTimeoutMs, streams: init.clients })
    : undefined;

const subscribers: Subscriber[] = [];
for (let i = 0; i < init.clients; i++) {
  connectStart[i] = epochNow();
  subscribers.push(
    startSubscriber(init.transport, {
      origin: init.origin,
      ...(init.wire !== undefined ? { wire: init.wire } : {}),
      ...(shared !== undefined ? { shared } : {}),
      after: init.after,
      ...(init.headers !== undefined ? { headers: init.headers } : {}),
      ...(init.acceptEncoding !== undefined ? { acceptEncoding: init.acceptEncoding } : {}),
      ...(init.sockjs !== undefined ? { sockjs: init.sockjs } : {}),
      index: (init.firstIndex ?? 0) + i,
      counter,
      sink: sinkFor(i),
      pollIntervalMs: init.pollIntervalMs,
      longPollTimeoutMs: init.longPollTimeoutMs,
    }),
  );
}

const progress = setInterval(() => send({ type: "progress", warmup: tally.warmup, measured: tally.delivered }), init.progressMs ?? 200);

Promise.all(subscribers.map((s) => s.ready)).then(
  () => send({ type: "ready" }),
  (error: unknown) => send({ type: "fatal", message: String(error) }),
);

port.on("message", (message: ToWorker) => {
  switch (message.type) {
    case "window-start":
      tally.startWindow(message.epochMs);
      load.reset();
      send({ type: "window-started", counts: counter.snapshot() });
      break;
    case "window-end":
      send({ type: "window-ended", counts: counter.snapshot(), load: load.read() });
      break;
    case "stop":
      void stop();
      break;
  }
});

async function stop(): Promise<void> {
  clearInterval(progress);
  await Promise.all(subscribers.map((s) => s.stop()));
  await shared?.destroy();
  load.stop();
  send({
    type: "final",
    result: {
      counts: counter.snapshot(),
      delivered: tally.delivered,
      duplicated: tally.duplicated,
      outOfOrder: tally.outOfOrder,
      resets: errors.resets,
      protocolErrors: errors.count,
      reconnects: errors.reconnects,
      errorSamples: errors.samples,
      histogram: encode(tally.histogram),
      perSecond: tally.encodedPerSecond(),
      jsonBytes: tally.jsonBytes,
      jsonCount: tally.jsonCount,
      firstMessage: encode(firstMessage),
    },
  });
  tally.destroy();
  firstMessage.destroy();
  port?.close();
}
