import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULTS, resolveConfig } from "../../server/config.js";

describe("resolveConfig", () => {
  it("uses the documented defaults", () => {
    expect(resolveConfig()).toEqual(DEFAULTS);
    expect(DEFAULTS).toMatchObject({ host: "127.0.0.1", port: 3000, historySize: 10_000, maxTextLength: 2_000, bodyLimit: 16_384, longPollDefaultMs: 25_000 });
  });

  it("reads HOST, PORT and LAB_* from the environment, and overrides win", () => {
    const config = resolveConfig({ heartbeatMs: 5 }, { HOST: "::1", PORT: "8080", LAB_HISTORY_SIZE: "500", LAB_HEARTBEAT_MS: "9" });
    expect(config).toMatchObject({ host: "::1", port: 8080, historySize: 500, heartbeatMs: 5 });
  });

  it.each([
    [{ LAB_HISTORY_SIZE: "10k" }, "LAB_HISTORY_SIZE must be a whole number"],
    [{ PORT: "70000" }, "PORT must be 0..65535"],
    [{ LAB_WS_MAX_PAYLOAD: "104857600" }, "at most 1 MiB"],
    [{ LAB_LONG_POLL_DEFAULT_MS: "90000" }, "LAB_LONG_POLL_DEFAULT_MS must not exceed"],
    [{ LAB_BODY_LIMIT: "0" }, "LAB_BODY_LIMIT must be a positive whole number"],
  ])("refuses %j with a readable error", (env, message) => {
    expect(() => resolveConfig({}, env)).toThrow(ConfigError);
    expect(() => resolveConfig({}, env)).toThrow(message);
  });
});
