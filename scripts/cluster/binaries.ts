import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** A system program the cluster needs and did not find: the message says how to install it. */
export class MissingBinaryError extends Error {
  override name = "MissingBinaryError";
}

/** Debian's places first (haproxy lives in /usr/sbin, which a user's PATH often lacks), then PATH. */
const SYSTEM_DIRS = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];

/** The absolute path of `name` (`redis-server`, `haproxy`), or MissingBinaryError. */
export function findBinary(name: string, path = process.env.PATH ?? ""): string {
  for (const dir of [...SYSTEM_DIRS, ...path.split(delimiter).filter((d) => d !== "")]) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  throw new MissingBinaryError(
    `${name} is not installed (looked in ${SYSTEM_DIRS.join(", ")} and PATH). The cluster runs the real redis-server and HAProxy from the system's packages: on Debian or Ubuntu, sudo apt-get install redis-server haproxy`,
  );
}
