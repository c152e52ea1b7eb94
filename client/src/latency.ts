import type { ChatMessage } from "../../protocol/types.js";
import { CHAT_TRANSPORTS, type ChatTransport } from "./transports/kinds.js";

/**
 * Arrival delays, measured in this tab. For a message this tab sent, from the moment it was sent
 * (same clock, so exact); for anyone else's, from the server's `time` (assumes the clocks agree,
 * which they do when browser and server share a machine).
 */
const sentAt = new Map<string, number>();
const SENT_KEEP = 1_000;

export function markSent(nonce: string): void {
  sentAt.set(nonce, Date.now());
  // Bounded: a tab left open for hours must not grow without limit.
  if (sentAt.size > SENT_KEEP) {
    const oldest = sentAt.keys().next().value;
    if (oldest !== undefined) sentAt.delete(oldest);
  }
}

export function arrivalDelay(message: ChatMessage, now = Date.now()): number {
  const sent = message.nonce === undefined ? undefined : sentAt.get(message.nonce);
  return Math.max(0, now - (sent ?? message.time));
}

/** The last few hundred delays per transport, for p50/p95 in the cost view. */
const SAMPLE_KEEP = 500;
const samples = Object.fromEntries(CHAT_TRANSPORTS.map((t) => [t, [] as number[]])) as Record<ChatTransport, number[]>;

/**
 * Record the delay of a message that was published while `transport` was subscribed (at or after
 * `subscribedAt`); a replay of older history measures how old the message is, not the transport.
 */
export function recordDelay(transport: ChatTransport, message: ChatMessage, subscribedAt: number, ms: number): void {
  if (message.time < subscribedAt) return;
  const list = samples[transport];
  list.push(ms);
  if (list.length > SAMPLE_KEEP) list.shift();
}

export function delaySamples(transport: ChatTransport): readonly number[] {
  return samples[transport];
}

/** Nearest-rank percentile (p in 0..100); undefined for no samples. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}
