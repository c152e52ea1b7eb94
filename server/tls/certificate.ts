import { X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";
import type { LabConfig } from "../config.js";
import { ROOT } from "../paths.js";

/** Where the development certificate is kept (git-ignored), so that a browser's exception for it lasts. */
export const DEV_CERT_DIR = join(ROOT, ".lab-tls/");

export interface Certificate {
  key: string;
  cert: string;
  /** "configured": LAB_TLS_CERT/LAB_TLS_KEY; "created": made now; "reused": made on an earlier start. */
  origin: "configured" | "created" | "reused";
  /** The certificate file. */
  path: string;
  /** SHA-256 fingerprint, as browsers show it. */
  fingerprint: string;
}

/**
 * The TLS listener's certificate: the configured files, or a self-signed development certificate
 * for localhost, 127.0.0.1 and ::1, created on first start and reused until it is within a day of
 * expiring. Browsers will warn about it (it is signed by nobody they trust): that is expected for a
 * lab on loopback, and `npm start` says so.
 */
export async function loadCertificate(config: Pick<LabConfig, "tlsCert" | "tlsKey">, dir = DEV_CERT_DIR): Promise<Certificate> {
  if (config.tlsCert !== "") {
    const cert = readFileSync(config.tlsCert, "utf8");
    return { key: readFileSync(config.tlsKey, "utf8"), cert, origin: "configured", path: config.tlsCert, fingerprint: fingerprintOf(cert) };
  }
  // Key and certificate in one file, renamed into place whole: two servers starting at once (tests)
  // never read half of one, nor one's key with the other's certificate.
  const path = join(dir, "dev-cert.pem");
  if (existsSync(path)) {
    const pair = splitPem(readFileSync(path, "utf8"));
    if (pair !== null && usable(pair.cert)) return { ...pair, origin: "reused", path, fingerprint: fingerprintOf(pair.cert) };
  }
  const now = Date.now();
  const made = await generate([{ name: "commonName", value: "transport-lab localhost" }], {
    keyType: "ec",
    curve: "P-256",
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + 365 * 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  mkdirSync(dir, { recursive: true });
  const aside = `${path}.${process.pid}-${now}`;
  writeFileSync(aside, `${made.private.trim()}\n${made.cert.trim()}\n`, { mode: 0o600 });
  renameSync(aside, path);
  return { key: made.private, cert: made.cert, origin: "created", path, fingerprint: fingerprintOf(made.cert) };
}

function splitPem(pem: string): { key: string; cert: string } | null {
  const key = /-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(pem)?.[0];
  return key === undefined || cert === undefined ? null : { key, cert };
}

function usable(pem: string): boolean {
  try {
    return Date.parse(new X509Certificate(pem).validTo) > Date.now() + 24 * 3600_000;
  } catch {
    return false;
  }
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
