import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from "node:perf_hooks";
import type { ThreadLoad } from "../results.js";

/** Node samples event-loop delay with a timer of this period, and records the period itself too. */
export const DELAY_RESOLUTION_MS = 10;

/** Delay in ms from a monitorEventLoopDelay value in ns, without the sampling period. */
export function delayMs(ns: number): number {
  return Math.max(0, Math.round(ns / 1e3 - DELAY_RESOLUTION_MS * 1e3) / 1e3);
}

/** How busy this thread's event loop was over a window: utilisation and delay percentiles. */
export class ThreadLoadMonitor {
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
  private start: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(private readonly name: string) {
    this.delay.enable();
  }

  reset(): void {
    this.delay.reset();
    this.start = performance.eventLoopUtilization();
  }

  read(): ThreadLoad {
    const elu = performance.eventLoopUtilization(this.start).utilization;
    return {
      name: this.name,
      elu: Math.round(elu * 1000) / 1000,
      delayP99Ms: this.delay.count > 0 ? delayMs(this.delay.percentile(99)) : 0,
      delayMaxMs: this.delay.count > 0 ? delayMs(this.delay.max) : 0,
    };
  }

  stop(): void {
    this.delay.disable();
  }
}

/** Absolute time in ms with sub-ms precision, comparable across this process's threads. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
