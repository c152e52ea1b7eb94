import type { FastifyInstance } from "fastify";
import type { LabDeps } from "./app.js";

/** The browser dashboard: static files, the reports list and the wire echo (issue 4 fills this in). */
export async function dashboardPlugin(_app: FastifyInstance, _deps: LabDeps): Promise<void> {}
