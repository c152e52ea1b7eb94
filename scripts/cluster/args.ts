import { parseArgs } from "node:util";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface ClusterCliOptions {
  help: boolean;
  instances: number;
  /** The load balancer's port on 127.0.0.1. */
  port: number;
}

export const DEFAULT_PORT = 8080;
export const MAX_INSTANCES = 16;

export const HELP = `Usage: npm run cluster -- [--instances N] [--port PORT]

Starts the lab as several servers sharing one feed: a redis-server, N lab server instances (each
with LAB_REDIS_URL pointing at it and LAB_INSTANCE naming it) and an HAProxy load balancer in front
of them, all on 127.0.0.1. HAProxy sends each request to the next instance (round-robin, no sticky
sessions; WebSockets are tunnelled to the instance that took the upgrade) and checks
/api/health on each every second. Every response names the instance that served it in
X-Lab-Instance, and the dashboard shows it.

Prints the load balancer's URL and the instances, then every process's log lines, prefixed with
its name. Ctrl-C (or SIGTERM) stops everything.

Options:
  --instances N   server instances, 1..${MAX_INSTANCES} (default 3)
  --port PORT     the load balancer's port (default ${DEFAULT_PORT}; 0: a free one)
  --help          this text

Needs redis-server and haproxy from the system's packages (Debian, Ubuntu:
sudo apt-get install redis-server haproxy). Server settings (LAB_*) in the environment apply to
every instance; behind one proxy every client has the proxy's address, so per-address limits
(LAB_MAX_HELD_PER_IP, LAB_PUBLISH_RATE_MAX) count all clients together.

Example: npm run build:client && npm run cluster -- --instances 3, then open http://127.0.0.1:${DEFAULT_PORT}
`;

function wholeNumber(raw: string, option: string, min: number, max: number): number {
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new UsageError(`${option} must be a whole number from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}

/** Reads the command line; throws UsageError naming the option at fault. */
export function parseClusterArgs(argv: string[]): ClusterCliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        instances: { type: "string" },
        port: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    help: values.help === true,
    instances: values.instances === undefined ? 3 : wholeNumber(values.instances, "--instances", 1, MAX_INSTANCES),
    port: values.port === undefined ? DEFAULT_PORT : wholeNumber(values.port, "--port", 0, 65_535),
  };
}
