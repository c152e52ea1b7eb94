import { hasFailover } from "./failover.js";
import type { ChartConfiguration } from "chart.js";
import { TRANSPORT_COLORS } from "../../protocol/palette.js";
import type { BenchResults } from "../bench/results.js";
import { bytes, ms } from "./format.js";
import { hasScale } from "./scale.js";
import { scaleCharts } from "./scale-charts.js";
import { withSpread } from "./spread.js";
import { allFigures, repeatCount, spreadAcross, type TransportFigures } from "./summary.js";
import { hasVersions, versionCharts } from "./versions.js";

/**
 * chart.js configurations built from the figures alone: plain data, no functions, so the same
 * object is inlined as JSON into report.html and drawn on a canvas for the PNGs.
 */

/** One colour per transport, the dashboard's own (protocol/palette.ts), so a report looks like the lab. */
export const COLORS = TRANSPORT_COLORS;

export interface NamedChart {
  /** File stem of the PNG, and the element id in the HTML. */
  name: string;
  title: string;
  /** Among the main figures that get a PNG for READMEs. */
  png: boolean;
  config: ChartConfiguration;
}

const title = (text: string): { display: boolean; text: string } => ({ display: true, text });

function latencyPercentiles(list: TransportFigures[], note: string): ChartConfiguration {
  const labels = ["p50", "p90", "p99", "p99.9", "max"];
  return {
    type: "bar",
    data: {
      labels,
      datasets: list.map((f) => ({
        label: `${f.label} (p99 ${withSpread(spreadAcross(f, (o) => o.latency.p99) ?? { median: f.latency.p99, min: f.latency.p99, max: f.latency.p99, n: 1 }, ms)})`,
        backgroundColor: COLORS[f.transport],
        data: [f.latency.p50, f.latency.p90, f.latency.p99, f.latency.p999, f.latency.max],
      })),
    },
    options: {
      plugins: { title: title(`End-to-end latency by percentile (ms, log scale${note})`) },
      scales: { y: { type: "logarithmic", title: { display: true, text: "ms" } } },
    },
  };
}

function latencyTimeline(list: TransportFigures[], note: string): ChartConfiguration {
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
      plugins: { title: title(`p99 latency of the messages scheduled in each second (ms, log scale${note ? "; each second's median over the repeats" : ""})`) },
      scales: {
        x: { type: "linear", title: { display: true, text: "second of the measured window" } },
        y: { type: "logarithmic", title: { display: true, text: "ms" } },
      },
    },
  };
}

/**
 * Category labels that carry the figure: the transport, then its median with the repeats' range.
 * A zero is written out, so a bar that is not drawn (a zero on a log scale, or one too short to
 * see) still shows its value.
 */
function labelled(f: TransportFigures, value: number, pick: (one: TransportFigures) => number | null, show: (v: number) => string): string[] {
  const s = spreadAcross(f, pick);
  const text = s === null ? show(value) : withSpread(s, show);
  return [f.label, value === 0 && (s === null || s.max === 0) ? `${text}: none (no bar)` : text];
}

/** A thin black bar from the lowest to the highest repeat, drawn over each transport's bar (none for a single repeat). */
function rangeBars(
  shown: TransportFigures[],
  pick: (f: TransportFigures) => number | null,
  extra: { stack?: string } = {},
): { label: string; backgroundColor: string; grouped: boolean; barPercentage: number; data: ([number, number] | null)[]; order: number; stack?: string }[] {
  const ranges = shown.map((f): [number, number] | null => {
    const s = spreadAcross(f, pick);
    return s === null || s.n < 2 ? null : [s.min, s.max];
  });
  // chart.js draws the highest `order` first: order 0 puts the range over its bar.
  return ranges.some((r) => r !== null)
    ? [{ label: "range of the repeats", backgroundColor: "#000000", grouped: false, barPercentage: 0.03, data: ranges, order: 0, ...extra }]
    : [];
}

/** Stacked bars: the framing floor at the bottom, what this run spent above it on top. */
function floorStack(
  list: TransportFigures[],
  heading: string,
  unit: string,
  pick: (f: TransportFigures) => { measured: number; floor: number } | null,
): ChartConfiguration {
  const shown = list.filter((f) => pick(f) !== null);
  const values = shown.map((f) => pick(f) ?? { measured: 0, floor: 0 });
  return {
    type: "bar",
    data: {
      labels: shown.map((f, i) => labelled(f, values[i]?.measured ?? 0, (o) => pick(o)?.measured ?? null, bytes)),
      datasets: [
        { label: "framing floor", backgroundColor: "#9ecae1", data: values.map((v) => Math.min(v.floor, v.measured)), order: 1 },
        { label: "overhead above the floor", backgroundColor: "#e6550d", data: values.map((v) => Math.max(0, v.measured - v.floor)), order: 1 },
        ...rangeBars(shown, (o) => pick(o)?.measured ?? null, { stack: "range" }),
      ],
    },
    options: {
      plugins: { title: title(heading) },
      scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: unit } } },
    },
  };
}

/**
 * One bar per transport at its median, a thin black bar over it from the lowest to the highest
 * repeat, and the value with its range under it. On a log scale a zero has no bar at all, so a
 * chart with a zero in it is drawn on a linear scale whatever was asked: a cost of 0 must be seen
 * as 0, not as a missing transport; its label says "none" when the bar is too short to see.
 */
function simpleBars(
  list: TransportFigures[],
  heading: string,
  unit: string,
  pick: (f: TransportFigures) => number | null,
  show: (v: number) => string,
  log = false,
): ChartConfiguration {
  const shown = list.filter((f) => pick(f) !== null);
  // The median over the repeats: a pick that reads `run` would see all repeats summed.
  const values = shown.map((f) => spreadAcross(f, pick)?.median ?? pick(f) ?? 0);
  const useLog = log && values.every((v) => v > 0) && shown.every((f) => (spreadAcross(f, pick)?.min ?? 1) > 0);
  const scale = useLog ? "log scale" : log ? "linear scale: a log scale cannot draw the zeros" : "";
  return {
    type: "bar",
    data: {
      labels: shown.map((f, i) => labelled(f, values[i] ?? 0, pick, show)),
      datasets: [{ label: unit, backgroundColor: shown.map((f) => COLORS[f.transport]), data: values, order: 1 }, ...rangeBars(shown, pick)],
    },
    options: {
      plugins: { title: title(scale === "" ? heading : `${heading} (${scale})`), legend: { display: false } },
      scales: { y: { ...(useLog ? { type: "logarithmic" as const } : { beginAtZero: true }), title: { display: true, text: unit } } },
    },
  };
}

export function charts(results: BenchResults): NamedChart[] {
  if (hasScale(results)) return scaleCharts(results);
  // A failover run's figures are one table; there is nothing over time to draw.
  if (hasFailover(results)) return [];
  const list = allFigures(results);
  const sum = (b: { up: number; down: number }): number => b.up + b.down;
  const idle = results.config.rate === 0;
  const repeats = repeatCount(results);
  const note = repeats > 1 ? `; medians of ${repeats} repeats` : "";
  const out: NamedChart[] = [
    {
      name: "latency",
      title: "Latency percentiles",
      png: true,
      config: latencyPercentiles(
        list.filter((f) => f.latency.count > 0),
        note,
      ),
    },
    {
      name: "latency-timeline",
      title: "Latency over time",
      png: false,
      config: latencyTimeline(
        list.filter((f) => f.latency.count > 0),
        note,
      ),
    },
    {
      name: "bytes-per-message",
      title: "Bytes per message",
      png: true,
      config: floorStack(list, `Bytes on the wire per delivered message, both directions: framing floor vs overhead${note}`, "bytes", (f) =>
        f.bytesPerMessage === null || f.floorPerMessage === null ? null : { measured: sum(f.bytesPerMessage), floor: sum(f.floorPerMessage) },
      ),
    },
    {
      name: "requests-per-message",
      title: "Requests per message",
      png: false,
      config: simpleBars(
        list,
        `HTTP requests per delivered message${note}`,
        "requests",
        (f) => f.requestsPerMessage,
        (v) => v.toFixed(3),
      ),
    },
    {
      name: "per-client",
      title: idle ? "Idle cost per client" : "Cost per client",
      png: true,
      // Idle costs span orders of magnitude (a poll every second against a ping every 30 s): log scale, unless a zero needs drawing.
      config: idle
        ? simpleBars(list, `Bytes per idle client per second, both directions${note}`, "bytes / client / s", (f) => sum(f.bytesPerClientSecond), bytes, true)
        : floorStack(list, `Bytes per client per second, both directions: floor vs overhead${note}`, "bytes / client / s", (f) => ({
            measured: sum(f.bytesPerClientSecond),
            floor: sum(f.floorPerClientSecond),
          })),
    },
    {
      name: "server-cpu",
      title: "Server CPU",
      png: true,
      config: idle
        ? simpleBars(
            list,
            `Server CPU time (user+sys) over the idle window${note}`,
            "ms",
            (f) => (f.run.server === null ? null : f.run.server.cpuUserMs + f.run.server.cpuSystemMs),
            ms,
          )
        : simpleBars(list, `Server CPU time (user+sys) per 1,000 deliveries${note}`, "ms", (f) => f.serverCpuMsPer1000, ms),
    },
  ];
  if (hasVersions(results) && !idle) out.push(...versionCharts(list).map((c) => ({ ...c, png: true })));
  return out.filter((c) => c.config.data.datasets.some((d) => d.data.length > 0));
}
