import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { ROOT } from "../server/paths.js";

/**
 * The server as it runs in production: each entry bundled into one ES module of plain JavaScript
 * in `.lab-build/` (dependencies stay in node_modules), with a source map for stack traces.
 *
 * Why not run the TypeScript through tsx, as `npm run dev` does: tsx compiles with esbuild's
 * `keepNames`, which wraps every function expression in a call that defines its `name` property
 * when it is created. A closure made per request or per connection then costs about 0.7 µs instead
 * of a few nanoseconds, and the server makes several per request: measured under tsx, that was part
 * of what the lab was charged for each poll. `npm start` and the benchmark (its lab and its bare
 * servers alike) run these bundles instead.
 */
export const BUILD_DIR = join(ROOT, ".lab-build");

/** What can be built: the lab's server, the bench's bare reference server, and the probe the bench preloads. */
export const SERVER_ENTRIES = {
  server: "server/main.ts",
  "bare-server": "scripts/bench/baselines/main.ts",
  "server-probe": "scripts/bench/server-probe.ts",
} as const;
export type ServerEntry = keyof typeof SERVER_ENTRIES;

/**
 * Bundle `name` and return the path of its module. Written under a temporary name and renamed into
 * place, so that a process starting meanwhile (two bench runs, tests in parallel) never loads half
 * a file.
 */
export async function buildServer(name: ServerEntry): Promise<string> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, SERVER_ENTRIES[name])],
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${process.versions.node}`,
    packages: "external",
    sourcemap: "linked",
    outfile: join(BUILD_DIR, `${name}.mjs`),
    write: false,
    logLevel: "silent",
  });
  const suffix = `.${process.pid}.${Date.now()}.tmp`;
  for (const file of result.outputFiles) {
    writeFileSync(file.path + suffix, file.contents);
    renameSync(file.path + suffix, file.path);
  }
  return join(BUILD_DIR, `${name}.mjs`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const names = process.argv.slice(2);
  for (const name of names.length === 0 ? (["server"] as ServerEntry[]) : names) {
    if (!(name in SERVER_ENTRIES)) {
      console.error(`build-server: unknown entry "${name}" (known: ${Object.keys(SERVER_ENTRIES).join(", ")})`);
      process.exit(2);
    }
    console.log(`built ${await buildServer(name as ServerEntry)}`);
  }
}
