import type { ChartConfiguration } from "chart.js";
import type { BenchResults } from "../bench/results.js";
import type { ScaleResults } from "../bench/scale/results.js";
import { COLORS, type NamedChart } from "./charts.js";
import { figuresOf } from "./scale.js";
import { scaleFigures, type ScaleTransportFigures, type StepFigures } from "./scale-figures.js";

/**
 * One line per transport over the ramp's steps (clients on a log axis: the steps grow by 2-2.5×);
 * with --baseline, the bare server's ramp of each transport as a dashed line in the same colour.
 */
function overSteps(
  list: ScaleTransportFigures[],
  bare: ScaleTransportFigures[],
  title: string,
  yTitle: string,
  pick: (f: StepFigures) => number | null,
  logY: boolean,
): ChartConfiguration {
  const line = (t: ScaleTransportFigures, side: "lab" | "bare") => ({
    label: side === "lab" ? t.label : `${t.label} (bare server)`,
    borderColor: COLORS[t.transport],
    backgroundColor: COLORS[t.transport],
    pointRadius: 3,
    ...(side === "bare" ? { borderDash: [6, 4] } : {}),
    data: t.steps.flatMap((f) => {
      const y = pick(f);
      return y === null || !Number.isFinite(y) || (logY && y <= 0) ? [] : [{ x: f.clients, y }];
    }),
  });
  return {
    type: "line",
    data: {
      datasets: [...list.map((t) => line(t, "lab")), ...bare.map((t) => line(t, "bare"))],
    },
    options: {
      plugins: { title: { display: true, text: title } },
      scales: {
        x: { type: "logarithmic", title: { display: true, text: "subscribers" } },
        y: { type: logY ? "logarithmic" : "linear", title: { display: true, text: yTitle } },
      },
    },
  };
}

export function scaleCharts(r: BenchResults & { scale: ScaleResults }): NamedChart[] {
  const list = figuresOf(r);
  const bare = r.scale.bare === undefined ? [] : scaleFigures({ ...r.scale, transports: r.scale.bare }, r.config, r.machine.cores);
  return [
    {
      name: "scale-p99",
      title: "p99 latency over the ramp",
      png: true,
      config: overSteps(list, bare, `p99 delivery latency at ${r.config.rate} msg/s (ms, log scale)`, "ms", (f) => f.p99, true),
    },
    {
      name: "scale-rss",
      title: "Memory per connection",
      png: true,
      config: overSteps(list, bare, "Server RSS per connection after a full collection (KiB)", "KiB", (f) => f.rssPerConnection / 1024, false),
    },
    {
      name: "scale-idle-cpu",
      title: "Idle CPU per connection",
      png: true,
      config: overSteps(list, bare, "Server CPU per idle connection per second (µs, log scale)", "µs", (f) => f.idleCpuUsPerConnectionSecond, true),
    },
  ];
}
