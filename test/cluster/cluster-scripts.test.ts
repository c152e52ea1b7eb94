import { describe, expect, it } from "vitest";
import { parseClusterArgs, UsageError } from "../../scripts/cluster/args.js";
import { findBinary, MissingBinaryError } from "../../scripts/cluster/binaries.js";
import { haproxyConfig } from "../../scripts/cluster/haproxy-config.js";

describe("npm run cluster's options", () => {
  it("defaults to three instances behind port 8080", () => {
    expect(parseClusterArgs([])).toEqual({ help: false, instances: 3, port: 8080 });
    expect(parseClusterArgs(["--instances", "5", "--port", "0"])).toEqual({ help: false, instances: 5, port: 0 });
  });

  it.each([
    [["--instances", "0"], "--instances must be a whole number from 1 to 16"],
    [["--instances", "three"], "--instances must be a whole number"],
    [["--port", "70000"], "--port must be a whole number from 0 to 65535"],
    [["--replicas", "2"], "Unknown option '--replicas'"],
  ])("refuses %j, naming the option", (argv, message) => {
    expect(() => parseClusterArgs(argv)).toThrow(UsageError);
    expect(() => parseClusterArgs(argv)).toThrow(message);
  });
});

describe("HAProxy's configuration", () => {
  const config = haproxyConfig({
    port: 8080,
    backends: [
      { name: "lab-1", port: 3001 },
      { name: "lab-2", port: 3002 },
    ],
    longPollMaxMs: 60_000,
    maxConnections: 1000,
  });

  it("listens on loopback, balances round-robin with no stickiness and checks /api/health", () => {
    expect(config).toContain("bind 127.0.0.1:8080");
    expect(config).toMatch(/backend instances\n {2}balance roundrobin/);
    expect(config).not.toMatch(/cookie|stick/);
    expect(config).toContain("option httpchk GET /api/health");
    expect(config).toContain("server lab-1 127.0.0.1:3001 check");
    expect(config).toContain("server lab-2 127.0.0.1:3002 check");
  });

  it("never times out a long poll held to the clamp, and tunnels WebSockets", () => {
    const ms = (name: string): number => Number(new RegExp(`timeout ${name} (\\d+)ms`).exec(config)?.[1]);
    expect(ms("server")).toBeGreaterThan(60_000);
    expect(ms("client")).toBeGreaterThan(60_000);
    expect(config).toContain("timeout tunnel 1h");
  });

  it("keeps a SockJS session on one instance by hashing its URL up to the session id", () => {
    expect(config).toContain("use_backend sockjs if { path_beg /chat/ }");
    expect(config).toMatch(/backend sockjs\n {2}balance uri depth 3/);
  });
});

describe("finding redis-server and haproxy", () => {
  it("says how to install what is missing", () => {
    expect(() => findBinary("no-such-lab-binary", "")).toThrow(MissingBinaryError);
    expect(() => findBinary("no-such-lab-binary", "")).toThrow("apt-get install redis-server haproxy");
  });
});
