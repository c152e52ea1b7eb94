import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The project's root: the nearest directory above this module that holds package.json. Found, not
 * assumed, because this module runs from `server/` under tsx and from `.lab-build/` once bundled
 * (`npm start`, the bench: scripts/build-server.ts), one and two levels below the root.
 */
function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));
