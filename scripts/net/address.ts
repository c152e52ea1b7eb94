import { BlockList, isIP } from "node:net";

/** A bad --target/--listen, or a target off this machine: the message is meant for the person who typed it. */
export class AddressError extends Error {
  override name = "AddressError";
}

export interface HostPort {
  host: string;
  port: number;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** 127.0.0.0/8 and ::1 (also written in full, or IPv4-mapped as ::ffff:127.x.x.x). */
export function isLoopbackAddress(host: string): boolean {
  const family = isIP(host);
  if (family === 0) return false;
  return LOOPBACK.check(host, family === 6 ? "ipv6" : "ipv4");
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "ws:": "80", "https:": "443", "wss:": "443" };

/**
 * Reads "127.0.0.1:3000", "[::1]:3000", "localhost:3000", "http://127.0.0.1:3000" or a bare port
 * ("3000", meaning 127.0.0.1). "localhost" becomes 127.0.0.1 rather than whatever the resolver says,
 * so the address checked is the address used.
 */
export function parseHostPort(text: string, what: string): HostPort {
  let rest = text.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme !== null) {
    let url: URL;
    try {
      url = new URL(rest);
    } catch {
      throw new AddressError(`${what}: "${text}" is not a URL`);
    }
    // URL drops a scheme's default port, so it is put back here.
    const port = url.port !== "" ? url.port : DEFAULT_PORTS[url.protocol];
    if (port === undefined) throw new AddressError(`${what}: "${text}" names no port`);
    rest = `${url.hostname}:${port}`;
  }
  let host = "127.0.0.1";
  let portText = rest;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (bracketed !== null) {
    host = bracketed[1] ?? "";
    portText = bracketed[2] ?? "";
  } else if (rest.includes(":")) {
    const colon = rest.lastIndexOf(":");
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(":")) throw new AddressError(`${what}: write an IPv6 address in brackets, e.g. [::1]:3000`);
  }
  if (host === "localhost") host = "127.0.0.1";
  if (!/^\d+$/.test(portText) || Number(portText) > 65_535) throw new AddressError(`${what}: "${portText}" is not a port (0-65535) in "${text}"`);
  if (isIP(host) === 0) throw new AddressError(`${what}: "${host}" is not an IP address (write 127.0.0.1, [::1] or localhost)`);
  return { host, port: Number(portText) };
}

/** The emulator forwards to this machine only: it is a lab instrument, not a way to relay traffic elsewhere. */
export function assertLoopbackTarget(target: HostPort): void {
  if (!isLoopbackAddress(target.host)) {
    throw new AddressError(`target ${target.host}:${target.port} is not on this machine: the link emulator only forwards to 127.0.0.0/8 or ::1`);
  }
  if (target.port === 0) throw new AddressError("target port 0: name the port the server listens on");
}

/** "127.0.0.1:3100", "[::1]:3100". */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
