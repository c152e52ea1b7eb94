/**
 * Reconnection delay with exponential growth and "equal jitter": a random delay in [cap/2, cap],
 * where cap doubles per failed attempt up to `maxMs`. Jitter keeps many clients that lost the same
 * server from reconnecting in one synchronized wave.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 10_000 };

/** Delay before reconnect attempt number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  // Never below half the cap: a retry storm against a dead server helps nobody.
  return Math.round(cap / 2 + random() * (cap / 2));
}
