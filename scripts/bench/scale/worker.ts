import { parentPort, workerData } from "node:worker_threads";
import { startSubscriber } from "../clients/index.js";
import type { Subscriber, SubscriberSink } from "../clients/subscriber.js";
import { SocketCounter } from "../measure/socket-counter.js";
import { epochNow, ThreadLoadMonitor } from "../measure/thread-load.js";
import { addressOf } from "./plan.js";
import type { ErrorTally, FromScaleWorker, ScaleWorkerInit, ToScaleWorker } from "./protocol.js";
import { ScaleTally } from "./tally.js";

/**
 * A subscriber thread of the scale ramp: it adds subscribers when told (a bounded number
 * connecting at once, each bound to this thread's loopback source addresses in turn), keeps them
 * all connected, and reports each window's deliveries, latency, errors and its own load.
 */

const init = workerData as ScaleWorkerInit;
const port = parentPort;
if (port === null) throw new Error("scale/worker.ts must run in a worker thread");
const send = (message: FromScaleWorker): void => port.postMessage(message);

const counter = new SocketCounter();
const tally = new ScaleTally();
const load = new ThreadLoadMonitor(init.name);
const subscribers: Subscriber[] = [];
let connected = 0;
let errors = freshErrors();

function freshErrors(): ErrorTally {
  return { count: 0, codes: {}, samples: [] };
}

function codeOf(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    const cause = (error as { cause?: unknown }).cause;
    if (cause !== undefined && cause !== error) return codeOf(cause);
  }
  const text = error instanceof Error ? error.message : String(error);
  return /HTTP ([0-9]{3})/.exec(text)?.[0] ?? "other";
}

function sinkFor(index: number): SubscriberSink {
  return {
    message: (message) => tally.record(index, message, epochNow()),
    reset: () => undefined,
    error: (error) => {
      errors.count++;
      const code = codeOf(error);
      errors.codes[code] = (errors.codes[code] ?? 0) + 1;
      if (errors.samples.length < 5) errors.samples.push(`${code}: ${error instanceof Error ? error.message : String(error)}`);
    },
    reconnect: () => undefined,
  };
}

/** Starts `count` subscribers, at most `connectConcurrency` of them connecting at a time. */
async function add(count: number, after: number, deadlineMs: number): Promise<void> {
  let next = 0;
  const one = async (): Promise<void> => {
    while (next < count && epochNow() < deadlineMs) {
      next++;
      const index = tally.add();
      const subscriber = startSubscriber(init.transport, {
        origin: init.origin,
        after,
        counter,
        sink: sinkFor(index),
        pollIntervalMs: init.pollIntervalMs,
        longPollTimeoutMs: init.longPollTimeoutMs,
        localAddress: addressOf(init.addresses, index, init.clientsPerAddress),
      });
      subscribers.push(subscriber);
      const ready = subscriber.ready.then(() => {
        connected++;
      });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadlineMs - epochNow()));
      });
      await Promise.race([ready, late]);
      clearTimeout(timer);
    }
  };
  await Promise.all(Array.from({ length: Math.min(init.connectConcurrency, count) }, one));
  // Subscribers past the deadline were never started; those started and still connecting keep trying.
}

const progress = setInterval(() => send({ type: "progress", connected, warmup: tally.warmup, delivered: tally.delivered }), 200);

port.on("message", (message: ToScaleWorker) => {
  switch (message.type) {
    case "add": {
      errors = freshErrors();
      add(message.count, message.after, message.deadlineMs).then(
        () => send({ type: "added", connected, errors }),
        (error: unknown) => send({ type: "fatal", message: String(error) }),
      );
      break;
    }
    case "window-start":
      tally.startWindow(message.startMs, message.count);
      errors = freshErrors();
      load.reset();
      send({ type: "window-started" });
      break;
    case "window-end":
      send({ type: "window-ended", counts: tally.window(), load: load.read(), errors, sockets: counter.snapshot() });
      break;
    case "stop":
      void stop();
      break;
  }
});

async function stop(): Promise<void> {
  clearInterval(progress);
  await Promise.all(subscribers.map((s) => s.stop()));
  load.stop();
  tally.destroy();
  send({ type: "stopped" });
  port?.close();
}
