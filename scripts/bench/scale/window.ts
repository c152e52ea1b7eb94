import type { Transport } from "../../../protocol/types.js";
import { summarize } from "../measure/histogram.js";
import { saturationReasons } from "../measure/saturation.js";
import { epochNow, type ThreadLoadMonitor } from "../measure/thread-load.js";
import type { Publisher } from "../publisher.js";
import type { ServerProbe } from "../server-process.js";
import type { ServerControl } from "./control.js";
import type { ScaleGenerator, WindowEnd } from "./generator.js";
import { machineCpu, readCpuTicks } from "./machine-cpu.js";
import type { ScaleWindow } from "./results.js";

/** What a window is measured with: the server's probe and stats, the generator's threads and publisher, the machine. */
export interface WindowMeter {
  transport: Transport;
  probe: ServerProbe;
  control: ServerControl;
  pool: ScaleGenerator;
  publisher: Publisher;
  mainLoad: ThreadLoadMonitor;
  cores: number;
}

export function cpuMsOf(sample: { cpuUserUs: number; cpuSystemUs: number }): number {
  return (sample.cpuUserUs + sample.cpuSystemUs) / 1000;
}

/**
 * One measured window around `body` (which receives the window's start, epoch ms): the server's
 * CPU, counters, peak RSS and event-loop delay; the generator's CPU, its threads' load and the
 * publisher's lag, with the saturation verdict; the whole machine's CPU. `count` measured messages
 * are expected in it (0 for an idle window).
 */
export async function measureWindow<T>(
  m: WindowMeter,
  count: number,
  body: (startMs: number) => Promise<T>,
): Promise<{ window: ScaleWindow; end: WindowEnd; result: T }> {
  if (m.pool.error !== null) throw m.pool.error;
  // Stats first: answering the bench's own /api/stats is not the transport's cost (run-transport.ts).
  const stats0 = await m.control.stats();
  m.probe.reset();
  const cpu0 = await m.probe.sample();
  const ticks0 = readCpuTicks();
  const gen0 = process.cpuUsage();
  const t0 = epochNow();
  m.mainLoad.reset();
  m.publisher.lag.reset();
  const startMs = epochNow() + 50;
  await m.pool.windowStart(startMs, count);
  const result = await body(startMs);
  const end = await m.pool.windowEnd();
  const cpu1 = await m.probe.sample();
  const stats1 = await m.control.stats();
  const ticks1 = readCpuTicks();
  const wallMs = epochNow() - t0;
  const gen = process.cpuUsage(gen0);
  const genCpuMs = (gen.user + gen.system) / 1000;
  const threads = [m.mainLoad.read(), ...end.loads];
  const lag = summarize(m.publisher.lag);
  const reasons = saturationReasons({ threads, publishLagP99Ms: lag.p99, cpuMs: genCpuMs, wallMs, cores: m.cores });
  const a = stats1.transports[m.transport];
  const b = stats0.transports[m.transport];
  return {
    window: {
      wallMs,
      server: {
        cpuMs: cpuMsOf(cpu1) - cpuMsOf(cpu0),
        requests: a.requests - b.requests,
        bytesOut: a.bytesOut - b.bytesOut,
        delivered: a.delivered - b.delivered,
        eventLoopDelayP99Ms: cpu1.delayP99Ms,
        eventLoopDelayMaxMs: cpu1.delayMaxMs,
        peakRssBytes: cpu1.peakRssBytes,
      },
      generator: { cpuMs: genCpuMs, wallMs, threads, publishLagP99Ms: lag.p99, saturated: reasons.length > 0, reasons },
      machine: machineCpu(ticks0, ticks1, m.cores, wallMs),
    },
    end,
    result,
  };
}
