import { once } from "node:events";
import type { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { startLink, type Link, type LinkOptions } from "../../scripts/net/link.js";
import { dial, listen, median, pattern, readToEnd } from "./sockets.js";

// Sizes and delays are chosen so that 10% (20 ms and more) sits well above timer jitter (a few ms),
// on a small machine shared with other work; each figure is the median of a few tries.

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serveThroughLink(onConnection: (socket: Socket) => void, link: Omit<LinkOptions, "target">): Promise<Link> {
  const server = await listen(onConnection);
  closers.push(server.close);
  const started = await startLink({ ...link, target: { host: "127.0.0.1", port: server.port } });
  closers.push(started.close);
  return started;
}

function expectWithin(measured: number, expected: number, fraction: number): void {
  expect(measured).toBeGreaterThanOrEqual(expected * (1 - fraction));
  expect(measured).toBeLessThanOrEqual(expected * (1 + fraction));
}

/** "median 201.3 ms (199.8–204.0)": what a run measured, recorded as the test's annotation. */
function ms(values: number[]): string {
  return `median ${median(values).toFixed(1)} ms (${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;
}

const RTT_100: LinkOptions["profile"] = { rttMs: 100, downBitsPerSecond: null, upBitsPerSecond: null };

describe("round trips", () => {
  it("costs a new connection 2 RTT from connect start to the first answer byte, and a further request 1 RTT", async ({ annotate }) => {
    const link = await serveThroughLink((socket) => socket.on("data", () => socket.write("pong")), { profile: RTT_100 });
    const firstAnswer: number[] = [];
    const nextAnswer: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      // Handshake (1 RTT) + request and answer (1 RTT): the client's connect completes at once at
      // the proxy, so the handshake is charged on the first bytes.
      const connectStart = performance.now();
      const socket = await dial(link.port);
      socket.write("ping");
      await once(socket, "data");
      firstAnswer.push(performance.now() - connectStart);
      // On the open connection a request and its answer cost 1 RTT.
      const sent = performance.now();
      socket.write("ping");
      await once(socket, "data");
      nextAnswer.push(performance.now() - sent);
      socket.destroy();
    }
    await annotate(`first answer ${ms(firstAnswer)} (expected 200 ms), next answer ${ms(nextAnswer)} (expected 100 ms)`);
    expectWithin(median(firstAnswer), 200, 0.1);
    expectWithin(median(nextAnswer), 100, 0.1);
  });

  it("lets a server that speaks first be heard 2 RTT after connect start, as its accept waits for the handshake", async ({ annotate }) => {
    const link = await serveThroughLink((socket) => socket.write("hello"), { profile: RTT_100 });
    const banner: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const connectStart = performance.now();
      const socket = await dial(link.port);
      await once(socket, "data");
      banner.push(performance.now() - connectStart);
      socket.destroy();
    }
    await annotate(`banner ${ms(banner)} (expected 200 ms)`);
    expectWithin(median(banner), 200, 0.1);
  });
});

describe("bandwidth", () => {
  it("delivers 1 MB through 8 Mbit/s down in 1 s", async ({ annotate }) => {
    const size = 1_000_000;
    const body = pattern(size);
    const link = await serveThroughLink((socket) => socket.once("data", () => socket.end(body)), {
      profile: { rttMs: 0, downBitsPerSecond: 8e6, upBitsPerSecond: null },
    });
    const seconds: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const socket = await dial(link.port);
      const received = readToEnd(socket);
      const sent = performance.now();
      socket.write("go");
      const { bytes, lastByteAt } = await received;
      expect(bytes.equals(body)).toBe(true);
      seconds.push((lastByteAt - sent) / 1000);
    }
    const megabitsPerSecond = (size * 8) / median(seconds) / 1e6;
    await annotate(`${ms(seconds.map((s) => s * 1000))}, ${megabitsPerSecond.toFixed(2)} Mbit/s (expected 1000 ms, 8 Mbit/s)`);
    expectWithin(median(seconds), 1, 0.1);
    expectWithin(megabitsPerSecond, 8, 0.1);
  });

  it("paces each direction on its own: 2 Mbit/s up while 8 Mbit/s comes down", async ({ annotate }) => {
    const upSize = 125_000; // 0.5 s at 2 Mbit/s
    const downSize = 500_000; // 0.5 s at 8 Mbit/s
    let uploadDone: Promise<number> = Promise.resolve(Number.NaN);
    const link = await serveThroughLink(
      (socket) => {
        uploadDone = readToEnd(socket).then(({ bytes, lastByteAt }) => {
          expect(bytes.length).toBe(upSize);
          return lastByteAt;
        });
        socket.end(pattern(downSize));
      },
      { profile: { rttMs: 0, downBitsPerSecond: 8e6, upBitsPerSecond: 2e6 } },
    );
    const upMs: number[] = [];
    const downMs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      const start = performance.now();
      const socket = await dial(link.port);
      const received = readToEnd(socket);
      socket.end(pattern(upSize));
      const { bytes, lastByteAt } = await received;
      expect(bytes.length).toBe(downSize);
      downMs.push(lastByteAt - start);
      upMs.push((await uploadDone) - start);
    }
    await annotate(`up ${ms(upMs)}, down ${ms(downMs)} (expected 500 ms each)`);
    expectWithin(median(upMs), 500, 0.1);
    expectWithin(median(downMs), 500, 0.1);
  });
});
