/**
 * STOMP heart-beating (1.2, "Heart-beating"). CONNECT says `cx,cy` (the client can send one every
 * cx ms; it wants one every cy ms), CONNECTED answers `sx,sy`. Each direction is off when either
 * side says 0, else it runs at the larger of the two.
 */
export interface HeartBeats {
  /** The server sends something at least this often (ms); 0: never required. */
  outgoingMs: number;
  /** The client must send something at least this often (ms); 0: never required. */
  incomingMs: number;
}

const PAIR = /^(0|[1-9][0-9]{0,8}),(0|[1-9][0-9]{0,8})$/;

/** `cx,cy` as two numbers, or null when malformed. An absent header is "0,0". */
export function parseHeartBeat(value: string | undefined): [number, number] | null {
  if (value === undefined) return [0, 0];
  const match = PAIR.exec(value.trim());
  return match === null ? null : [Number(match[1]), Number(match[2])];
}

/** Both directions, from the client's `cx,cy` and the server's own `sx,sy`. */
export function negotiateHeartBeats([cx, cy]: [number, number], [sx, sy]: [number, number]): HeartBeats {
  return {
    outgoingMs: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
    incomingMs: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
  };
}

/**
 * How long a client may stay silent past its interval before it is taken for dead: the spec leaves
 * the margin to the server; one and a half intervals allow for a client's timer jitter and a
 * congested link without keeping a dead connection for long.
 */
export function silenceLimitMs(incomingMs: number): number {
  return Math.ceil(incomingMs * 1.5);
}
