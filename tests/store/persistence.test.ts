/** Data and the local password key survive a restart with the same DATA_DIR. */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_KEY_FILE, resetLocalKeyCache } from '../../lib/crypto/local-key.js';
import { resetDocumentClient } from '../../lib/store/client.js';
import { createChat, listChats } from '../../lib/store/chats.js';
import { listMessages, putMessage } from '../../lib/store/messages.js';
import { createConnector, getConnectionConfig, listConnectors } from '../../lib/store/connectors.js';
import { newId } from '../../lib/ids.js';
import { connectStore } from '../support/dynamo.js';

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'semaia-persist-'));
  process.env.DATA_DIR = dataDir;
  process.env.TABLE_NAME = 'semaia';
  process.env.LOG_LEVEL ??= 'silent';
  delete process.env.KMS_KEY_ID;
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('connectors, chats, messages and the key file survive a restart', async () => {
  const dbPath = join(dataDir, 'dynamodb');
  let server = await connectStore({ path: dbPath });
  const connector = await createConnector('u1', {
    name: 'Kept',
    host: 'db.example.com',
    port: 5432,
    database: 'd',
    user: 'u',
    password: 'survives-restart',
    ssl: 'require',
  });
  const chat = await createChat('u1', { connectorId: connector.id, title: 'Kept chat' });
  await putMessage('u1', {
    id: newId(),
    chatId: chat.id,
    role: 'user',
    content: 'hello',
    createdAt: new Date().toISOString(),
    status: 'complete',
  });
  const keyPath = join(dataDir, LOCAL_KEY_FILE);
  const keyBefore = readFileSync(keyPath);
  expect(keyBefore).toHaveLength(32);
  expect(statSync(keyPath).mode & 0o777).toBe(0o600);

  resetDocumentClient();
  await server.close();
  resetLocalKeyCache(); // as a new process would

  server = await connectStore({ path: dbPath }); // a new port: the client follows the endpoint
  try {
    expect((await listConnectors('u1')).map((c) => c.name)).toEqual(['Kept']);
    expect((await getConnectionConfig('u1', connector.id)).password).toBe('survives-restart');
    expect((await listChats('u1', { limit: 10 })).chats.map((c) => c.title)).toEqual(['Kept chat']);
    expect((await listMessages('u1', chat.id)).map((m) => m.content)).toEqual(['hello']);
    expect(readFileSync(keyPath).equals(keyBefore)).toBe(true);
  } finally {
    resetDocumentClient();
    await server.close();
  }
});

test('a different key file makes stored passwords fail clearly, not decrypt to garbage', async () => {
  const otherDir = mkdtempSync(join(tmpdir(), 'semaia-persist-other-'));
  const server = await connectStore({ path: join(dataDir, 'dynamodb') });
  try {
    const [connector] = await listConnectors('u1');
    process.env.DATA_DIR = otherDir; // a fresh key file is created here
    resetLocalKeyCache();
    await expect(getConnectionConfig('u1', connector!.id)).rejects.toMatchObject({
      code: 'Internal',
      message: expect.stringMatching(/another local key file/),
    });
  } finally {
    process.env.DATA_DIR = dataDir;
    resetLocalKeyCache();
    resetDocumentClient();
    await server.close();
    rmSync(otherDir, { recursive: true, force: true });
  }
});
