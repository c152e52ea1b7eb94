import type { ChartConfiguration } from "chart.js";
import type { Transport } from "../../protocol/types.js";
import type { BenchResults } from "../bench/results.js";
import { allFigures, type TransportFigures } from "./summary.js";

/**
 * chart.js configurations built from the figures alone: plain data, no functions, so the same
 * object is inlined as JSON into report.html and drawn on a canvas for the PNGs.
 */

export const COLORS: Record<Transport, string> = {
  poll: "#d62728",
  "long-poll": "#ff7f0e",
  stream: "#2ca02c",
  sse: "#1f77b4",
  ws: "#9467bd",
};

export interface NamedChart {
  /** File stem of the PNG, and the element id in the HTML. */
  name: string;
  title: string;
  /** Among the main figures that get a PNG for READMEs. */
  png: boolean;
  config: ChartConfiguration;
}

const title = (text: string): { display: boolean; text: string } => ({ display: true, text });

function latencyPercentiles(list: TransportFigures[]): ChartConfiguration {
  const labels = ["p50", "p90", "p99", "p99.9", "max"];
  return {
    type: "bar",
    data: {
      labels,
      datasets: list.map((f) => ({
        label: f.label,
        backgroundColor: COLORS[f.transport],
        data: [f.latency.p50, f.latency.p90, f.latency.p99, f.latency.p999, f.latency.max],
      })),
    },
    options: {
      plugins: { title: title("End-to-end latency by percentile (ms, log scale)") },
      scales: { y: { type: "logarithmic", title: { display: true, text: "ms" } } },
    },
  };
}

function latencyTimeline(list: TransportFigures[]): ChartConfiguration {
  return {
    type: "line",
    data: {
      datasets: list.map((f) => ({
        label: `${f.label} p99`,
        borderColor: COLORS[f.transport],
        backgroundColor: COLORS[f.transport],
        pointRadius: 2,
        data: f.run.latency.timeline.map((p) => ({ x: p.second, y: p.p99 })),
      })),
    },
    options: {
      plugins: { title: title("p99 latency of the messages scheduled in each second (ms, log scale)") },
      scales: { x: { type: "linear", title: { display: true, text: "second of the measured window" } }, y: { type: "logarithmic", title: { display: true, text: "ms" } } },
    },
  };
}

/** Stacked bars: the framing floor at the bottom, what this run spent above it on top. */
function floorStack(list: TransportFigures[], heading: string, unit: string, pick: (f: TransportFigures) => { measured: number; floor: number } | null): ChartConfiguration {
  const shown = list.filter((f) => pick(f) !== null);
  const values = shown.map((f) => pick(f) ?? { measured: 0, floor: 0 });
  return {
    type: "bar",
    data: {
      labels: shown.map((f) => f.label),
      datasets: [
        { label: "framing floor", backgroundColor: "#9ecae1", data: values.map((v) => Math.min(v.floor, v.measured)) },
        { label: "overhead above the floor", backgroundColor: "#e6550d", data: values.map((v) => Math.max(0, v.measured - v.floor)) },
      ],
    },
    options: {
      plugins: { title: title(heading) },
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: unit } } },
    },
  };
}

function simpleBars(list: TransportFigures[], heading: string, unit: string, pick: (f: TransportFigures) => number | null, log = false): ChartConfiguration {
  const shown = list.filter((f) => pick(f) !== null);
  return {
    type: "bar",
    data: {
      labels: shown.map((f) => f.label),
      datasets: [{ label: unit, backgroundColor: shown.map((f) => COLORS[f.transport]), data: shown.map((f) => pick(f) ?? 0) }],
    },
    options: {
      plugins: { title: title(heading), legend: { display: false } },
      scales: { y: { ...(log ? { type: "logarithmic" as const } : {}), title: { display: true, text: unit } } },
    },
  };
}

export function charts(results: BenchResults): NamedChart[] {
  const list = allFigures(results);
  const sum = (b: { up: number; down: number }): number => b.up + b.down;
  const idle = results.config.rate === 0;
  const out: NamedChart[] = [
    { name: "latency", title: "Latency percentiles", png: true, config: latencyPercentiles(list.filter((f) => f.latency.count > 0)) },
    { name: "latency-timeline", title: "Latency over time", png: false, config: latencyTimeline(list.filter((f) => f.latency.count > 0)) },
    {
      name: "bytes-per-message", title: "Bytes per message", png: true,
      config: floorStack(list, "Bytes on the wire per delivered message, both directions: framing floor vs overhead", "bytes", (f) =>
        f.bytesPerMessage === null || f.floorPerMessage === null ? null : { measured: sum(f.bytesPerMessage), floor: sum(f.floorPerMessage) }),
    },
    { name: "requests-per-message", title: "Requests per message", png: false, config: simpleBars(list, "HTTP requests per delivered message", "requests", (f) => f.requestsPerMessage) },
    {
      name: "per-client", title: idle ? "Idle cost per client" : "Cost per client", png: true,
      // Idle costs span orders of magnitude (a poll every second against a ping every 30 s): log scale.
      config: idle
        ? simpleBars(list, "Bytes per idle client per second, both directions (log scale)", "bytes / client / s", (f) => sum(f.bytesPerClientSecond), true)
        : floorStack(list, `Bytes per ${idle ? "idle " : ""}client per second, both directions: floor vs overhead`, "bytes / client / s", (f) => ({
        measured: sum(f.bytesPerClientSecond), floor: sum(f.floorPerClientSecond),
      })),
    },
    {
      name: "server-cpu", title: "Server CPU", png: true,
      config: idle
        ? simpleBars(list, "Server CPU time (user+sys) over the idle window", "ms", (f) => (f.run.server === null ? null : f.run.server.cpuUserMs + f.run.server.cpuSystemMs))
        : simpleBars(list, "Server CPU time (user+sys) per 1,000 deliveries", "ms", (f) => f.serverCpuMsPer1000),
    },
  ];
  return out.filter((c) => c.config.data.datasets.some((d) => d.data.length > 0));
}
