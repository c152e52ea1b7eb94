import type { DirectionStats, LinkStats } from "./link.js";
import { formatBitRate } from "./profiles.js";

/**
 * One line for the CLI: connections, then bytes delivered each way with the rate since the
 * previous line and what is waiting in the link.
 * "2 open (5 total) · down 1.20 MB, 1.58 Mbit/s, 96.0 kB queued · up 34.0 kB, 12 kbit/s"
 */
export function formatStatus(now: LinkStats, before: LinkStats, intervalMs: number): string {
  const direction = (name: string, current: DirectionStats, previous: DirectionStats) => {
    const rate = intervalMs > 0 ? ((current.bytesOut - previous.bytesOut) * 8 * 1000) / intervalMs : 0;
    const parts = [`${name} ${formatBytes(current.bytesOut)}`, rate > 0 ? formatBitRate(Number(rate.toPrecision(3))) : "idle"];
    if (current.queuedBytes > 0) parts.push(`${formatBytes(current.queuedBytes)} queued`);
    if (current.pausedSenders > 0) parts.push(`${current.pausedSenders} sender${current.pausedSenders === 1 ? "" : "s"} paused`);
    return parts.join(", ");
  };
  return [`${now.connectionsOpen} open (${now.connectionsTotal} total)`, direction("down", now.down, before.down), direction("up", now.up, before.up)].join(
    " · ",
  );
}

/** "0 B", "980 B", "34.1 kB", "1.20 MB": decimal units, as the bandwidths are. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(2)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
