import { describe, expect, it } from "vitest";
import { AddressError, assertLoopbackTarget, formatHostPort, isLoopbackAddress, parseHostPort } from "../../scripts/net/address.js";
import { startLink } from "../../scripts/net/link.js";

describe("addresses", () => {
  it("reads host:port in the forms people type", () => {
    expect(parseHostPort("127.0.0.1:3000", "t")).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(parseHostPort("[::1]:3000", "t")).toEqual({ host: "::1", port: 3000 });
    expect(parseHostPort("localhost:3000", "t")).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(parseHostPort("http://127.0.0.1:3000/", "t")).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(parseHostPort("3100", "t")).toEqual({ host: "127.0.0.1", port: 3100 });
    expect(() => parseHostPort("127.0.0.1:http", "--target")).toThrow(/--target: "http" is not a port/);
    expect(() => parseHostPort("::1:3000", "--target")).toThrow(/brackets/);
    expect(parseHostPort("https://127.0.0.1/", "t")).toEqual({ host: "127.0.0.1", port: 443 });
    expect(() => parseHostPort("tcp://127.0.0.1/", "--target")).toThrow(/names no port/);
    expect(formatHostPort({ host: "::1", port: 3100 })).toBe("[::1]:3100");
  });

  it("knows loopback in every spelling", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"]) expect(isLoopbackAddress(host)).toBe(true);
    for (const host of ["10.0.0.1", "128.0.0.1", "::", "::ffff:10.0.0.1", "localhost"]) expect(isLoopbackAddress(host)).toBe(false);
  });

  it("refuses a target off this machine, saying what it accepts", async () => {
    for (const target of ["10.0.0.1:80", "192.168.1.20:3000", "[2001:db8::1]:443", "http://93.184.216.34:80"]) {
      await expect(startLink({ target })).rejects.toThrow(/is not on this machine: the link emulator only forwards to 127\.0\.0\.0\/8 or ::1/);
    }
    expect(() => assertLoopbackTarget({ host: "8.8.8.8", port: 53 })).toThrow(AddressError);
    // A name could resolve anywhere, so it is refused rather than looked up.
    await expect(startLink({ target: "example.com:80" })).rejects.toThrow(/not an IP address/);
  });
});
