import { availableParallelism } from "node:os";
import type { CliOptions } from "./args.js";
import { runAutocannon } from "./autocannon-runs.js";
import type { BenchEvents } from "./events.js";
import { machine, versions } from "./machine.js";
import { RESULTS_SCHEMA, type BenchResults, type TransportRun } from "./results.js";
import { runTransport } from "./run-transport.js";
import { serverEnvFor } from "./scenarios.js";
import { externalServer, startServer } from "./server-process.js";

/** A whole run: the server, then each transport in turn with the same workload, then autocannon. */
export async function runBench(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const { config } = options;
  const serverEnv = { ...serverEnvFor(config), ...options.serverEnv };
  events.tick({ transport: null, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
  const server = options.url !== undefined ? externalServer(options.url) : await startServer(serverEnv);
  const cores = availableParallelism();
  const transports: TransportRun[] = [];
  try {
    for (const transport of config.transports) {
      events.log(`${transport}: ${config.clients} clients, ${config.rate} msg/s, ${config.durationMs / 1000} s`);
      transports.push(await runTransport({ config, server, cores, events }, transport));
    }
    events.tick({ transport: null, stage: "autocannon", fraction: 0, delivered: 0, expected: 0 });
    const autocannon = await runAutocannon(server.url, config);
    return {
      schema: RESULTS_SCHEMA,
      startedAt,
      finishedAt: new Date().toISOString(),
      command,
      config,
      target: { url: server.url, spawned: options.url === undefined, serverEnv: options.url === undefined ? serverEnv : {} },
      machine: machine(),
      versions: await versions(),
      transports,
      autocannon,
    };
  } finally {
    await server.stop();
  }
}
