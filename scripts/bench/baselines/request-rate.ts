import autocannon from "autocannon";
import { httpChannel } from "../publish-channel.js";
import type { ServerHandle } from "../server-process.js";
import { fetchStats } from "../server-stats.js";
import type { RequestRateSample } from "./types.js";

/** autocannon's connections: as many as the bench's own autocannon run uses for polling. */
export const CANNON_CONNECTIONS = 100;
/** Messages in the feed before the run, so a long poll from one before the last answers at once. */
const PRIMED = 10;

/**
 * Polling requests per second under autocannon, as fast as it goes: `poll` asks after the newest
 * id (an empty answer, what most polls get), `long-poll` asks after the one before it (answered at
 * once with one message: a held long poll cannot be hammered, so this is its answer path). The
 * server's CPU and the bench process's own CPU (autocannon runs in its main thread) are recorded,
 * so a run the generator capped is flagged.
 */
export async function runRequestRate(server: ServerHandle, mode: "poll" | "long-poll", durationMs: number, size: number): Promise<RequestRateSample> {
  const channel = httpChannel(server.url);
  for (let i = 0; i < PRIMED; i++) await channel.send({ from: "bench", text: "x".repeat(Math.max(1, size)), nonce: `prime-${i}` });
  await channel.close();
  const { feed } = await fetchStats(server.url);
  const path = mode === "poll" ? `/api/poll?after=${feed.lastId}` : `/api/long-poll?after=${feed.lastId - 1}&timeout=25000`;
  server.probe?.reset();
  const cpuBefore = await server.probe?.sample();
  const generatorCpu = process.cpuUsage();
  const started = performance.now();
  const result = await autocannon({ url: `${server.url}${path}`, connections: CANNON_CONNECTIONS, duration: durationMs / 1000 });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(generatorCpu);
  const cpuAfter = await server.probe?.sample();
  const generatorCores = (cpu.user + cpu.system) / 1000 / wallMs;
  const reasons: string[] = [];
  // autocannon is one thread: near a full core, it (not the server) set the pace.
  if (generatorCores > 0.9) reasons.push(`autocannon's thread used ${generatorCores.toFixed(2)} of a core`);
  if (result.errors > 0 || result.non2xx > 0) reasons.push(`${result.errors} errors, ${result.non2xx} non-2xx answers`);
  return {
    path,
    connections: CANNON_CONNECTIONS,
    durationMs: result.duration * 1000,
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    errors: result.errors,
    non2xx: result.non2xx,
    p99Ms: result.latency.p99,
    serverCpuMs:
      cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter.cpuUserUs - cpuBefore.cpuUserUs + cpuAfter.cpuSystemUs - cpuBefore.cpuSystemUs) / 1000 : 0,
    generatorCores,
    generator: { saturated: reasons.length > 0, reasons },
  };
}
