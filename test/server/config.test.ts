import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, ENV_NAMES, resolveConfig, type LabConfig } from "../../server/config.js";

/** Every `| `VAR`, `VAR` | default, default | ... |` row of the README's settings tables. */
function documentedDefaults(): [string, string][] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const rows: [string, string][] = [];
  for (const line of readme.split("\n")) {
    const cells = /^\| (`[A-Z][A-Z0-9_]*`(?:, `[A-Z][A-Z0-9_]*`)*) \| ([^|]+) \|/.exec(line);
    if (cells === null) continue;
    const names = (cells[1] ?? "").split(", ").map((name) => name.replaceAll("`", ""));
    const values = (cells[2] ?? "")
      .trim()
      .split(", ")
      .map((value) => value.replaceAll("`", ""));
    expect(values, line).toHaveLength(names.length);
    for (const [i, name] of names.entries()) rows.push([name, values[i] === "empty" ? "" : (values[i] ?? "")]);
  }
  return rows;
}

const keyOf = Object.fromEntries(Object.entries(ENV_NAMES).map(([key, name]) => [name, key])) as Record<string, keyof LabConfig>;

describe("resolveConfig", () => {
  it("uses the documented defaults", () => {
    expect(resolveConfig()).toMatchObject({
      host: "127.0.0.1",
      port: 3000,
      historySize: 10_000,
      recentLimit: 50,
      maxTextLength: 2_000,
      bodyLimit: 16_384,
      longPollDefaultMs: 25_000,
      longPollMaxMs: 60_000,
      heartbeatMs: 15_000,
      maxBufferedBytes: 1_048_576,
      adminHooks: false,
    });
  });

  it("has, for every variable the README documents, the default the README gives", () => {
    const defaults = resolveConfig();
    const rows = documentedDefaults().filter(([name]) => name !== "LOG_LEVEL"); // read by main.ts, not a LabConfig setting
    expect(rows.length).toBeGreaterThan(20);
    for (const [name, documented] of rows) {
      const key = keyOf[name];
      expect(key, `${name} is documented but not a setting`).toBeDefined();
      if (key === undefined) continue;
      const asDocumented = documented === "" ? "" : resolveConfig({}, { [name]: documented })[key];
      expect(defaults[key], `${name}: README says ${documented}`).toEqual(asDocumented);
    }
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
