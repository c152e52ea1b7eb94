import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { assertLoopbackTarget, formatHostPort, parseHostPort, type HostPort } from "./address.js";
import { LinkConnection } from "./connection.js";
import type { DirectionTotals } from "./direction.js";
import { resolveProfile, type LinkProfile, type ProfileName } from "./profiles.js";

/** Per direction, per connection: above this many queued bytes the sender is paused. */
export const DEFAULT_QUEUE_LIMIT_BYTES = 256 * 1024;

export interface LinkOptions {
  /** Where connections go: "127.0.0.1:3000", "[::1]:3000", "http://127.0.0.1:3000" or { host, port }; loopback only. */
  target: string | HostPort;
  /** A named profile or explicit numbers (default loopback); rttMs / downBitsPerSecond / upBitsPerSecond override it. */
  profile?: ProfileName | LinkProfile;
  rttMs?: number;
  downBitsPerSecond?: number | null;
  upBitsPerSecond?: number | null;
  /** Where the emulator listens (default 127.0.0.1 on a free port). */
  listen?: string | HostPort;
  queueLimitBytes?: number;
}

export interface DirectionStats extends DirectionTotals {
  /** Bytes waiting in the link now, over all connections. */
  queuedBytes: number;
  /** Connections whose sender in this direction is paused because its queue is full. */
  pausedSenders: number;
}

export interface LinkStats {
  connectionsOpen: number;
  connectionsTotal: number;
  /** Client → target. */
  up: DirectionStats;
  /** Target → client. */
  down: DirectionStats;
}

export interface Link {
  host: string;
  port: number;
  /** "http://127.0.0.1:3100": the same server as the target, seen through the link. */
  url: string;
  target: HostPort;
  profile: LinkProfile;
  queueLimitBytes: number;
  stats(): LinkStats;
  /** Stops listening and cuts every connection; resolves when the listener is closed. */
  close(): Promise<void>;
}

/**
 * Starts a link emulator: a TCP proxy on `listen` that forwards each connection to `target`
 * through its own emulated link (each connection is paced on its own, as if each were a separate
 * user on a line of that profile). Refuses a target that is not on this machine.
 */
export async function startLink(options: LinkOptions): Promise<Link> {
  const target = typeof options.target === "string" ? parseHostPort(options.target, "target") : options.target;
  assertLoopbackTarget(target);
  const listen =
    options.listen === undefined
      ? { host: "127.0.0.1", port: 0 }
      : typeof options.listen === "string"
        ? parseHostPort(options.listen, "listen")
        : options.listen;
  const profile = resolveProfile(options.profile ?? "loopback", options);
  const queueLimitBytes = options.queueLimitBytes ?? DEFAULT_QUEUE_LIMIT_BYTES;
  const up: DirectionTotals = { bytesIn: 0, bytesOut: 0, peakQueuedBytes: 0 };
  const down: DirectionTotals = { bytesIn: 0, bytesOut: 0, peakQueuedBytes: 0 };
  const connections = new Set<LinkConnection>();
  let connectionsTotal = 0;
  const now = () => performance.now();

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    connectionsTotal += 1;
    const connection = new LinkConnection(client, {
      target,
      profile,
      queueLimitBytes,
      up,
      down,
      now,
      onClosed: (c) => connections.delete(c),
    });
    connections.add(connection);
  });
  server.listen(listen.port, listen.host);
  await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error))]);
  const address = server.address() as AddressInfo;
  const bound = { host: address.address, port: address.port };

  const directionStats = (totals: DirectionTotals, pick: (c: LinkConnection) => LinkConnection["up"]): DirectionStats => {
    let queuedBytes = 0;
    let pausedSenders = 0;
    for (const c of connections) {
      queuedBytes += pick(c).queuedBytes;
      if (pick(c).sourcePaused) pausedSenders += 1;
    }
    return { ...totals, queuedBytes, pausedSenders };
  };

  return {
    ...bound,
    url: `http://${formatHostPort(bound)}`,
    target,
    profile,
    queueLimitBytes,
    stats: () => ({
      connectionsOpen: connections.size,
      connectionsTotal,
      up: directionStats(up, (c) => c.up),
      down: directionStats(down, (c) => c.down),
    }),
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.destroy();
      connections.clear();
      await closed;
    },
  };
}
