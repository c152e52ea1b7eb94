import type { LinkProfile } from "../scripts/net/profiles.js";

/**
 * `GET /api/network`: the link profiles and the emulated link this server is also served through,
 * so the dashboard can tell whether its own page came over it. Shared by the server and the client.
 */
export interface NetworkResponse {
  /** The table of scripts/net/profiles.ts, in its order. */
  profiles: NetworkProfileRow[];
  /** Null when the server runs without a link (LAB_NETWORK_PROFILE unset). */
  link: NetworkLinkInfo | null;
}

export interface NetworkProfileRow extends LinkProfile {
  name: string;
  about: string;
}

export interface NetworkLinkInfo extends LinkProfile {
  /** The link's port on loopback; a page whose port is this one came through the link. */
  port: number;
  /** The profile's name, or "custom" for numbers given directly. */
  profile: string;
}
