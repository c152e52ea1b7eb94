import { describe, expect, it } from "vitest";
import { parseCli, UsageError } from "../../scripts/bench/args.js";
import { httpVersionsOf } from "../../scripts/bench/scenarios.js";
import { parseHttp, phaseName, wireFor, wireName } from "../../scripts/bench/wire.js";

describe("--http, --tls and --h2-shared", () => {
  it("keeps today's run when none is given: plaintext HTTP/1.1, nothing recorded", () => {
    const { config, notices } = parseCli([]);
    expect(config.http).toBeUndefined();
    expect(config.tls).toBeUndefined();
    expect(config.h2Shared).toBeUndefined();
    expect(httpVersionsOf(config)).toEqual(["1.1"]);
    expect(notices).toEqual([]);
  });

  it("reads 1.1, 2 and both, in that order", () => {
    expect(parseHttp("1.1")).toEqual(["1.1"]);
    expect(parseHttp("2")).toEqual(["2"]);
    expect(parseHttp("both")).toEqual(["1.1", "2"]);
    expect(parseHttp("3")).toMatch(/expected 1.1, 2 or both/);
    expect(parseCli(["--http", "both"]).config.http).toEqual(["1.1", "2"]);
    expect(() => parseCli(["--http", "quic"])).toThrow(/--http: expected 1.1, 2 or both, got "quic"/);
  });

  it("says WebSocket runs over HTTP/1.1+TLS in an HTTP/2 phase, and only when WebSocket runs", () => {
    expect(parseCli(["--http", "2"]).notices.join(" ")).toMatch(/WebSocket has no HTTP\/2.*HTTP\/1\.1\+TLS/);
    expect(parseCli(["--http", "2", "--transports", "sse"]).notices).toEqual([]);
  });

  it("refuses combinations it cannot honour, naming the option", () => {
    expect(() => parseCli(["--tls", "--http", "2"])).toThrow(/--tls: HTTP\/2 is always over TLS/);
    expect(() => parseCli(["--h2-shared"])).toThrow(/--h2-shared: multiplexing needs HTTP\/2/);
    expect(() => parseCli(["--http", "2", "--url", "http://127.0.0.1:3000"])).toThrow(/cannot target --url/);
    expect(() => parseCli(["--tls", "--baseline"])).toThrow(/--baseline/);
    expect(() => parseCli(["--http", "both", "--scenario", "scale"])).toThrow(/scale/);
    expect(() => parseCli(["--tls", "--h2-shared"])).toThrow(UsageError);
  });

  it("accepts --tls for HTTP/1.1 and --h2-shared for HTTP/2", () => {
    const o = parseCli(["--http", "both", "--tls", "--h2-shared"]);
    expect([o.config.tls, o.config.h2Shared]).toEqual([true, true]);
  });
});

describe("the wire of a phase", () => {
  const plain = { tls: false, h2Shared: false };
  it("is plaintext HTTP/1.1 unless --tls, and HTTP/2 over TLS", () => {
    expect(wireFor("poll", "1.1", plain)).toEqual({ phase: "1.1", version: "1.1", tls: false, shared: false });
    expect(wireFor("poll", "1.1", { tls: true, h2Shared: true })).toEqual({ phase: "1.1", version: "1.1", tls: true, shared: false });
    expect(wireFor("sse", "2", { tls: false, h2Shared: true })).toEqual({ phase: "2", version: "2", tls: true, shared: true });
  });

  it("puts WebSocket over HTTP/1.1+TLS in an HTTP/2 phase, and names it so", () => {
    const ws = wireFor("ws", "2", { tls: false, h2Shared: true });
    expect(ws).toEqual({ phase: "2", version: "1.1", tls: true, shared: false });
    expect(phaseName(ws)).toBe("HTTP/2 phase, over HTTP/1.1+TLS");
    expect(wireName(wireFor("sse", "2", plain))).toBe("HTTP/2");
    expect(wireName(wireFor("sse", "1.1", { tls: true, h2Shared: false }))).toBe("HTTP/1.1+TLS");
  });
});
