import type { Socket } from "node:net";
import { buildConnector } from "undici";
import type { ClientCounts } from "../results.js";

/**
 * Counts what the generator's own clients put on the wire: Node's socket counters, read when a
 * socket closes and live for sockets still open, so a snapshot can be taken at any moment.
 */
export class SocketCounter {
  requests = 0;
  private connections = 0;
  private closedUp = 0;
  private closedDown = 0;
  private readonly live = new Set<Socket>();

  track(socket: Socket): void {
    this.connections++;
    this.live.add(socket);
    socket.once("close", () => {
      this.closedUp += socket.bytesWritten;
      this.closedDown += socket.bytesRead;
      this.live.delete(socket);
    });
  }

  snapshot(): ClientCounts {
    let up = this.closedUp;
    let down = this.closedDown;
    for (const socket of this.live) {
      up += socket.bytesWritten;
      down += socket.bytesRead;
    }
    return { bytes: { up, down }, requests: this.requests, connections: this.connections };
  }

  /** An undici `connect` option that opens sockets as undici would and tracks each one. */
  connector(): buildConnector.connector {
    const base = buildConnector({});
    return (options, callback) => {
      base(options, (...args) => {
        const [error, socket] = args;
        if (error === null) this.track(socket);
        callback(...args);
      });
    };
  }
}

export function diffCounts(after: ClientCounts, before: ClientCounts): ClientCounts {
  return {
    bytes: { up: after.bytes.up - before.bytes.up, down: after.bytes.down - before.bytes.down },
    requests: after.requests - before.requests,
    connections: after.connections - before.connections,
  };
}

export function sumCounts(items: readonly ClientCounts[]): ClientCounts {
  const total: ClientCounts = { bytes: { up: 0, down: 0 }, requests: 0, connections: 0 };
  for (const c of items) {
    total.bytes.up += c.bytes.up;
    total.bytes.down += c.bytes.down;
    total.requests += c.requests;
    total.connections += c.connections;
  }
  return total;
}
