import { availableParallelism, loadavg } from "node:os";
import type { SockjsSubTransport } from "../../protocol/types.js";
import { DEFAULT_SOCKJS, type BenchTransport } from "./transports.js";
import type { CliOptions } from "./args.js";
import { runAutocannon } from "./autocannon-runs.js";
import type { BenchEvents } from "./events.js";
import { machine, versions } from "./machine.js";
import { mergeAutocannon, mergeRepeats } from "./merge.js";
import { RESULTS_SCHEMA, type AutocannonRun, type BenchResults, type TransportRun } from "./results.js";
import { runTransport } from "./run-transport.js";
import { compressionEnv, httpVersionsOf, serverEnvFor, type Compression } from "./scenarios.js";
import { externalServer, startServer, type ServerHandle } from "./server-process.js";
import { phaseName, wireFor, type HttpVersion } from "./wire.js";
import { startLinkProcess } from "./link-process.js";
import { browserExtraBytes, loadFixture, type HeaderSet } from "./browser-headers.js";

/**
 * A whole run: each transport's phase `repeat` times with the same workload, then autocannon.
 * Every phase gets a fresh server process, so its peak RSS is that transport's alone (one process
 * serving phase after phase only grows, and the last transport would look worst). The repeats go
 * round the transports (poll, ..., ws, poll, ..., ws) rather than one transport's repeats in a row,
 * so a slow stretch of the machine is spread over every transport instead of landing on one. With
 * `--http both` each round goes through every transport on HTTP/1.1, then on HTTP/2, so both
 * versions of a transport share the machine's stretch too; a phase that needs TLS gets a server
 * with its TLS listener on.
 */
export async function runBench(options: CliOptions, events: BenchEvents, command: string): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0] ?? 0;
  const { config } = options;
  const serverEnv = { ...serverEnvFor(config), ...options.serverEnv };
  const spawned = options.url === undefined;
  const cores = availableParallelism();
  // The framing floor counts the Host header, so results.json keeps a URL: the first server's
  // (fresh servers get ports of the same length, from the ephemeral range).
  let firstUrl: string | undefined;
  const withServer = async <T>(work: (server: ServerHandle) => Promise<T>, tls = false, extraEnv: Record<string, string> = {}): Promise<T> => {
    events.tick({ transport: null, stage: "starting server", fraction: 0, delivered: 0, expected: 0 });
    const server = options.url !== undefined ? externalServer(options.url) : await startServer({ ...serverEnv, ...extraEnv }, undefined, { tls });
    firstUrl ??= server.url;
    try {
      return await work(server);
    } finally {
      await server.stop();
    }
  };

  // `--network`: a fresh link per phase, in a process of its own, in front of that phase's server.
  const throughLink = async <T>(server: ServerHandle, work: (linkUrl: string | undefined) => Promise<T>): Promise<T> => {
    if (config.network === undefined) return work(undefined);
    const link = await startLinkProcess(server.url, config.network.profile);
    try {
      return await work(link.url);
    } finally {
      await link.close();
    }
  };

  const httpVersions = httpVersionsOf(config);
  // A run made without --http or --tls records no wire, as every run before them did.
  const plainOnly = config.http === undefined && config.tls !== true;
  const wireOptions = { tls: config.tls === true, h2Shared: config.h2Shared === true };
  // `--compress`: each transport uncompressed, then compressed, side by side in every round.
  const compressions: (Compression | undefined)[] = config.compress === undefined ? [undefined] : ["off", config.compress];
  const key = (version: HttpVersion, transport: BenchTransport, compression: Compression | undefined, sockjs: SockjsSubTransport | undefined): string =>
    `${version} ${transport} ${compression ?? ""} ${sockjs ?? ""}`;
  // stomp-sockjs: one phase per SockJS sub-transport asked for, side by side in every round.
  const sockjsOf = (transport: BenchTransport): (SockjsSubTransport | undefined)[] =>
    transport === "stomp-sockjs" ? (config.sockjsTransports ?? [DEFAULT_SOCKJS]) : [undefined];
  const repeats = new Map<string, TransportRun[]>();
  for (let i = 1; i <= config.repeat; i++) {
    for (const version of httpVersions) {
      for (const transport of config.transports) {
        for (const compression of compressions) {
          for (const sockjs of sockjsOf(transport)) {
            const wire = wireFor(transport, version, wireOptions);
            const of = config.repeat > 1 ? `, repeat ${i} of ${config.repeat}` : "";
            const over = plainOnly ? "" : ` over ${phaseName(wire)}`;
            const compressed =
              compression === undefined ? "" : compression === "off" ? ", uncompressed" : `, ${transport === "ws" ? "permessage-deflate" : compression}`;
            const name = sockjs === undefined ? transport : `${transport} (${sockjs})`;
            events.log(`${name}${over}${compressed}: ${config.clients} clients, ${config.rate} msg/s, ${config.durationMs / 1000} s${of}`);
            const run = await withServer(
              (server) =>
                throughLink(server, (linkUrl) =>
                  runTransport(
                    {
                      config,
                      server,
                      cores,
                      events,
                      ...(plainOnly ? {} : { wire }),
                      ...(linkUrl !== undefined ? { linkUrl } : {}),
                      ...(compression !== undefined ? { compression } : {}),
                      ...(sockjs !== undefined ? { sockjs } : {}),
                    },
                    transport,
                  ),
                ),
              wire.tls,
              compression === undefined ? {} : compressionEnv(compression),
            );
            if (compression !== undefined) run.compression = compression === "off" ? "off" : transport === "ws" ? "permessage-deflate" : compression;
            const k = key(version, transport, compression, sockjs);
            repeats.set(k, [...(repeats.get(k) ?? []), run]);
          }
        }
      }
    }
  }
  const cannons: AutocannonRun[][] = [];
  for (let i = 1; i <= (config.autocannonMs > 0 ? config.repeat : 0); i++) {
    events.tick({ transport: null, stage: "autocannon", fraction: 0, delivered: 0, expected: 0 });
    cannons.push(await withServer((server) => runAutocannon(server.url, config)));
  }
  const autocannon = (cannons[0] ?? []).map((_, k) => mergeAutocannon(cannons.flatMap((list) => list[k] ?? [])));
  return {
    schema: RESULTS_SCHEMA,
    startedAt,
    finishedAt: new Date().toISOString(),
    command,
    config,
    target: { url: firstUrl ?? options.url ?? "http://127.0.0.1", spawned, serverEnv: spawned ? serverEnv : {}, freshPerPhase: spawned },
    machine: { ...machine(), loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 } },
    versions: await versions(),
    transports: httpVersions.flatMap((version) =>
      config.transports.flatMap((t) =>
        compressions.flatMap((compression) => sockjsOf(t).map((sockjs) => mergeRepeats(repeats.get(key(version, t, compression, sockjs)) ?? []))),
      ),
    ),
    autocannon,
    ...(options.idleWindow !== undefined ? { idleWindow: options.idleWindow } : {}),
    ...(config.network !== undefined ? { network: { name: config.network.name, profile: config.network.profile, process: "separate" as const } } : {}),
    headers: headerInfo(config.headers ?? "minimal"),
  };
}

/** What results.json says of the header set: the captured browser's name and its poll request's bytes. */
function headerInfo(set: HeaderSet): NonNullable<BenchResults["headers"]> {
  if (set === "minimal") return { set };
  const fixture = loadFixture();
  return { set, browser: fixture.browser, extraRequestBytes: browserExtraBytes(fixture) };
}
