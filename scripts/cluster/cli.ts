import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildServer } from "../build-server.js";
import { HELP, parseClusterArgs, UsageError } from "./args.js";
import { MissingBinaryError } from "./binaries.js";
import { type Cluster, PortTakenError, startCluster } from "./cluster.js";

const DASHBOARD = fileURLToPath(new URL("../../client/dist/index.html", import.meta.url));

/** `npm run cluster -- [--instances N] [--port PORT]`: runs until Ctrl-C or SIGTERM, then stops every process it started. */
async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseClusterArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`cluster: ${error.message}\n\n${HELP}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }

  let cluster: Cluster | null = null;
  let stopping: Promise<number> | null = null;
  const stop = (code: number): Promise<number> => {
    stopping ??= (async () => {
      process.stdout.write("cluster: stopping HAProxy, the instances and Redis\n");
      await cluster?.stop();
      return code;
    })();
    return stopping;
  };
  const stopped = new Promise<number>((resolve) => {
    process.once("SIGINT", () => void stop(130).then(resolve));
    process.once("SIGTERM", () => void stop(143).then(resolve));
    // npm passes a SIGTERM to its shell, not to this process: when the parent is gone, stop too.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void stop(143).then(resolve);
    }, 500).unref();
  });

  process.stdout.write(`cluster: starting redis-server, ${options.instances} instance${options.instances === 1 ? "" : "s"} and HAProxy\n`);
  const width = Math.max("haproxy".length, `lab-${options.instances}`.length);
  try {
    // The instances run the bundled server, as `npm start` and the bench do (build-server.ts says why not tsx).
    const main = await buildServer("server");
    cluster = await startCluster({
      instances: options.instances,
      port: options.port,
      nodeArgs: ["--enable-source-maps", main],
      onLog: (source, line) => process.stdout.write(`[${source.padEnd(width)}] ${line}\n`),
      // Ctrl-C reaches every process of the terminal's group at once: exits then are expected.
      onExit: (source, code, signal) => {
        if (stopping === null) process.stderr.write(`cluster: ${source} exited (${signal ?? `code ${code}`}) without being asked to\n`);
      },
    });
  } catch (error) {
    if (error instanceof MissingBinaryError || error instanceof PortTakenError) {
      process.stderr.write(`cluster: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`cluster: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  if (stopping !== null) {
    // A signal came while starting: what has started since must stop too.
    await cluster.stop();
    return stopped;
  }

  const lines = [
    "",
    `cluster: ready on ${cluster.url}  (HAProxy, round-robin, no sticky sessions)`,
    ...cluster.instances.map((i) => `  ${i.name.padEnd(width)} ${i.url}  pid ${i.child?.pid ?? "?"}`),
    `  ${"redis".padEnd(width)} ${cluster.redisUrl}  pid ${cluster.redis.child?.pid ?? "?"}`,
    ...(existsSync(DASHBOARD) ? [] : ["  (no dashboard build: run npm run build:client for the dashboard; the API works without it)"]),
    "  Ctrl-C stops everything.",
    "",
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  return stopped;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cluster: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
