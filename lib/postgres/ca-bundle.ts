/**
 * The CA certificates `ssl: "verify-full"` trusts: Node's own store, plus the operator's PEM bundle when
 * CONNECTOR_CA_BUNDLE names one (e.g. Amazon RDS's global bundle, for databases whose certificates chain to a
 * CA Node does not ship). The file is read once per container and per path.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { config } from '../config.js';

let cached: { path: string; cas: string[] } | undefined;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The CAs to pass as `ca`, or undefined to keep Node's default store (no bundle configured). */
export function trustedCas(): string[] | undefined {
  const path = config.connectorCaBundle;
  if (!path) return undefined;
  if (cached?.path !== path) {
    // A missing or empty bundle is the operator's misconfiguration: a plain Error (500, logged), never a silent
    // fallback to fewer trusted CAs than intended.
    const extra = readFileSync(path, 'utf8').match(PEM_CERTIFICATE);
    if (!extra) throw new Error(`CONNECTOR_CA_BUNDLE: ${path} holds no PEM certificate`);
    cached = { path, cas: [...rootCertificates, ...extra] };
  }
  return cached.cas;
}
