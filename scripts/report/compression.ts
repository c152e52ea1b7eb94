import { BENCH_LABELS, type BenchTransport } from "../bench/transports.js";
import type { BenchResults } from "../bench/results.js";
import { bytes, ms } from "./format.js";
import { overlaps, ratioOf, withSpread, type Spread } from "./spread.js";
import { spreadAcross, type TransportFigures } from "./summary.js";
import type { Table } from "./tables.js";

/** One transport measured uncompressed and compressed in the same run (`--compress`). */
export interface CompressionPair {
  transport: BenchTransport;
  label: string;
  off: TransportFigures;
  on: TransportFigures;
}

export function hasCompression(r: BenchResults): boolean {
  return r.config.compress !== undefined;
}

/** Each transport's uncompressed and compressed phases, in the run's transport order. */
export function compressionPairs(list: readonly TransportFigures[]): CompressionPair[] {
  return list.flatMap((off) => {
    if (off.run.compression !== "off") return [];
    const on = list.find((f) => f.transport === off.transport && f.run.compression !== undefined && f.run.compression !== "off");
    return on === undefined ? [] : [{ transport: off.transport, label: BENCH_LABELS[off.transport], off, on }];
  });
}

type Pick = (f: TransportFigures) => number | null | undefined;

const total = (b: { up: number; down: number } | null | undefined): number | null => (b === null || b === undefined ? null : b.up + b.down);

/** Server memory per connection: the server's RSS once every subscriber was connected, less before the first connected, over the clients. */
export function memoryPerConnection(f: TransportFigures): number | null {
  const m = f.run.serverMemory;
  if (m === undefined || f.clients === 0) return null;
  return (m.connectedRssBytes - m.beforeRssBytes) / f.clients;
}

function shown(f: TransportFigures, pick: Pick, show: (v: number) => string): string {
  const s = spreadAcross(f, pick);
  return s === null ? "–" : withSpread(s, show);
}

/** Compressed over uncompressed, as a ratio of medians; "within noise" when the repeats' ranges overlap. */
function ratio(off: Spread | null, on: Spread | null): string {
  if (off === null || on === null) return "–";
  const r = ratioOf(on, off).median;
  const text = r === Number.POSITIVE_INFINITY ? "∞×" : `${r.toFixed(2)}×`;
  return off.n > 1 && overlaps(off, on) ? `${text}, within noise` : text;
}

const kib = (v: number): string => `${(v / 1024).toFixed(1)} KiB`;

/** Per transport: bytes per message, server CPU per 1,000 deliveries and server memory per connection, uncompressed and compressed. */
export function compressionTable(pairs: readonly CompressionPair[]): Table {
  const figures: [string, Pick, (v: number) => string][] = [
    ["bytes / message", (f) => total(f.bytesPerMessage), bytes],
    ["server CPU / 1,000 deliveries", (f) => f.serverCpuMsPer1000, ms],
    ["server memory / connection", memoryPerConnection, kib],
  ];
  return {
    head: ["transport", "coding", ...figures.flatMap(([name]) => [`${name}, off`, `${name}, on`, "on / off"])],
    rows: pairs.map((p) => [
      p.label,
      p.on.run.compression ?? "–",
      ...figures.flatMap(([, pick, show]) => [shown(p.off, pick, show), shown(p.on, pick, show), ratio(spreadAcross(p.off, pick), spreadAcross(p.on, pick))]),
    ]),
  };
}
