/**
 * Password sealing: the local key path, the KMS path (real @aws-sdk/client-kms over HTTP against a small
 * local KMS stand-in that, like KMS, binds data keys to their encryption context), and Lambda without KMS.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resetLocalKeyCache } from '../../lib/crypto/local-key.js';
import { openSecret, sealSecret } from '../../lib/crypto/secrets.js';

const master = randomBytes(32);
const calls: { target: string; context: unknown }[] = [];

function wrap(plain: Buffer, context: unknown): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master, iv);
  c.setAAD(Buffer.from(JSON.stringify(context)));
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]);
}
function unwrap(blob: Buffer, context: unknown): Buffer {
  const d = createDecipheriv('aes-256-gcm', master, blob.subarray(0, 12));
  d.setAAD(Buffer.from(JSON.stringify(context)));
  d.setAuthTag(blob.subarray(12, 28));
  return Buffer.concat([d.update(blob.subarray(28)), d.final()]);
}
const sorted = (o: Record<string, string> = {}) => Object.fromEntries(Object.entries(o).sort());

let kms: Server;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'semaia-crypto-'));
  process.env.DATA_DIR = dataDir;
  process.env.LOG_LEVEL ??= 'silent';
  kms = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '').replace('TrentService.', '');
      const input = JSON.parse(body);
      calls.push({ target, context: input.EncryptionContext });
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(payload));
      };
      const context = sorted(input.EncryptionContext);
      if (target === 'GenerateDataKey') {
        const plain = randomBytes(32);
        return reply(200, {
          KeyId: 'arn:aws:kms:us-east-1:111122223333:key/test',
          Plaintext: plain.toString('base64'),
          CiphertextBlob: wrap(plain, context).toString('base64'),
        });
      }
      if (target === 'Decrypt') {
        try {
          const plain = unwrap(Buffer.from(input.CiphertextBlob, 'base64'), context);
          return reply(200, { KeyId: input.KeyId, Plaintext: plain.toString('base64') });
        } catch {
          return reply(400, { __type: 'InvalidCiphertextException', message: 'context mismatch' });
        }
      }
      reply(400, { __type: 'UnsupportedOperationException', message: target });
    });
  });
  await new Promise<void>((r) => kms.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  await new Promise((r) => kms.close(r));
  rmSync(dataDir, { recursive: true, force: true });
});

afterEach(() => {
  for (const k of [
    'KMS_KEY_ID',
    'KMS_ENDPOINT',
    'AWS_LAMBDA_FUNCTION_NAME',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ]) {
    delete process.env[k];
  }
  resetLocalKeyCache();
});

const A = { uid: 'alice', connectorId: 'c1' };

test('local key: round trip, bound to user and connector, fresh IV each time', async () => {
  const s1 = await sealSecret('pässwörd 🔑', A);
  const s2 = await sealSecret('pässwörd 🔑', A);
  expect(s1).toMatchObject({ v: 1, alg: 'AES-256-GCM', kp: 'local' });
  expect(s1.iv).not.toBe(s2.iv);
  expect(s1.ct).not.toBe(s2.ct);
  expect(JSON.stringify(s1)).not.toContain('pässwörd');
  expect(await openSecret(s1, A)).toBe('pässwörd 🔑');
  await expect(openSecret(s1, { uid: 'bob', connectorId: 'c1' })).rejects.toMatchObject({ code: 'Internal' });
  await expect(openSecret(s1, { uid: 'alice', connectorId: 'c2' })).rejects.toMatchObject({
    code: 'Internal',
  });
  await expect(openSecret({ ...s1, v: 2 }, A)).rejects.toMatchObject({
    message: expect.stringMatching(/unknown format/),
  });
  await expect(openSecret({ ...s1, tag: s1.tag.slice(0, 8) }, A)).rejects.toMatchObject({ code: 'Internal' });
});

test('KMS: data key with encryption context {uid, connectorId}; other contexts fail', async () => {
  process.env.KMS_KEY_ID = 'alias/semaia-test';
  process.env.KMS_ENDPOINT = `http://127.0.0.1:${(kms.address() as AddressInfo).port}`;
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  calls.length = 0;
  const sealed = await sealSecret('kms-secret', A);
  expect(sealed).toMatchObject({ v: 1, kp: 'kms', keyId: 'arn:aws:kms:us-east-1:111122223333:key/test' });
  expect(sealed.edk).toBeTruthy();
  expect(calls[0]).toEqual({ target: 'GenerateDataKey', context: { uid: 'alice', connectorId: 'c1' } });
  expect(await openSecret(sealed, A)).toBe('kms-secret');
  await expect(openSecret(sealed, { uid: 'bob', connectorId: 'c1' })).rejects.toMatchObject({
    code: 'Internal',
    message: expect.stringMatching(/KMS refused/),
  });
  // Even if a data key were released, the GCM additional data still names user and connector.
  expect(calls.filter((c) => c.target === 'Decrypt')).toHaveLength(2);
});

test('in Lambda without KMS_KEY_ID, passwords are refused (and local ciphertexts are not opened)', async () => {
  const local = await sealSecret('x', A);
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'semaia';
  await expect(sealSecret('x', A)).rejects.toMatchObject({
    code: 'Internal',
    message: expect.stringMatching(/KMS_KEY_ID/),
  });
  await expect(openSecret(local, A)).rejects.toMatchObject({ code: 'Internal' });
});
