import { readFile } from "node:fs/promises";
import { cpus, release, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import type { Machine } from "./results.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function machine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cores: list.length,
    memoryBytes: totalmem(),
    platform: process.platform,
    release: release(),
    node: process.version,
  };
}

const PACKAGES = ["fastify", "@fastify/websocket", "undici", "ws", "autocannon", "hdr-histogram-js", "chart.js"];

/** Versions actually installed, read from node_modules rather than the ranges in package.json. */
export async function versions(): Promise<Record<string, string>> {
  const out: Record<string, string> = { node: process.version };
  const lab = JSON.parse(await readFile(`${ROOT}package.json`, "utf8")) as { version: string };
  out["transport-lab"] = lab.version;
  for (const name of PACKAGES) {
    try {
      const pkg = JSON.parse(await readFile(`${ROOT}node_modules/${name}/package.json`, "utf8")) as { version: string };
      out[name] = pkg.version;
    } catch {
      out[name] = "not installed";
    }
  }
  return out;
}
