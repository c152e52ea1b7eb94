import { once } from "node:events";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startLink, type Link, type LinkOptions } from "../../scripts/net/link.js";
import { dial, listen, pattern, readToEnd, until } from "./sockets.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serveThroughLink(onConnection: (socket: Socket) => void, link: Omit<LinkOptions, "target"> = {}): Promise<Link> {
  const server = await listen(onConnection);
  closers.push(server.close);
  const started = await startLink({ ...link, target: { host: "127.0.0.1", port: server.port } });
  closers.push(started.close);
  return started;
}

/** A server that writes `total` bytes as fast as its own socket takes them, then ends. */
function writeAsFastAsAllowed(socket: Socket, total: number): void {
  const chunk = pattern(64 * 1024);
  let written = 0;
  const more = () => {
    while (written < total) {
      written += chunk.length;
      if (!socket.write(chunk)) return;
    }
    socket.end();
  };
  socket.on("drain", more);
  more();
}

function countToEnd(socket: Socket): Promise<number> {
  let count = 0;
  socket.on("data", (chunk: Buffer) => {
    count += chunk.length;
  });
  return once(socket, "end").then(() => count);
}

/** What one read from a socket can add on top of the limit before the sender is paused. */
const ONE_READ = 64 * 1024;

describe("backpressure", () => {
  it("pauses a sender whose receiver stopped reading, so the link never holds more than its queue limit", async () => {
    const total = 48 * 1024 * 1024;
    const link = await serveThroughLink((socket) => writeAsFastAsAllowed(socket, total));
    const client = await dial(link.port);
    client.pause();
    await until(() => link.stats().down.pausedSenders === 1, "the link to pause the server's socket");
    const held = link.stats().down;
    expect(held.queuedBytes).toBeGreaterThan(link.queueLimitBytes);
    expect(held.queuedBytes).toBeLessThanOrEqual(link.queueLimitBytes + ONE_READ);
    // That nothing more comes in can only be shown over time: a while later, no byte was read.
    await sleep(300);
    expect(link.stats().down.bytesIn).toBe(held.bytesIn);
    const received = countToEnd(client);
    client.resume();
    expect(await received).toBe(total);
    expect(link.stats().down.peakQueuedBytes).toBeLessThanOrEqual(link.queueLimitBytes + ONE_READ);
  });

  it("bounds what a client sends before the emulated handshake lets it through", async () => {
    const size = 1024 * 1024;
    let uploaded: Promise<number> | undefined;
    const link = await serveThroughLink(
      (socket) => {
        uploaded = countToEnd(socket);
      },
      { profile: { rttMs: 200, downBitsPerSecond: null, upBitsPerSecond: null } },
    );
    const client = await dial(link.port);
    client.end(pattern(size));
    await until(() => link.stats().up.pausedSenders === 1, "the link to pause the client's socket");
    await until(() => uploaded !== undefined, "the emulated handshake to end and the server to accept");
    expect(await uploaded).toBe(size);
    expect(link.stats().up.peakQueuedBytes).toBeLessThanOrEqual(link.queueLimitBytes + ONE_READ);
    client.destroy();
  });
});

describe("closing", () => {
  it("passes a half-close on after the bytes queued before it, while the other direction keeps flowing", async () => {
    const question = pattern(40_000);
    const answer = pattern(100_000); // 200 ms at 4 Mbit/s: the FIN must wait for all of it
    let asked: Promise<Buffer> = Promise.resolve(Buffer.alloc(0));
    const link = await serveThroughLink(
      (socket) => {
        asked = readToEnd(socket).then(({ bytes }) => {
          socket.end(answer);
          return bytes;
        });
      },
      { profile: { rttMs: 20, downBitsPerSecond: 4e6, upBitsPerSecond: null } },
    );
    const client = await dial(link.port);
    const received = readToEnd(client);
    client.end(question);
    const { bytes } = await received;
    expect((await asked).equals(question)).toBe(true);
    expect(bytes.equals(answer)).toBe(true);
    await until(() => link.stats().connectionsOpen === 0, "both sockets to close");
  });

  it("turns a reset from the server into a reset of the client", async () => {
    const link = await serveThroughLink((socket) => socket.once("data", () => socket.resetAndDestroy()), {
      profile: { rttMs: 20, downBitsPerSecond: null, upBitsPerSecond: null },
    });
    const client = await dial(link.port);
    const failed = once(client, "error");
    client.write("hello");
    const [error] = await failed;
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    await until(() => link.stats().connectionsOpen === 0, "the link to forget the connection");
  });

  it("turns a reset from the client into a reset of the server's socket", async () => {
    let serverSide: Socket | undefined;
    const link = await serveThroughLink((socket) => {
      serverSide = socket;
    });
    const client = await dial(link.port);
    await until(() => serverSide !== undefined, "the server to accept");
    const failed = once(serverSide as Socket, "error");
    client.resetAndDestroy();
    const [error] = await failed;
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    await until(() => link.stats().connectionsOpen === 0, "the link to forget the connection");
  });

  it("never opens the upstream connection for a client that leaves during the emulated handshake", async () => {
    let accepted = 0;
    const link = await serveThroughLink(
      () => {
        accepted += 1;
      },
      { profile: { rttMs: 200, downBitsPerSecond: null, upBitsPerSecond: null } },
    );
    const client = await dial(link.port);
    client.write("early");
    await until(() => link.stats().up.bytesIn === 5, "the link to read the early bytes");
    client.resetAndDestroy();
    await until(() => link.stats().connectionsOpen === 0, "the link to forget the connection");
    expect(accepted).toBe(0);
  });

  it("resets the client when the target refuses the connection", async () => {
    const free = createServer().listen(0, "127.0.0.1");
    await once(free, "listening");
    const port = (free.address() as AddressInfo).port;
    await new Promise((resolve) => free.close(resolve));
    const link = await startLink({ target: { host: "127.0.0.1", port } });
    closers.push(link.close);
    const client = await dial(link.port);
    const [error] = await once(client, "error");
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
  });

  it("cuts every connection and stops listening on close()", async () => {
    const link = await startLink({ target: "127.0.0.1:9", profile: "3g" });
    const clients = await Promise.all([dial(link.port), dial(link.port)]);
    await until(() => link.stats().connectionsOpen === 2, "the link to accept both");
    const reset = clients.map((c) => {
      c.resume();
      return once(c, "error");
    });
    await link.close();
    for (const [error] of await Promise.all(reset)) expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
    expect(link.stats().connectionsOpen).toBe(0);
    await expect(dial(link.port)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});
