/**
 * The API process stopping or dying mid-reply: Ctrl-C stores the partial reply and ends the stream with
 * error Shutdown; a killed process leaves a reply that reads as interrupted with the text of its last
 * checkpoint, and the sample PostgreSQL it leaves running does not stop the next start. The API runs as `npm start` in a child process; the store (dynalite) lives in this process,
 * so it outlives the API.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../lib/local/embedded-dynamo.js';
import { resetDocumentClient } from '../../lib/store/client.js';
import { effectiveMessage, listMessages } from '../../lib/store/messages.js';
import { ensureTable } from '../../lib/store/setup.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { startTestApi } from '../support/api.js';
import { readSse, type ReceivedEvent } from '../support/sse-client.js';

const TABLE = `semaia-lifecycle-${process.pid}`;
let dynamo: EmbeddedDynamo;
const saved = { ...process.env };

beforeAll(async () => {
  dynamo = await startEmbeddedDynamo({});
  Object.assign(process.env, { DYNAMODB_ENDPOINT: dynamo.endpoint, TABLE_NAME: TABLE, LOG_LEVEL: 'silent' });
  resetDocumentClient();
  await ensureTable();
});

afterAll(async () => {
  resetDocumentClient();
  await dynamo?.close();
  process.env = saved;
});

const childEnv = () => ({
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: TABLE,
  SCRIPTED_GEMINI_DELAY_MS: '60',
  REPLY_LEASE_MS: '1500',
  SHUTDOWN_GRACE_MS: '300',
});

async function startChat(api: ApiProcess, onEvent: (e: ReceivedEvent) => void | 'stop') {
  const headers = { 'x-user-uid': 'life-user', 'content-type': 'application/json' };
  // A connector whose database cannot be reached: the reply goes on without the schema.
  const created = await fetch(`${api.url}/api/connectors`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      name: 'nowhere',
      host: '127.0.0.1',
      port: 1,
      database: 'x',
      user: 'x',
      ssl: 'disable',
    }),
  });
  const { connector } = (await created.json()) as { connector: { id: string } };
  const res = await fetch(`${api.url}/api/connectors/${connector.id}/chats`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ message: 'Please tell me a long story about the sea and its ships' }),
  });
  return readSse(res, onEvent);
}

const tokensOf = (events: ReceivedEvent[]) =>
  events
    .filter((e) => e.event === 'token')
    .map((e) => e.json.text)
    .join('');

describe('the API process stopping mid-reply', () => {
  it('Ctrl-C lets the reply run for the grace period, then stores it as incomplete and ends with error Shutdown', async () => {
    const api = await startApiProcess(childEnv(), ['--scripted-model']);
    try {
      let tokens = 0;
      const { events } = await startChat(api, (e) => {
        if (e.event === 'token' && ++tokens === 3) api.child.kill('SIGINT');
      });
      const names = events.map((e) => e.event);
      expect(names.slice(-2)).toEqual(['stored', 'error']);
      expect(events[events.length - 2]!.json.status).toBe('incomplete');
      expect(events[events.length - 1]!.json).toMatchObject({ code: 'Shutdown' });
      expect(await api.exited).toBe(0);

      const { chatId } = events[0]!.json;
      const [user, reply] = await listMessages('life-user', chatId);
      expect(user!.content).toContain('long story');
      expect(reply).toMatchObject({ status: 'incomplete', error: { code: 'Shutdown' } });
      expect(reply!.content).toBe(tokensOf(events));
      expect(reply!.content.length).toBeGreaterThan(0);
    } finally {
      await api.stop();
    }
  });

  it('a killed process leaves a reply that reads as interrupted, with the text of its last checkpoint', async () => {
    const api = await startApiProcess(childEnv(), ['--scripted-model']);
    let events: ReceivedEvent[] = [];
    try {
      let firstToken = 0;
      ({ events } = await startChat(api, (e) => {
        if (e.event !== 'token') return undefined;
        firstToken ||= Date.now();
        // Past the first checkpoint (one per second at most), then the process dies without a word.
        if (Date.now() - firstToken > 1_500) {
          api.child.kill('SIGKILL');
          return 'stop';
        }
        return undefined;
      }).catch(() => ({ events })));
      expect(await api.exited).toBe(null);
    } finally {
      await api.stop();
    }
    const { chatId, assistantMessageId } = events[0]!.json;
    const received = tokensOf(events);

    // Before the lease passes the reply still reads as streaming; after it, as interrupted.
    await new Promise((r) => setTimeout(r, 1_700));
    const [, raw] = await listMessages('life-user', chatId);
    const seen = effectiveMessage(raw!);
    expect(seen).toMatchObject({ status: 'incomplete', error: { code: 'Interrupted' } });
    expect(seen.content.length).toBeGreaterThan(0);
    expect(received.startsWith(seen.content)).toBe(true);

    // A new API process (here: the handler in this process) shows it, stores it, and a follower gets the end.
    const local = await startTestApi({ store: false, env: { TABLE_NAME: TABLE } });
    try {
      const chat = await local.request('GET', `/chats/${chatId}`, { user: 'life-user' });
      expect(chat.json.messages[1]).toMatchObject({
        status: 'incomplete',
        content: seen.content,
        error: { code: 'Interrupted' },
      });
      const [, after] = await listMessages('life-user', chatId);
      expect(after!.status).toBe('incomplete'); // stored by the read that noticed
      const follow = await readSse(
        await local.fetch('GET', `/chats/${chatId}/messages/${assistantMessageId}/events`, {
          user: 'life-user',
        }),
      );
      expect(follow.events.map((e) => e.event).slice(-2)).toEqual(['stored', 'error']);
      expect(follow.events[follow.events.length - 1]!.json.code).toBe('Interrupted');
      expect(tokensOf(follow.events)).toBe(seen.content);
    } finally {
      await local.close();
    }
  });
});

describe('a killed npm start and its sample PostgreSQL', () => {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const postmasterPid = (clusterDir: string) =>
    Number(readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const clusterOf = (api: ApiProcess) => /data in (\S+\/cluster)\b/.exec(api.output())![1]!;

  it('the next start on the same DATA_DIR stops the PostgreSQL left running, and serves the sample', async () => {
    // World-readable, so that (as root) the cluster lives inside it and goes with it.
    const dataDir = mkdtempSync(join(tmpdir(), 'semaia-orphan-'));
    chmodSync(dataDir, 0o755);
    const env = { ...childEnv(), DATA_DIR: dataDir, SEMAIA_SAMPLE: 'on' };
    let orphan = 0;
    try {
      const first = await startApiProcess(env);
      const cluster = clusterOf(first);
      orphan = postmasterPid(cluster);
      first.child.kill('SIGKILL'); // a crash, kill -9, or a closed terminal: no chance to stop PostgreSQL
      await first.exited;
      expect(alive(orphan)).toBe(true);

      const second = await startApiProcess(env);
      try {
        expect(alive(orphan)).toBe(false);
        expect(second.output()).toContain(
          `stopped the PostgreSQL server (pid ${orphan}) that an earlier run left`,
        );
        const res = await fetch(`${second.url}/api/connectors/sample/query`, {
          method: 'POST',
          headers: { 'x-user-uid': 'life-user', 'content-type': 'application/json' },
          body: JSON.stringify({ sql: 'select count(*) as n from customers' }),
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { rows: unknown[][] }).rows).toEqual([['500']]);
      } finally {
        await second.stop(); // SIGTERM: it stops its own PostgreSQL
      }
      expect(second.output()).toContain('stopping');
      expect(() => readFileSync(join(cluster, 'postmaster.pid'))).toThrow(/ENOENT/);
    } finally {
      if (orphan && alive(orphan)) process.kill(orphan, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
