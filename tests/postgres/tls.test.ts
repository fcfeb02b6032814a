/**
 * `ssl: "verify-full"` against a TLS server (the scripted server of tests/support/hostile-postgres.ts with a
 * certificate from the test CA in tests/support/tls): the chain is checked against Node's store plus the
 * operator's CONNECTOR_CA_BUNDLE, and the host name against the certificate, although the socket goes to
 * the vetted address.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runReadOnlyQuery } from '../../lib/postgres/query.js';
import type { LookupFn } from '../../lib/net/guard.js';
import type { ConnectionConfig } from '../../lib/types.js';
import { rejectionOf as failure } from '../support/errors.js';
import { startHostilePostgres, type HostileServer } from '../support/hostile-postgres.js';

const fixture = (name: string) => readFileSync(join(__dirname, '../support/tls', name));
const CA_BUNDLE = join(__dirname, '../support/tls/ca.pem');

let right: HostileServer;
let wrong: HostileServer;
const lookup: LookupFn = async () => [{ address: '127.0.0.1', family: 4 }];

beforeAll(async () => {
  right = await startHostilePostgres({
    tls: { key: fixture('db.semaia.test-key.pem'), cert: fixture('db.semaia.test.pem') },
  });
  wrong = await startHostilePostgres({
    tls: { key: fixture('wrong.semaia.test-key.pem'), cert: fixture('wrong.semaia.test.pem') },
  });
});
afterAll(async () => {
  delete process.env.CONNECTOR_CA_BUNDLE;
  await right?.close();
  await wrong?.close();
});
afterEach(() => {
  delete process.env.CONNECTOR_CA_BUNDLE;
});

const conn = (server: HostileServer, ssl: ConnectionConfig['ssl']): ConnectionConfig => ({
  host: 'db.semaia.test',
  port: server.port,
  database: 'normal',
  user: 'u',
  ssl,
});

it('require encrypts without verifying', async () => {
  expect((await runReadOnlyQuery(conn(right, 'require'), 'SELECT 1', { lookup })).rows).toEqual([[1]]);
});

it("verify-full refuses a chain Node's store does not trust", async () => {
  const err = await failure(runReadOnlyQuery(conn(right, 'verify-full'), 'SELECT 1', { lookup }));
  expect(err.code).toBe('ConnectorError');
  expect(err.details).toEqual({ reason: 'tls' });
  expect(err.message).toMatch(/certificate/);
});

it('verify-full trusts the operator CA bundle, and checks the host name against the certificate', async () => {
  process.env.CONNECTOR_CA_BUNDLE = CA_BUNDLE;
  expect((await runReadOnlyQuery(conn(right, 'verify-full'), 'SELECT 1', { lookup })).rows).toEqual([[1]]);
  const err = await failure(runReadOnlyQuery(conn(wrong, 'verify-full'), 'SELECT 1', { lookup }));
  expect(err.code).toBe('ConnectorError');
  expect(err.details).toEqual({ reason: 'tls' });
  expect(err.message).toMatch(/db\.semaia\.test/);
});

it('a bundle without certificates is a configuration error, not fewer trusted CAs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'semaia-ca-'));
  try {
    const empty = join(dir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    process.env.CONNECTOR_CA_BUNDLE = empty;
    const err = await runReadOnlyQuery(conn(right, 'verify-full'), 'SELECT 1', { lookup }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/CONNECTOR_CA_BUNDLE: .* holds no PEM certificate/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
