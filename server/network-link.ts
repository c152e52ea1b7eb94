import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { NetworkLinkInfo, NetworkResponse } from "../protocol/network.js";
import type { HostPort } from "../scripts/net/address.js";
import { startLink, type Link } from "../scripts/net/link.js";
import { PROFILE_NAMES, PROFILES, type LinkProfile } from "../scripts/net/profiles.js";
import { networkProfileName, type LabConfig } from "./config.js";

/**
 * The opt-in second port: the same server behind the link emulator of scripts/net (a TCP proxy in
 * this process, in front of the plain HTTP port), so a browser that opens it sees the transports on
 * a slow line. The server itself does not know which requests were throttled; the dashboard tells
 * by its own page's port, which `GET /api/network` names.
 */

export interface NetworkLinkOptions {
  /** A name of PROFILES, or "custom" for numbers given directly (tests). */
  name: string;
  profile: LinkProfile;
  /** On 127.0.0.1; 0 picks a free port. */
  port: number;
}

declare module "fastify" {
  interface FastifyInstance {
    /** The emulated link in front of this server, opened by main.ts after the plain listener. */
    networkLink: NetworkLinkSlot;
  }
}

/** The link main.ts opens from LAB_NETWORK_PROFILE / LAB_NETWORK_PORT, or null when it is off. */
export function networkLinkOptions(config: Pick<LabConfig, "networkProfile" | "networkPort">): NetworkLinkOptions | null {
  const name = networkProfileName(config);
  if (name === null) return null;
  const { rttMs, downBitsPerSecond, upBitsPerSecond } = PROFILES[name];
  return { name, profile: { rttMs, downBitsPerSecond, upBitsPerSecond }, port: config.networkPort };
}

/** Holds the link once it is open, answers for it, and closes it after the server has closed. */
export class NetworkLinkSlot {
  #link: Link | null = null;
  #name = "";

  constructor(private readonly app: FastifyInstance) {}

  /** Opens the link in front of the plain listener, which must be listening already. */
  async open(options: NetworkLinkOptions): Promise<Link> {
    if (this.#link !== null) throw new Error("the network link is open already");
    const target = loopbackTarget(this.app.server.address());
    try {
      this.#link = await startLink({ target, profile: options.profile, listen: { host: "127.0.0.1", port: options.port } });
    } catch (error) {
      throw new Error(`network link on 127.0.0.1:${options.port}: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.#name = options.name;
    return this.#link;
  }

  info(): NetworkLinkInfo | null {
    if (this.#link === null) return null;
    const { rttMs, downBitsPerSecond, upBitsPerSecond } = this.#link.profile;
    return { port: this.#link.port, profile: this.#name, rttMs, downBitsPerSecond, upBitsPerSecond };
  }

  /**
   * Runs after the plain listener has closed (long polls answered, streams ended, WebSockets closed
   * with 1001). Those last bytes and FINs are still in the link, delayed by its RTT: closing it at
   * once would reset them. So the link drains first, for as long as a FIN and the client's answer
   * take (2 RTT) plus a margin for queued bytes, then cuts what is left.
   */
  async close(): Promise<void> {
    const link = this.#link;
    if (link === null) return;
    this.#link = null;
    const deadline = Date.now() + 2 * link.profile.rttMs + DRAIN_MARGIN_MS;
    // The link exposes counts, not events: a short poll of its count is the only signal there is.
    while (link.stats().connectionsOpen > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await link.close();
  }
}

const DRAIN_MARGIN_MS = 250;

const PROFILE_ROWS = PROFILE_NAMES.map((name) => ({ name, ...PROFILES[name] }));

const nullableNumber = { type: ["number", "null"] } as const;
const profileNumbers = { rttMs: { type: "number" }, downBitsPerSecond: nullableNumber, upBitsPerSecond: nullableNumber } as const;
const networkResponse = {
  type: "object",
  required: ["profiles", "link"],
  properties: {
    profiles: {
      type: "array",
      items: { type: "object", required: ["name", "about", "rttMs"], properties: { name: { type: "string" }, about: { type: "string" }, ...profileNumbers } },
    },
    link: {
      anyOf: [
        { type: "null" },
        { type: "object", required: ["port", "profile", "rttMs"], properties: { port: { type: "integer" }, profile: { type: "string" }, ...profileNumbers } },
      ],
    },
  },
} as const;
const noQuery = { type: "object", additionalProperties: false, properties: {} } as const;

/** Decorates `app.networkLink`, serves `GET /api/network`, and closes the link on `app.close()`. */
export async function installNetworkLink(app: FastifyInstance): Promise<void> {
  const slot = new NetworkLinkSlot(app);
  app.decorate("networkLink", slot);
  // onClose hooks run after Fastify has closed the listener, so the link drains what it carried.
  app.addHook("onClose", () => slot.close());
  app.get(
    "/api/network",
    { schema: { querystring: noQuery, response: { 200: networkResponse } } },
    async (): Promise<NetworkResponse> => ({
      profiles: PROFILE_ROWS,
      link: slot.info(),
    }),
  );
}

/** The plain listener's address as the link's target: a wildcard listener is reached on loopback. */
function loopbackTarget(address: AddressInfo | string | null): HostPort {
  if (address === null || typeof address === "string") throw new Error("the network link needs the server listening on TCP first");
  const host = address.address === "0.0.0.0" ? "127.0.0.1" : address.address === "::" ? "::1" : address.address;
  return { host, port: address.port };
}
