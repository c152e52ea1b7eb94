import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { BenchResults } from "../../scripts/bench/results.js";
import {
  compareRuns,
  defaultPair,
  differences,
  indexData,
  renderIndex,
  runSummary,
  settingsOf,
  writeIndex,
  type RunSummary,
} from "../../scripts/report/index-page.js";
import { fixture } from "./fixture.js";

const RESULTS = fileURLToPath(new URL("../../results/", import.meta.url));

/** The fixture run with some changes: another scenario, another machine, other settings. */
function run(name: string, change: { scenario?: "chat" | "idle"; cpu?: string; clients?: number } = {}): RunSummary {
  const base = fixture();
  const r: BenchResults = {
    ...base,
    config: {
      ...base.config,
      scenario: change.scenario ?? base.config.scenario,
      clients: change.clients ?? base.config.clients,
      rate: change.scenario === "idle" ? 0 : base.config.rate,
    },
    machine: { ...base.machine, cpuModel: change.cpu ?? base.machine.cpuModel },
  };
  return runSummary(name, r);
}

describe("what makes two runs comparable", () => {
  it("settings are every config option that shapes the measurement, new ones included, and the server's environment", () => {
    const base = fixture();
    const settings = settingsOf({
      ...base,
      config: { ...base.config, repeat: 3 } as BenchResults["config"],
      target: { ...base.target, serverEnv: { LAB_HEARTBEAT_MS: "5000" } },
    });
    expect(settings).toMatchObject({
      scenario: "chat",
      clients: "10",
      rate: "10",
      durationMs: "10000",
      transports: "poll,long-poll,stream,sse,ws",
      repeat: "3",
      LAB_HEARTBEAT_MS: "5000",
      server: "own process",
    });
    // autocannon's side runs and the straggler timeout do not change what the transports' figures measure
    expect(settings).not.toHaveProperty("autocannonMs");
    expect(settings).not.toHaveProperty("drainTimeoutMs");
  });

  it("lists each difference with both values, a missing one as none", () => {
    expect(differences({ clients: "10", rate: "10" }, { clients: "100", rate: "10", repeat: "3" })).toEqual(["clients: 10 ≠ 100", "repeat: none ≠ 3"]);
    expect(differences({ a: "1" }, { a: "1" })).toEqual([]);
  });

  it("refuses ratios across scenarios and lists every setting that differs", () => {
    const c = compareRuns(run("2026-01-01T000000-chat"), run("2026-01-02T000000-idle", { scenario: "idle" }));
    expect(c.ratios).toBe(false);
    expect(c.settings).toEqual(["scenario: chat ≠ idle", "rate: 10 ≠ 0"]);
    expect(c.environment).toEqual([]);
  });

  it("keeps ratios within a scenario but names other settings and another machine", () => {
    const c = compareRuns(run("2026-01-01T000000-chat"), run("2026-01-02T000000-chat", { clients: 100, cpu: "Other CPU" }));
    expect(c.ratios).toBe(true);
    expect(c.settings).toEqual(["clients: 10 ≠ 100"]);
    expect(c.environment).toEqual(["CPU: Test CPU ≠ Other CPU"]);
  });

  it("finds nothing to say about two runs of the same settings on the same machine", () => {
    expect(compareRuns(run("2026-01-01T000000-chat"), run("2026-01-02T000000-chat"))).toEqual({ ratios: true, settings: [], environment: [] });
  });
});

describe("the comparison the page opens with", () => {
  it("never pairs runs of different scenarios, even when they are the two newest", () => {
    expect(defaultPair([run("2026-01-02T000000-idle", { scenario: "idle" }), run("2026-01-01T000000-chat")])).toEqual({ a: null, b: "2026-01-02T000000-idle" });
  });

  it("never pairs runs of different settings within a scenario", () => {
    expect(defaultPair([run("2026-01-02T000000-chat", { clients: 100 }), run("2026-01-01T000000-chat")])).toEqual({ a: null, b: "2026-01-02T000000-chat" });
  });

  it("pairs the newest run that has a match with its newest older match, whatever the order given", () => {
    const runs = [
      run("2026-01-01T000000-chat"),
      run("2026-01-04T000000-idle", { scenario: "idle" }),
      run("2026-01-03T000000-chat"),
      run("2026-01-02T000000-chat"),
    ];
    expect(defaultPair(runs)).toEqual({ a: "2026-01-02T000000-chat", b: "2026-01-03T000000-chat" });
  });

  it("prefers a match from the same machine over a newer one from another", () => {
    const runs = [run("2026-01-03T000000-chat"), run("2026-01-02T000000-chat", { cpu: "Other CPU" }), run("2026-01-01T000000-chat")];
    expect(defaultPair(runs)).toEqual({ a: "2026-01-01T000000-chat", b: "2026-01-03T000000-chat" });
  });

  it("falls back to a match from another machine, which the page then warns about", () => {
    const runs = [run("2026-01-02T000000-chat", { cpu: "Other CPU" }), run("2026-01-01T000000-chat")];
    expect(defaultPair(runs)).toEqual({ a: "2026-01-01T000000-chat", b: "2026-01-02T000000-chat" });
    const data = indexData(runs);
    const [b, a] = data.runs;
    expect(data.settings[a?.settingsKind ?? -1]?.[b?.settingsKind ?? -1]).toEqual({ ratios: true, differ: [] });
    expect(data.environment[a?.environmentKind ?? -1]?.[b?.environmentKind ?? -1]).toEqual(["CPU: Test CPU ≠ Other CPU"]);
  });

  it("has nothing to compare without runs", () => {
    expect(defaultPair([])).toEqual({ a: null, b: null });
  });
});

describe("reading results.json", () => {
  it("lists a run whose results.json lacks the machine and versions", () => {
    const { machine: _machine, versions: _versions, ...rest } = fixture();
    const summary = runSummary("2026-01-01T000000-chat", rest as BenchResults);
    expect(summary.machine).toBe("unknown machine");
    expect(summary.environment).toMatchObject({ CPU: "unknown", Node: "unknown" });
  });
});

describe("results/index.html", () => {
  it("is the same bytes every time it is rebuilt from the same runs, listed newest first", async () => {
    const root = await mkdtemp(join(tmpdir(), "index-"));
    try {
      // created oldest last, so the listing order cannot come from the file system's
      for (const name of ["2026-01-01T000000-chat", "2026-01-03T000000-idle", "2026-01-02T000000-chat"]) {
        await mkdir(join(root, name));
        const r = fixture();
        await writeFile(
          join(root, name, "results.json"),
          JSON.stringify(name.endsWith("idle") ? { ...r, config: { ...r.config, scenario: "idle", rate: 0 } } : r),
        );
      }
      await mkdir(join(root, "not-a-run"));
      const first = await readFile(await writeIndex(root), "utf8");
      const second = await readFile(await writeIndex(root), "utf8");
      expect(second).toBe(first);
      const order = ["2026-01-03T000000-idle", "2026-01-02T000000-chat", "2026-01-01T000000-chat"].map((name) =>
        first.indexOf(`<a href="${name}/report.html">`),
      );
      expect(order.every((at, i) => at > 0 && (i === 0 || at > (order[i - 1] ?? 0)))).toBe(true);
      expect(first).not.toContain("not-a-run");
      expect(first).toContain('"pair":{"a":"2026-01-01T000000-chat","b":"2026-01-02T000000-chat"}');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("labels every cell of the runs table, so a phone can show each run as a card", () => {
    const page = renderIndex([run("2026-01-01T000000-chat")]);
    for (const label of ["run", "scenario", "workload", "machine", "delivery"]) expect(page).toContain(`<td data-label="${label}"`);
    expect(page).toContain("@media (max-width:700px)");
  });

  it("is kept as writeIndex makes it from the runs in results/ (after a change to the runs or the report code: npm run report -- --index)", async () => {
    const committed = await readFile(join(RESULTS, "index.html"), "utf8");
    const root = await mkdtemp(join(tmpdir(), "index-committed-"));
    try {
      for (const entry of await readdir(RESULTS, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const results = await readFile(join(RESULTS, entry.name, "results.json")).catch(() => undefined);
        if (results === undefined) continue;
        await mkdir(join(root, entry.name));
        await writeFile(join(root, entry.name, "results.json"), results);
      }
      expect(await readFile(await writeIndex(root), "utf8")).toBe(committed);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
