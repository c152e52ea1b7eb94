import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../../scripts/bench/args.js";

describe("bench --cluster and --scenario failover", () => {
  it("runs a scenario through N instances, and failover through three by default", () => {
    expect(parseCli(["--scenario", "chat", "--cluster", "2"]).config.cluster).toBe(2);
    expect(parseCli(["--scenario", "chat"]).config.cluster).toBeUndefined();
    const failover = parseCli(["--scenario", "failover"]).config;
    expect(failover).toMatchObject({ cluster: 3, repeat: 1, autocannonMs: 0 });
    expect(failover.transports).toEqual(["poll", "long-poll", "stream", "sse", "ws", "stomp-ws", "stomp-sockjs"]);
    expect(parseCli(["--scenario", "failover", "--cluster", "4"]).config.cluster).toBe(4);
  });

  it.each([
    [["--cluster", "3", "--url", "http://127.0.0.1:3000"], "--cluster: not with --url"],
    [["--scenario", "scale", "--cluster", "3"], "--cluster: not with --scenario scale"],
    [["--cluster", "3", "--transports", "ws,stomp-ws"], "--cluster: not with STOMP transports"],
    [["--cluster", "3", "--publish-via", "ws"], "--cluster: not with --publish-via"],
    [["--cluster", "3", "--http", "2"], "--cluster: not with --http 2"],
    [["--cluster", "0"], "--cluster"],
  ])("refuses %j, saying why", (argv, message) => {
    expect(() => parseCli(argv)).toThrow(UsageError);
    expect(() => parseCli(argv)).toThrow(message);
  });
});
