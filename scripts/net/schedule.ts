/**
 * The link's timing model, as pure arithmetic (the sockets live in direction.ts and link.ts).
 *
 * Each direction of a connection is a pipe with a one-way delay d = RTT/2 and a bandwidth B. A
 * segment of n bytes that reaches the proxy at time a is delivered, whole, at
 *
 *   release = max(a + d, previous release) + n·8/B
 *
 * which is the textbook link (serialize at B, then propagate for d) written with propagation
 * first: for a FIFO pipe both give the same delivery times, and this form needs only one number of
 * state, the previous release. A sender faster than B builds a queue; bytes leave at B.
 *
 * The TCP handshake. A client's connect to the proxy completes at once (the kernel answers the
 * SYN), so the handshake must be paid later, on the data. On a real link, a client that starts
 * connecting at t0 gets its SYN-ACK at t0 + RTT, can send then, and its first bytes reach the
 * server at t0 + 1.5 RTT; the server accepts when the final ACK arrives, also at t0 + 1.5 RTT, and
 * its first answer reaches the client at the earliest t0 + 2 RTT. So the proxy opens the upstream
 * connection 1.5 RTT after accepting the client and holds the client's early bytes until then
 * (the up direction starts with its "previous release" at t0 + 1.5 RTT). What the client sees: its
 * connect event fires at once, but a request sent right away gets its first answer byte 2 RTT
 * after the connect started, as over a real link. A server that speaks first (a banner) is heard
 * at t0 + 2 RTT too. TLS and WebSocket handshakes are ordinary bytes here and pay their round trips
 * like any request.
 */

export interface DirectionRate {
  /** Half the round-trip time, in milliseconds. */
  oneWayMs: number;
  /** Bits per second; null: unlimited. */
  bitsPerSecond: number | null;
}

/** How long n bytes occupy the link. */
export function serializationMs(bytes: number, bitsPerSecond: number | null): number {
  return bitsPerSecond === null ? 0 : (bytes * 8 * 1000) / bitsPerSecond;
}

/** When a segment that reached the proxy at `arrivalMs` is delivered, given when the previous one was. */
export function releaseAt(arrivalMs: number, bytes: number, previousReleaseMs: number, rate: DirectionRate): number {
  return Math.max(arrivalMs + rate.oneWayMs, previousReleaseMs) + serializationMs(bytes, rate.bitsPerSecond);
}

/** Serialization time one segment stands for: short enough that bytes trickle as packets would, long enough not to need a timer per packet. */
export const SEGMENT_MS = 5;
const MIN_SEGMENT_BYTES = 1460;
const MAX_SEGMENT_BYTES = 64 * 1024;

/**
 * The largest piece released at once. A socket hands the proxy up to 64 KiB per read; at 1.6 Mbit/s
 * that is 330 ms on the wire, and delivering it in one lump at the end would hide the first bytes
 * behind the last. Pieces of about SEGMENT_MS (never less than one Ethernet MSS) keep the arrival
 * curve close to a real link's.
 */
export function segmentBytes(bitsPerSecond: number | null): number {
  if (bitsPerSecond === null) return MAX_SEGMENT_BYTES;
  const bytes = Math.floor((bitsPerSecond / 8) * (SEGMENT_MS / 1000));
  return Math.min(MAX_SEGMENT_BYTES, Math.max(MIN_SEGMENT_BYTES, bytes));
}

/** When, after accepting a client at t0, the upstream connection opens and the client's first bytes may reach the server. */
export function handshakeDelayMs(rttMs: number): number {
  return 1.5 * rttMs;
}
