import { parseArgs } from "node:util";
import { TRANSPORTS } from "../../protocol/types.js";
import { BENCH_TRANSPORTS, isStomp, SOCKJS_CHOICES, type BenchTransport, type SockjsSubTransport } from "./transports.js";
import { ConfigError, resolveConfig } from "../../server/config.js";
import { checkIdleWindow, periodicCosts, type IdleWindow } from "./idle-window.js";
import { parseSteps, planSteps } from "./scale/plan.js";
import {
  defaultConfig,
  HTTP_CODINGS,
  PUBLISH_VIAS,
  SCENARIO_NAMES,
  SCENARIOS,
  serverEnvFor,
  type BenchConfig,
  type HttpCoding,
  type ScenarioName,
} from "./scenarios.js";
import { parseHttp } from "./wire.js";
import { HEADER_SETS, type HeaderSet } from "./browser-headers.js";
import { parseBitRate, parseRtt, UsageError as NetUsageError } from "../net/args.js";
import { PROFILE_NAMES, ProfileError, resolveProfile, type LinkProfile } from "../net/profiles.js";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliOptions {
  config: BenchConfig;
  url: string | undefined;
  allowRemote: boolean;
  out: string;
  serverEnv: Record<string, string>;
  help: boolean;
  /** Idle runs: the periodic costs the window covers. */
  idleWindow: IdleWindow | undefined;
  /** What the bench changed from what was asked, and why: printed before the run. */
  notices: string[];
}

export const HELP = `Usage: npm run bench -- [options]

Runs one scenario against each selected transport in turn, with the identical workload, and writes
results/<date>-<scenario>/ (results.json, report.md, report.html, PNG charts).

Options:
  --scenario NAME         ${SCENARIO_NAMES.join(" | ")} (default chat)
  --transports LIST       comma-separated subset of ${BENCH_TRANSPORTS.join(",")}
                          (default the five: ${TRANSPORTS.join(",")}). stomp-ws is STOMP 1.2 over a
                          WebSocket (/api/stomp), stomp-sockjs STOMP over SockJS (/chat), both with
                          @stomp/stompjs (sockjs-client for SockJS) and their own request headers.
                          STOMP runs in the idle, chat, burst, fanout and large scenarios, over
                          plaintext HTTP/1.1 (also through --network); not in --scenario scale, nor
                          with --baseline, --http 2, --tls or --compress (refused with the reason)
  --sockjs-transport LIST stomp-sockjs only: the SockJS sub-transports to run, one phase each,
                          comma-separated: ${SOCKJS_CHOICES.join(", ")} (default websocket)
  --clients N             subscribers per transport
  --rate N                messages per second (0: idle)
  --burst N               messages per burst (1: steady)
  --duration TIME         measured time per transport, e.g. 20s, 500ms, 1m; an idle run's must
                          cover the longest periodic cost (heartbeat, long-poll timeout, ping)
  --repeat N              run each transport's phase N times, each against a fresh server
                          process, for medians and ranges (default 3)
  --warmup TIME           connected and publishing, not measured, before each window
  --size N                characters of message text
  --poll-interval TIME    short polling period per client (default unit ms)
  --long-poll-timeout TIME  the timeout each long poll asks for (default unit ms)
  --publish-via http|ws|stomp
                          http (default): HTTP POST for every transport; ws: the ws transport
                          publishes over a WebSocket of its own; stomp: the STOMP transports publish
                          by SEND to /app/chat (with a receipt) over a STOMP-over-WebSocket session
                          of their own, metered by the server as stomp-ws
  --workers N             subscriber threads (default: one per 250 clients, at most one per core)
  --autocannon TIME       duration of each autocannon run (0 skips them; default 5s): the maximum
                          publish rate and short polling, the same whatever --transports says
                          (STOMP has no autocannon run)
  --drain-timeout TIME    how long to wait for late messages after the last publish (default 10s)
  --out DIR               output directory (default results/<date>-<scenario>)
  --cluster N             N server instances sharing a Redis feed behind HAProxy (npm run cluster's
                          code), subscribers through the balancer, each phase alternated with one
                          in-memory instance behind it (the Redis hop's cost); --scenario failover
                          (default 3 there) kills one instance, and separately restarts Redis,
                          mid-phase. Needs redis-server and haproxy (apt-get install them)
  --url URL               target a running server instead of starting one (loopback only)
  --allow-remote          allow --url to name a non-loopback host
  --server-env KEY=VALUE  extra environment for the spawned server (repeatable)
  --steps LIST            scale only: subscribers per transport at each step, e.g. 1000,2500,5000,10000
                          (default: 1-2.5-5 steps from a tenth of --clients up to it)
  --http 1.1|2|both       the HTTP version every transport runs over (default 1.1); both: every
                          transport on HTTP/1.1, then on HTTP/2, in the same run, for a side-by-side
                          report. HTTP/2 is always over TLS (the server's TLS listener, on a free
                          port, with its self-signed development certificate). WebSocket has no
                          HTTP/2 here (RFC 8441 is not offered): its HTTP/2 phase runs over
                          HTTP/1.1+TLS, as a browser's would, and the report says so
  --tls                   HTTP/1.1 over TLS instead of plaintext (bytes counted on the TCP socket
                          under TLS, records included, at both ends)
  --h2-shared             HTTP/2 clients multiplex their streams on one connection per subscriber
                          thread, as one browser tab's would (default: one connection per client,
                          as separate browsers)
  --network PROFILE       every subscriber connection crosses an emulated link (scripts/net/, run in
                          a process of its own) in front of each phase's server: ${PROFILE_NAMES.join(", ")};
                          publishing and the bench's stats requests go direct. Plaintext HTTP/1.1 only
  --rtt TIME, --down RATE, --up RATE
                          a custom link, or a profile's numbers overridden (e.g. --rtt 100 --down 8M)
  --headers browser|minimal
                          the subscribers' request headers: those a real Chromium sends for the
                          dashboard's requests (scripts/bench/fixtures/chromium-headers.json, the
                          default) or only what undici and ws send (minimal; scale and baseline runs)
  --compress gzip|br      every transport's phase twice in each round, uncompressed and compressed:
                          the server's LAB_COMPRESS (poll and long-poll answers, NDJSON and SSE
                          streams flushed per message) and LAB_WS_DEFLATE=1 (permessage-deflate);
                          the clients ask for it (Accept-Encoding, the permessage-deflate offer) and
                          decompress. The report tables bytes per message, server CPU per 1,000
                          deliveries and server memory per connection, off against on
  --baseline              alternate every phase with the bare reference servers (node:http + ws,
                          scripts/bench/baselines/): ratios project / bare for max-rate deliveries/s,
                          CPU per 1,000 deliveries, p99, and polling requests/s under autocannon.
                          With --scenario scale: each transport's ramp, then the same ramp against
                          the bare server; ratios of p99, CPU per 1,000 deliveries and memory per
                          connection at every step
  -h, --help              this text

Scenarios:
${SCENARIO_NAMES.map((n) => `  ${n.padEnd(8)} ${SCENARIOS[n].description}`).join("\n")}
`;

/** "20s", "500ms", "1.5m", or a bare number in `bareUnit`. */
export function parseDuration(raw: string, bareUnit: "s" | "ms", name: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(raw.trim());
  if (match === null) throw new UsageError(`${name}: expected a duration like 20s or 500ms, got "${raw}"`);
  const value = Number(match[1]);
  const unit = match[2] ?? bareUnit;
  const factor = unit === "ms" ? 1 : unit === "s" ? 1000 : 60_000;
  return Math.round(value * factor);
}

function parseCount(raw: string, name: string, min: number): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw.trim())) throw new UsageError(`${name}: expected a number, got "${raw}"`);
  const value = Number(raw);
  if (value < min) throw new UsageError(`${name}: must be at least ${min}, got ${raw}`);
  return value;
}

const list = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

function parseTransports(raw: string): BenchTransport[] {
  const names = list(raw);
  const known = new Set<string>(BENCH_TRANSPORTS);
  for (const name of names) {
    if (!known.has(name)) throw new UsageError(`--transports: unknown transport "${name}" (known: ${BENCH_TRANSPORTS.join(", ")})`);
  }
  if (names.length === 0) throw new UsageError("--transports: name at least one transport");
  return BENCH_TRANSPORTS.filter((t) => names.includes(t));
}

function parseSockjs(raw: string): SockjsSubTransport[] {
  const names = list(raw);
  for (const name of names) {
    if (!(SOCKJS_CHOICES as readonly string[]).includes(name))
      throw new UsageError(`--sockjs-transport: unknown SockJS transport "${name}" (known: ${SOCKJS_CHOICES.join(", ")})`);
  }
  if (names.length === 0) throw new UsageError("--sockjs-transport: name at least one SockJS transport");
  return SOCKJS_CHOICES.filter((t) => names.includes(t));
}

function isScenario(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

export function defaultOutDir(scenario: string, now: Date): string {
  const stamp = now.toISOString().replace(/:/g, "").replace(/\..*$/, "");
  return `results/${stamp}-${scenario}`;
}

/**
 * Command-line words to options: scenario preset first, then each option overrides it. `env` is
 * the environment the spawned server inherits: its periodic costs are read from it, as the server
 * itself will read them.
 */
export function parseCli(argv: string[], now = new Date(), env: Record<string, string | undefined> = process.env): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        scenario: { type: "string" },
        transports: { type: "string" },
        clients: { type: "string" },
        rate: { type: "string" },
        burst: { type: "string" },
        duration: { type: "string" },
        warmup: { type: "string" },
        size: { type: "string" },
        "poll-interval": { type: "string" },
        "long-poll-timeout": { type: "string" },
        "publish-via": { type: "string" },
        "sockjs-transport": { type: "string" },
        workers: { type: "string" },
        autocannon: { type: "string" },
        "drain-timeout": { type: "string" },
        out: { type: "string" },
        url: { type: "string" },
        "allow-remote": { type: "boolean" },
        "server-env": { type: "string", multiple: true },
        repeat: { type: "string" },
        baseline: { type: "boolean" },
        steps: { type: "string" },
        http: { type: "string" },
        tls: { type: "boolean" },
        "h2-shared": { type: "boolean" },
        network: { type: "string" },
        rtt: { type: "string" },
        down: { type: "string" },
        up: { type: "string" },
        headers: { type: "string" },
        compress: { type: "string" },
        cluster: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  const scenario = v.scenario ?? "chat";
  if (!isScenario(scenario)) throw new UsageError(`--scenario: unknown scenario "${scenario}" (known: ${SCENARIO_NAMES.join(", ")})`);
  const config = defaultConfig(scenario);
  if (v.transports !== undefined) config.transports = parseTransports(v.transports);
  if (v.clients !== undefined) config.clients = Math.floor(parseCount(v.clients, "--clients", 1));
  if (v.rate !== undefined) config.rate = parseCount(v.rate, "--rate", 0);
  if (v.burst !== undefined) config.burstSize = Math.floor(parseCount(v.burst, "--burst", 1));
  if (v.duration !== undefined) config.durationMs = parseDuration(v.duration, "s", "--duration");
  if (v.warmup !== undefined) config.warmupMs = parseDuration(v.warmup, "s", "--warmup");
  if (v.size !== undefined) config.size = Math.floor(parseCount(v.size, "--size", 0));
  if (v["poll-interval"] !== undefined) config.pollIntervalMs = parseDuration(v["poll-interval"], "ms", "--poll-interval");
  if (v["long-poll-timeout"] !== undefined) config.longPollTimeoutMs = parseDuration(v["long-poll-timeout"], "ms", "--long-poll-timeout");
  if (v.workers !== undefined) config.workers = Math.floor(parseCount(v.workers, "--workers", 1));
  if (v.autocannon !== undefined) config.autocannonMs = parseDuration(v.autocannon, "s", "--autocannon");
  if (v.repeat !== undefined) config.repeat = Math.floor(parseCount(v.repeat, "--repeat", 1));
  if (v["drain-timeout"] !== undefined) config.drainTimeoutMs = parseDuration(v["drain-timeout"], "s", "--drain-timeout");
  const via = v["publish-via"];
  if (via !== undefined) {
    const known = PUBLISH_VIAS.find((p) => p === via);
    if (known === undefined) throw new UsageError(`--publish-via: expected ${PUBLISH_VIAS.join(", ")}, got "${via}"`);
    config.publishVia = known;
  }
  if (v.baseline === true) config.baseline = true;
  if (v["sockjs-transport"] !== undefined) {
    if (!config.transports.includes("stomp-sockjs")) throw new UsageError("--sockjs-transport: only for stomp-sockjs (add it to --transports)");
    config.sockjsTransports = parseSockjs(v["sockjs-transport"]);
  }
  if (v.http !== undefined) {
    const versions = parseHttp(v.http);
    if (typeof versions === "string") throw new UsageError(`--http: ${versions}`);
    config.http = versions;
  }
  const versions = config.http ?? ["1.1"];
  if (v.tls === true) {
    if (!versions.includes("1.1")) throw new UsageError("--tls: HTTP/2 is always over TLS; --tls puts HTTP/1.1 over TLS, so it needs --http 1.1 or both");
    config.tls = true;
  }
  if (v["h2-shared"] === true) {
    if (!versions.includes("2")) throw new UsageError("--h2-shared: multiplexing needs HTTP/2 (--http 2 or both)");
    config.h2Shared = true;
  }
  if (v.steps !== undefined) {
    if (scenario !== "scale") throw new UsageError("--steps: only for --scenario scale");
    const steps = parseSteps(v.steps);
    if (typeof steps === "string") throw new UsageError(`--steps: ${steps}`);
    config.steps = steps;
    config.clients = steps[steps.length - 1] ?? config.clients;
  } else if (scenario === "scale") {
    config.steps = planSteps(config.clients);
  }
  if (scenario === "scale" && config.rate <= 0) throw new UsageError("--rate: the scale scenario measures latency at a fixed rate above 0");
  if (config.durationMs < 1000) throw new UsageError("--duration: must be at least 1s");
  if (config.pollIntervalMs < 10) throw new UsageError("--poll-interval: must be at least 10ms");
  if (config.longPollTimeoutMs < 100) throw new UsageError("--long-poll-timeout: must be at least 100ms");
  if (config.rate > 0 && config.rate * config.durationMs < 1000) throw new UsageError("--rate × --duration publishes no message");

  const serverEnv: Record<string, string> = {};
  for (const pair of v["server-env"] ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) throw new UsageError(`--server-env: expected KEY=VALUE, got "${pair}"`);
    serverEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const url = v.url;
  const allowRemote = v["allow-remote"] ?? false;
  if (url !== undefined) checkUrl(url, allowRemote);
  if (config.baseline === true && url !== undefined)
    throw new UsageError("--baseline starts its own server processes (the lab's and the bare one); it cannot target --url");
  if (scenario === "scale" && url !== undefined)
    throw new UsageError("--scenario scale starts a server process per transport and measures it from inside; it cannot target --url");
  const overTls = config.tls === true || versions.includes("2");
  if (overTls && url !== undefined)
    throw new UsageError(
      "--http 2 and --tls need the server's TLS listener, which the bench starts on a port of its own; they cannot target --url (a plaintext URL)",
    );
  if (overTls && config.baseline === true)
    throw new UsageError("--baseline compares with bare servers that speak plaintext HTTP/1.1 only; run it without --http 2 or --tls");
  if (overTls && scenario === "scale") throw new UsageError("--scenario scale runs over plaintext HTTP/1.1 only; run it without --http 2 or --tls");
  const notices: string[] = [];
  const stomp = config.transports.filter(isStomp);
  if (stomp.length > 0) {
    const why =
      scenario === "scale"
        ? "--scenario scale: the ramp's clients and its per-connection figures cover the five transports only"
        : config.baseline === true
          ? "--baseline: the bare reference servers speak no STOMP"
          : overTls
            ? "--http 2 and --tls: STOMP runs over plaintext HTTP/1.1 only (the server serves SockJS over HTTP/1.1 alone, and STOMP's WebSocket has no HTTP/2)"
            : v.compress !== undefined
              ? "--compress: the server compresses neither STOMP's WebSocket (no permessage-deflate on /api/stomp) nor SockJS"
              : null;
    if (why !== null) throw new UsageError(`--transports ${stomp.join(",")}: not with ${why}; run them without it`);
    if ((v.headers ?? "browser") === "browser")
      notices.push(
        "STOMP clients send the requests @stomp/stompjs (over ws) and sockjs-client make in Node: the captured Chromium headers cover the five transports only, so STOMP's floor is the minimal one.",
      );
  }
  const network = parseNetwork(v);
  if (network !== undefined) {
    if (url !== undefined)
      throw new UsageError(
        "--network puts the link in front of the server the bench starts; for a server of your own, run `npm run net -- --profile NAME --target HOST:PORT` and give the link's URL as --url",
      );
    if (config.baseline === true) throw new UsageError("--baseline measures servers against each other on loopback; run it without --network");
    if (scenario === "scale") throw new UsageError("--scenario scale measures the server's limits on loopback; run it without --network");
    if (overTls) throw new UsageError("--network runs over plaintext HTTP/1.1 for now; run it without --http 2 or --tls");
    config.network = network;
  }
  if (v.cluster !== undefined) config.cluster = Math.floor(parseCount(v.cluster, "--cluster", 1));
  if (config.cluster !== undefined) {
    const why =
      url !== undefined
        ? "--url (the bench starts the cluster itself)"
        : scenario === "scale"
          ? "--scenario scale (it measures one server's limits)"
          : stomp.length > 0 && scenario !== "failover"
            ? "STOMP transports (the cluster runs cover the five; --scenario failover takes them)"
            : config.publishVia !== "http"
              ? "--publish-via ws or stomp (a cluster run publishes over HTTP through the balancer)"
              : overTls || network !== undefined || v.compress !== undefined || config.baseline === true
                ? "--http 2, --tls, --network, --compress or --baseline"
                : null;
    if (why !== null) throw new UsageError(`--cluster: not with ${why}`);
  }
  // Scale and baseline runs keep today's minimal requests: the bare servers and the ramp's clients are not browser-like.
  const headerDefault: HeaderSet = scenario === "scale" || config.baseline === true ? "minimal" : "browser";
  const headers = v.headers ?? headerDefault;
  if (!(HEADER_SETS as readonly string[]).includes(headers)) throw new UsageError(`--headers: expected ${HEADER_SETS.join(" or ")}, got "${headers}"`);
  if (headers === "browser" && headerDefault === "minimal")
    throw new UsageError(`--headers browser: ${scenario === "scale" ? "the scale ramp's clients" : "the bare baselines' clients"} send minimal requests only`);
  config.headers = headers as HeaderSet;
  if (v.compress !== undefined) {
    if (!(HTTP_CODINGS as readonly string[]).includes(v.compress))
      throw new UsageError(`--compress: expected ${HTTP_CODINGS.join(" or ")}, got "${v.compress}"`);
    if (url !== undefined)
      throw new UsageError("--compress sets the compression of the servers the bench starts (LAB_COMPRESS, LAB_WS_DEFLATE); it cannot target --url");
    if (config.baseline === true || scenario === "scale")
      throw new UsageError("--compress: baseline and scale runs measure uncompressed servers; run it without --baseline or --scenario scale");
    if (versions.length > 1) throw new UsageError("--compress doubles every phase already; run it with one --http version");
    config.compress = v.compress as HttpCoding;
  }
  if (versions.includes("2") && config.transports.includes("ws"))
    notices.push(
      "WebSocket has no HTTP/2 on this server (RFC 8441 is not offered): in the HTTP/2 phase it runs over HTTP/1.1+TLS, as a browser on an HTTP/2 page would.",
    );
  let idleWindow: IdleWindow | undefined;
  if (config.rate === 0) {
    let server;
    try {
      server = resolveConfig({}, { ...env, ...serverEnvFor(config), ...serverEnv });
    } catch (error) {
      if (error instanceof ConfigError) throw new UsageError(`--server-env: ${error.message}`);
      throw error;
    }
    const check = checkIdleWindow(config.durationMs, periodicCosts(server, config), v.duration !== undefined);
    if (check.kind === "refused") throw new UsageError(check.message);
    if (check.kind === "extended") {
      notices.push(check.message);
      config.durationMs = check.window.durationMs;
    }
    idleWindow = check.window;
    // A server named by --url was started elsewhere: its settings can only be assumed to be these.
    if (url !== undefined) notices.push("idle window checked against the server settings of this environment; the server at --url may use others.");
  }
  return { config, url, allowRemote, out: v.out ?? defaultOutDir(scenario, now), serverEnv, help: v.help ?? false, idleWindow, notices };
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function checkUrl(raw: string, allowRemote: boolean): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url: not a URL: "${raw}"`);
  }
  if (url.protocol !== "http:") throw new UsageError(`--url: only http:// is supported, got ${url.protocol}`);
  if (!allowRemote && !LOOPBACK.has(url.hostname) && !url.hostname.startsWith("127.")) {
    throw new UsageError(`--url: ${url.hostname} is not a loopback address; a load test against another host needs --allow-remote`);
  }
}

/** `--network` and `--rtt/--down/--up` to a link; absent when none was asked for. */
function parseNetwork(v: { network?: string; rtt?: string; down?: string; up?: string }): { name: string; profile: LinkProfile } | undefined {
  if (v.network === undefined && v.rtt === undefined && v.down === undefined && v.up === undefined) return undefined;
  try {
    const overrides = {
      rttMs: v.rtt === undefined ? undefined : parseRtt(v.rtt),
      downBitsPerSecond: v.down === undefined ? undefined : parseBitRate(v.down, "--down"),
      upBitsPerSecond: v.up === undefined ? undefined : parseBitRate(v.up, "--up"),
    };
    const custom = Object.values(overrides).some((x) => x !== undefined);
    const profile = resolveProfile(v.network ?? "loopback", overrides);
    return { name: v.network === undefined ? "custom" : custom ? `${v.network} (custom)` : v.network, profile };
  } catch (error) {
    if (error instanceof ProfileError) throw new UsageError(`--network: ${error.message}`);
    if (error instanceof NetUsageError) throw new UsageError(error.message);
    throw error;
  }
}
