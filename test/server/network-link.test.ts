import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { NetworkResponse } from "../../protocol/network.js";
import { PROFILE_NAMES, PROFILES } from "../../scripts/net/profiles.js";
import { ConfigError, resolveConfig } from "../../server/config.js";
import { networkLinkOptions } from "../../server/network-link.js";
import { startServer, type TestServer } from "../helpers/server.js";

describe("LAB_NETWORK_PROFILE and LAB_NETWORK_PORT", () => {
  it("are off by default, with port 3100 ready", () => {
    const config = resolveConfig();
    expect(config).toMatchObject({ networkProfile: "", networkPort: 3100 });
    expect(networkLinkOptions(config)).toBeNull();
    expect(networkLinkOptions(resolveConfig({}, { LAB_NETWORK_PROFILE: "off" }))).toBeNull();
  });

  it("name a profile of the table, whose numbers the link gets", () => {
    const config = resolveConfig({}, { LAB_NETWORK_PROFILE: "3G", LAB_NETWORK_PORT: "3200" });
    expect(networkLinkOptions(config)).toEqual({ name: "3g", port: 3200, profile: { rttMs: 150, downBitsPerSecond: 1.6e6, upBitsPerSecond: 0.75e6 } });
  });

  it.each([
    [{ LAB_NETWORK_PROFILE: "5g" }, `unknown profile "5g"; known profiles: ${PROFILE_NAMES.join(", ")} (or off)`],
    [{ LAB_NETWORK_PORT: "65536" }, "LAB_NETWORK_PORT must be 0..65535"],
    [{ LAB_NETWORK_PORT: "fast" }, "LAB_NETWORK_PORT must be a whole number"],
    [{ LAB_NETWORK_PROFILE: "lan", LAB_NETWORK_PORT: "3000" }, "LAB_NETWORK_PORT (3000) must differ from PORT and LAB_TLS_PORT"],
  ])("refuse %j with a readable error", (env, message) => {
    expect(() => resolveConfig({}, env)).toThrow(ConfigError);
    expect(() => resolveConfig({}, env)).toThrow(message);
  });
});

describe("GET /api/network", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("lists the profile table and no link when none is open", async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/api/network`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as NetworkResponse;
    expect(body.link).toBeNull();
    expect(body.profiles).toEqual(PROFILE_NAMES.map((name) => ({ name, ...PROFILES[name] })));
  });

  it("refuses a query it does not take", async () => {
    server = await startServer();
    const response = await fetch(`${server.url}/api/network?profile=3g`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "bad_request" });
  });

  it("names the open link, which serves the same API through the emulator", async () => {
    server = await startServer({ networkProfile: "lan", networkPort: 0 });
    const options = networkLinkOptions(server.config);
    if (options === null) throw new Error("lan is a profile");
    const link = await server.app.networkLink.open(options);
    const expected = { port: link.port, profile: "lan", rttMs: 1, downBitsPerSecond: 1e9, upBitsPerSecond: 1e9 };
    const direct = (await (await fetch(`${server.url}/api/network`)).json()) as NetworkResponse;
    const through = (await (await fetch(`${link.url}/api/network`)).json()) as NetworkResponse;
    expect(direct.link).toEqual(expected);
    expect(through.link).toEqual(expected);
    expect(link.stats().connectionsTotal).toBe(1);
  });

  it("lets a long poll held through the link get its shutdown answer, then closes the link", async () => {
    server = await startServer({ shutdownDrainMs: 0 });
    const link = await server.app.networkLink.open({ name: "custom", port: 0, profile: { rttMs: 100, downBitsPerSecond: null, upBitsPerSecond: null } });
    const info = (await (await fetch(`${link.url}/api/network`)).json()) as NetworkResponse;
    expect(info.link).toMatchObject({ profile: "custom", rttMs: 100, downBitsPerSecond: null });
    const held = fetch(`${link.url}/api/long-poll?after=${server.app.lab.feed.lastId}&timeout=30000`);
    await expect.poll(() => server?.app.lab.stats.transports["long-poll"].open).toBe(1);
    const closing = server.app.close();
    server = undefined;
    // Answered by the shutdown (empty, at once) and carried home across the link's 50 ms each way.
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ messages: [] });
    await closing;
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(link.port, "127.0.0.1");
      socket.once("connect", () => resolve("connected"));
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    });
    expect(refused).toBe("ECONNREFUSED");
  });
});
