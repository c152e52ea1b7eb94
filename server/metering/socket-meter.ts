import type { Socket } from "node:net";
import type { Metered } from "../../protocol/types.js";
import type { Stats } from "./stats.js";

/** Who the bytes on a socket belong to right now. */
interface Owner {
  transport: Metered | null;
  client: string | undefined;
}

interface Tracked {
  owner: Owner | null;
  /** socket.bytesRead / bytesWritten already attributed. */
  read: number;
  written: number;
  counted: boolean;
}

/**
 * Counts bytes where they really pass: Node's own socket counters (request lines, headers, chunk
 * framing, bodies, WebSocket frames and handshakes included). A keep-alive socket serves requests
 * one after the other, so each request owns the socket from its start until its response ends, and
 * gets the counters' deltas over that span. Held connections (streams, SSE, WebSockets) are read
 * live at every snapshot, so the dashboard sees their bytes grow while they are open.
 */
export class SocketMeter {
  private readonly sockets = new Map<Socket, Tracked>();

  constructor(private readonly stats: Stats) {}

  /** A request for `transport` (null: not metered) starts on `socket`. */
  claim(socket: Socket, transport: Metered | null, client: string | undefined): void {
    let tracked = this.sockets.get(socket);
    if (tracked === undefined) {
      tracked = { owner: null, read: 0, written: 0, counted: false };
      this.sockets.set(socket, tracked);
      socket.once("close", () => this.forget(socket));
    }
    // Bytes since the last release belong to this request (its own request line and headers).
    tracked.owner = { transport, client };
    if (transport !== null) {
      this.stats.add(transport, client, "requests");
      this.stats.add(transport, client, "open");
      if (!tracked.counted) this.stats.add(transport, client, "connections");
    }
    tracked.counted = true;
  }

  /** The request's response has ended (or the client left): attribute its bytes. */
  release(socket: Socket): void {
    const tracked = this.sockets.get(socket);
    if (tracked?.owner == null) return;
    this.flush(socket, tracked);
    const { transport, client } = tracked.owner;
    if (transport !== null) this.stats.add(transport, client, "open", -1);
    tracked.owner = null;
  }

  /** Bring every open socket's counters up to date (before reading stats). */
  flushAll(): void {
    for (const [socket, tracked] of this.sockets) this.flush(socket, tracked);
  }

  get trackedSockets(): number {
    return this.sockets.size;
  }

  private flush(socket: Socket, tracked: Tracked): void {
    if (tracked.owner === null) return;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    const { transport, client } = tracked.owner;
    if (transport !== null) {
      this.stats.add(transport, client, "bytesIn", read - tracked.read);
      this.stats.add(transport, client, "bytesOut", written - tracked.written);
    }
    tracked.read = read;
    tracked.written = written;
  }

  private forget(socket: Socket): void {
    this.release(socket);
    this.sockets.delete(socket);
  }
}
