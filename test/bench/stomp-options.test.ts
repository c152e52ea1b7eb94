import { describe, expect, it } from "vitest";
import { HELP, parseCli } from "../../scripts/bench/args.js";
import { periodicCosts } from "../../scripts/bench/idle-window.js";
import { defaultConfig } from "../../scripts/bench/scenarios.js";
import { DEFAULTS } from "../../server/config.js";

describe("bench options for STOMP", () => {
  it("runs the five by default, STOMP's two when named, in the lab's order", () => {
    expect(parseCli([]).config.transports).toEqual(["poll", "long-poll", "stream", "sse", "ws"]);
    expect(parseCli(["--transports", "stomp-sockjs,ws,stomp-ws"]).config.transports).toEqual(["ws", "stomp-ws", "stomp-sockjs"]);
    expect(parseCli(["--transports", "stomp-sockjs"]).config.sockjsTransports).toBeUndefined();
  });

  it("takes SockJS sub-transports for stomp-sockjs only", () => {
    const o = parseCli(["--transports", "stomp-sockjs", "--sockjs-transport", "xhr-polling,websocket"]);
    expect(o.config.sockjsTransports).toEqual(["websocket", "xhr-polling"]);
    expect(() => parseCli(["--transports", "stomp-sockjs", "--sockjs-transport", "jsonp-polling"])).toThrow(/unknown SockJS transport "jsonp-polling"/);
    expect(() => parseCli(["--transports", "ws", "--sockjs-transport", "xhr-streaming"])).toThrow(/only for stomp-sockjs/);
  });

  it("publishes by STOMP SEND when --publish-via stomp", () => {
    expect(parseCli(["--transports", "stomp-ws", "--publish-via", "stomp"]).config.publishVia).toBe("stomp");
    expect(() => parseCli(["--publish-via", "pigeon"])).toThrow(/expected http, ws, stomp/);
  });

  it("refuses STOMP where it does not apply, saying why", () => {
    expect(() => parseCli(["--scenario", "scale", "--transports", "stomp-ws"])).toThrow(/--scenario scale/);
    expect(() => parseCli(["--baseline", "--transports", "stomp-ws"])).toThrow(/bare reference servers speak no STOMP/);
    expect(() => parseCli(["--http", "2", "--transports", "stomp-sockjs"])).toThrow(/plaintext HTTP\/1\.1 only/);
    expect(() => parseCli(["--tls", "--transports", "stomp-ws"])).toThrow(/plaintext HTTP\/1\.1 only/);
    expect(() => parseCli(["--compress", "gzip", "--transports", "stomp-ws"])).toThrow(/compresses neither/);
    for (const scenario of ["idle", "chat", "burst", "fanout", "large"]) {
      expect(parseCli(["--scenario", scenario, "--transports", "stomp-ws,stomp-sockjs"]).config.transports).toEqual(["stomp-ws", "stomp-sockjs"]);
    }
    expect(parseCli(["--transports", "stomp-ws"]).notices.join(" ")).toMatch(/Chromium headers cover the five transports only/);
    expect(HELP).toMatch(/not in --scenario scale/);
    expect(HELP).toMatch(/--sockjs-transport/);
  });

  it("counts STOMP's heart-beat, the ping on /api/stomp and SockJS's heartbeat frame in an idle window", () => {
    const costs = periodicCosts(DEFAULTS, { ...defaultConfig("idle"), transports: ["stomp-ws", "stomp-sockjs"] });
    expect(costs.map((c) => [c.what, c.transports, c.periodMs])).toEqual([
      ["WebSocket ping", ["stomp-ws"], 30_000],
      ["STOMP heart-beat", ["stomp-ws", "stomp-sockjs"], 15_000],
      ["SockJS heartbeat frame", ["stomp-sockjs"], 15_000],
    ]);
    // stompjs asks for 10 s: a server that asks for less beats at 10 s.
    const short = periodicCosts({ ...DEFAULTS, heartbeatMs: 5_000 }, { ...defaultConfig("idle"), transports: ["stomp-ws"] });
    expect(short.find((c) => c.what === "STOMP heart-beat")?.periodMs).toBe(10_000);
  });
});
