import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DEFAULTS } from "../../server/config.js";
import { freePort } from "../bench/server-process.js";
import { findBinary } from "./binaries.js";
import { haproxyConfig } from "./haproxy-config.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The bench's probe (CPU, RSS, event-loop delay over IPC), preloaded when `probe` is asked for. */
const PROBE = new URL("../bench/server-probe.ts", import.meta.url).href;

/** The header every response and WebSocket handshake of a named instance carries. */
export const INSTANCE_HEADER = "x-lab-instance";

export class PortTakenError extends Error {
  override name = "PortTakenError";
}

export interface ClusterOptions {
  instances: number;
  /** The load balancer's port on 127.0.0.1; 0 or absent: a free one. */
  port?: number;
  /** Extra environment for every server instance (limits, timeouts); the cluster's own settings win. */
  env?: Record<string, string>;
  /**
   * Redis with an append-only file fsynced on every write, so that a Redis restart keeps every
   * acknowledged message (failover tests and runs); otherwise nothing is written to disk.
   */
  persistentRedis?: boolean;
  /** Preload the bench's probe into every instance, with an IPC channel to read it. */
  probe?: boolean;
  /**
   * Node's arguments for each instance, instead of running server/main.ts through tsx (the bench
   * runs its bundled server with its probe this way); an IPC channel is opened when `probe` is set.
   */
  nodeArgs?: string[];
  /**
   * `memory`: the instances keep their own in-memory feed (no LAB_REDIS_URL), which only makes sense
   * for one instance: the bench's baseline with the balancer's hop and without Redis's. Default redis.
   */
  feed?: "redis" | "memory";
  /** Every line any process prints, with its source: an instance's name, `redis` or `haproxy`. */
  onLog?: (source: string, line: string) => void;
  /** A process that exits without being asked to (a crash, a kill from outside). */
  onExit?: (source: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

/** A process the cluster runs, which it can stop and start again on the same port. */
export interface ClusterProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The running process, or null while stopped. */
  readonly child: ChildProcess | null;
  /** Stops it: SIGTERM waits for a clean exit (SIGKILL after 5 s); SIGKILL is a crash. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again, same port, same settings, and waits until it answers. */
  start(): Promise<void>;
}

export interface Cluster {
  /** The load balancer: what clients use. */
  url: string;
  redisUrl: string;
  redis: ClusterProcess;
  haproxy: ClusterProcess;
  instances: ClusterProcess[];
  /** The temporary directory holding HAProxy's configuration and Redis's working files. */
  dir: string;
  /** Stops everything (load balancer first, Redis last) and removes the directory. */
  stop(): Promise<void>;
}

/** Instance names: lab-1, lab-2, ... */
export const instanceName = (index: number): string => `lab-${index + 1}`;

/** PortTakenError unless `port` is free on 127.0.0.1. */
export async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new PortTakenError(`port ${port} on 127.0.0.1 is taken by another program: choose another with --port, or stop that program`)
          : error,
      ),
    );
    server.listen(port, "127.0.0.1", () => server.close(() => resolve()));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts Redis, `instances` lab servers sharing it (LAB_REDIS_URL) and HAProxy in front of them, all
 * on 127.0.0.1, and resolves once the load balancer has reached every instance. Whatever fails on
 * the way stops what was started. Every child is killed when this process exits, however it exits.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (!Number.isSafeInteger(options.instances) || options.instances < 1) throw new Error("a cluster needs at least one instance");
  const redisBinary = findBinary("redis-server");
  const haproxyBinary = findBinary("haproxy");
  const lbPort = options.port !== undefined && options.port > 0 ? options.port : await freePort();
  await assertPortFree(lbPort);
  const dir = mkdtempSync(join(tmpdir(), "lab-cluster-"));
  const log = options.onLog ?? (() => undefined);
  const started: ManagedProcess[] = [];
  const killAll = (): void => {
    for (const p of started) p.child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", killAll);

  try {
    const redisPort = await freePort();
    const redisUrl = `redis://127.0.0.1:${redisPort}`;
    const persistence = options.persistentRedis === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
    const redis = new ManagedProcess(
      "redis",
      redisPort,
      `redis://127.0.0.1:${redisPort}`,
      () =>
        spawn(
          redisBinary,
          ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", dir, "--loglevel", "warning", "--daemonize", "no"],
          { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
        ),
      () => waitForRedis(redisPort),
      log,
      options.onExit,
    );
    started.push(redis);
    await redis.start();

    const longPollMaxMs = Number(options.env?.LAB_LONG_POLL_MAX_MS ?? DEFAULTS.longPollMaxMs);
    const instances: ManagedProcess[] = [];
    for (let i = 0; i < options.instances; i++) {
      const name = instanceName(i);
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const env = {
        ...process.env,
        NODE_ENV: "production",
        ...options.env,
        HOST: "127.0.0.1",
        PORT: String(port),
        LAB_TLS_PORT: "0",
        LAB_REDIS_URL: options.feed === "memory" ? "" : redisUrl,
        LAB_INSTANCE: name,
      };
      const args = options.nodeArgs ?? ["--import", "tsx", ...(options.probe === true ? ["--import", PROBE] : []), "server/main.ts"];
      const instance = new ManagedProcess(
        name,
        port,
        url,
        () => spawn(process.execPath, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe", ...(options.probe === true ? (["ipc"] as const) : [])] }),
        () => waitForHttp(`${url}/api/health`),
        log,
        options.onExit,
      );
      instances.push(instance);
      started.push(instance);
    }
    // Started together: each takes a couple of seconds of tsx compiling, which overlaps.
    await Promise.all(instances.map((instance) => instance.start()));

    const config = join(dir, "haproxy.cfg");
    writeFileSync(
      config,
      haproxyConfig({ port: lbPort, backends: instances.map((i) => ({ name: i.name, port: i.port })), longPollMaxMs, maxConnections: 8_000 }),
    );
    const url = `http://127.0.0.1:${lbPort}`;
    const names = instances.map((i) => i.name);
    const haproxy = new ManagedProcess(
      "haproxy",
      lbPort,
      url,
      () => spawn(haproxyBinary, ["-db", "-f", config], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }),
      () => waitForEveryInstance(url, names),
      log,
      options.onExit,
    );
    started.push(haproxy);
    await haproxy.start();

    return {
      url,
      redisUrl,
      redis,
      haproxy,
      instances,
      dir,
      async stop() {
        await haproxy.stop();
        await Promise.all(instances.map((instance) => instance.stop()));
        await redis.stop();
        process.off("exit", killAll);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(started.map((p) => p.stop("SIGKILL")));
    process.off("exit", killAll);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** One child process with its log lines, its readiness check and its expected or unexpected exits. */
class ManagedProcess implements ClusterProcess {
  child: ChildProcess | null = null;
  private output = "";
  private stopping = false;

  constructor(
    readonly name: string,
    readonly port: number,
    readonly url: string,
    private readonly launch: () => ChildProcess,
    private readonly ready: () => Promise<void>,
    private readonly log: (source: string, line: string) => void,
    private readonly onExit: ClusterOptions["onExit"],
  ) {}

  async start(): Promise<void> {
    if (this.child !== null) return;
    this.stopping = false;
    this.output = "";
    const child = this.launch();
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on("line", (line) => {
        this.output = `${this.output}${line}\n`.slice(-4_000);
        this.log(this.name, line);
      });
    }
    let failed: Error | null = null;
    child.once("error", (error) => {
      failed = error;
    });
    child.once("exit", (code, signal) => {
      if (this.child === child) this.child = null;
      if (!this.stopping) this.onExit?.(this.name, code, signal);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (failed !== null) throw new Error(`${this.name} could not be started: ${(failed as Error).message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${this.output}`);
      }
      try {
        await this.ready();
        return;
      } catch {
        // not ready yet
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`${this.name} was not ready on port ${this.port} within 30 s:\n${this.output}`);
      }
      await sleep(100);
    }
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) {
      this.child = null;
      return;
    }
    this.stopping = true;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    this.child = null;
  }
}

/** Resolves when `url` answers 200 within a second; throws otherwise. */
async function waitForHttp(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
}

/** Resolves once Redis answers PING. */
async function waitForRedis(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no PONG"));
    }, 1_000);
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      clearTimeout(timer);
      socket.destroy();
      if (data.toString().startsWith("+PONG")) resolve();
      else reject(new Error(data.toString()));
    });
  });
}

/**
 * Resolves once requests through the load balancer have been answered by every instance (seen in
 * X-Lab-Instance): HAProxy is listening and has every backend up.
 */
async function waitForEveryInstance(url: string, names: readonly string[]): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < names.length * 4 && seen.size < names.length; i++) {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    const name = response.headers.get(INSTANCE_HEADER);
    if (response.status === 200 && name !== null) seen.add(name);
  }
  const missing = names.filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`not reached through the load balancer yet: ${missing.join(", ")}`);
}
