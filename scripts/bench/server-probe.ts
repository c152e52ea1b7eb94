import { monitorEventLoopDelay } from "node:perf_hooks";
import { DELAY_RESOLUTION_MS, delayMs } from "./measure/thread-load.js";

/**
 * Loaded with `--import` into the bench's child server, before server/main.ts: it measures what
 * only the server's own process can (CPU time, RSS, event-loop delay) and answers the bench over
 * the IPC channel, without touching the server's code or its HTTP surface.
 */

export interface ProbeSample {
  type: "sample";
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  peakRssBytes: number;
  delayP99Ms: number;
  delayMaxMs: number;
}

export type ProbeCommand = { type: "sample" } | { type: "reset" };

if (process.send !== undefined) {
  const delay = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  delay.enable();
  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  rssTimer.unref();

  process.on("message", (command: ProbeCommand) => {
    if (command.type === "reset") {
      delay.reset();
      peakRss = process.memoryUsage.rss();
      return;
    }
    const cpu = process.cpuUsage();
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const sample: ProbeSample = {
      type: "sample",
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      rssBytes: rss,
      peakRssBytes: peakRss,
      delayP99Ms: delay.count > 0 ? delayMs(delay.percentile(99)) : 0,
      delayMaxMs: delay.count > 0 ? delayMs(delay.max) : 0,
    };
    process.send?.(sample);
  });
  // The channel must not keep the server alive after main.ts decides to exit.
  process.channel?.unref();
}
