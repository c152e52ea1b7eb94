import { fileURLToPath } from "node:url";
import { build } from "vite";

/** Build the dashboard once, from the current sources, so the tests never run a stale bundle. */
export default async function setup(): Promise<void> {
  await build({ configFile: fileURLToPath(new URL("../../client/vite.config.ts", import.meta.url)), logLevel: "warn" });
}
