/**
 * The limits hold across processes, as they must across Lambda containers: two API processes (`npm start`,
 * each in a child process of its own) on one store share every line, and a process killed while it holds
 * a stream's lease loses it at the lease's end (its invocation's deadline plus a margin), after which the
 * other process is let in. Real HTTP, one dynalite, the scripted Gemini server, a real PostgreSQL database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePostgresUrl } from '../../lib/connectors/url.js';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../lib/local/embedded-dynamo.js';
import { startScriptedGemini, type ScriptedGemini } from '../../lib/local/scripted-gemini/server.js';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { readSse } from '../support/sse-client.js';
import { sleepingSessions, waitFor } from './support.js';

let dynamo: EmbeddedDynamo;
let gemini: ScriptedGemini;
let db: TestDatabase;
let readerUrl: string;
/** Shared by the processes, as one deployment's containers share one KMS key: each reads the other's passwords. */
let dataDir: string;
const processes: ApiProcess[] = [];

const env = () => ({
  DATA_DIR: dataDir,
  DYNAMODB_ENDPOINT: dynamo.endpoint,
  TABLE_NAME: 'semaia-shared-limits',
  GEMINI_API_KEY: 'k',
  GEMINI_BASE_URL: gemini.url,
  MODEL_RETRY_BASE_MS: '5',
  LIMIT_STREAMS_PER_USER: '1',
  LIMIT_SQL_CONCURRENT_PER_CONNECTOR: '2',
  LIMIT_SQL_REQUESTS_PER_MINUTE: '1000',
  LIMIT_CONNECTORS_PER_USER: '3',
});

async function start(extra: Record<string, string> = {}): Promise<ApiProcess> {
  const p = await startApiProcess({ ...env(), ...extra });
  processes.push(p);
  return p;
}

let a: ApiProcess;
let b: ApiProcess;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'semaia-shared-limits-'));
  dynamo = await startEmbeddedDynamo();
  gemini = await startScriptedGemini({ fallback: 'fail' });
  db = await createTestDatabase('shared_limits');
  readerUrl = await db.readerUrl();
  [a, b] = await Promise.all([start(), start()]);
}, 60_000);

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await gemini?.close();
  await dynamo?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

beforeEach(() => gemini.reset());

async function call(p: ApiProcess, method: string, path: string, user: string, body?: unknown) {
  const res = await fetch(p.url + '/api' + path, {
    method,
    headers: { 'x-user-uid': user, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text(); // a stream is read to its end
  const isJson = res.headers.get('content-type')?.startsWith('application/json');
  return { status: res.status, json: isJson && text ? JSON.parse(text) : undefined, res };
}

const connectorBody = () => ({ name: 'Shared', ...parsePostgresUrl(readerUrl, 'disable') });

describe('two API processes on one store', () => {
  it('share the connector count', async () => {
    const user = 'shared-connectors';
    expect((await call(a, 'POST', '/connectors', user, connectorBody())).status).toBe(201);
    expect((await call(b, 'POST', '/connectors', user, connectorBody())).status).toBe(201);
    expect((await call(a, 'POST', '/connectors', user, connectorBody())).status).toBe(201);
    const refusedA = await call(a, 'POST', '/connectors', user, connectorBody());
    const refusedB = await call(b, 'POST', '/connectors', user, connectorBody());
    expect([refusedA.status, refusedB.status]).toEqual([429, 429]);
    expect(refusedB.json.error).toMatchObject({ limit: 'connectors', max: 3 });
  });

  it("share each connector's SQL slots", async () => {
    const user = 'shared-sql';
    const cid = (await call(a, 'POST', '/connectors', user, connectorBody())).json.connector.id;
    const sleep = (p: ApiProcess) =>
      call(p, 'POST', `/connectors/${cid}/query`, user, { sql: 'select pg_sleep(1.5)' });
    const running = [sleep(a), sleep(b)];
    await waitFor(async () => (await sleepingSessions(db)) >= 2, 'one statement from each process');
    const refusedA = await call(a, 'POST', `/connectors/${cid}/query`, user, { sql: 'select 1' });
    const refusedB = await call(b, 'POST', `/connectors/${cid}/query`, user, { sql: 'select 1' });
    expect([refusedA.status, refusedB.status]).toEqual([429, 429]);
    expect(refusedA.json.error.limit).toBe('sqlConcurrentPerConnector');
    expect((await Promise.all(running)).map((r) => r.status)).toEqual([200, 200]);
    expect((await call(b, 'POST', `/connectors/${cid}/query`, user, { sql: 'select 1' })).status).toBe(200);
  });

  it('share the stream limit; a stream that ends in one process lets the other in', async () => {
    const user = 'shared-streams';
    const cid = (await call(a, 'POST', '/connectors', user, connectorBody())).json.connector.id;
    gemini.script({ chunks: ['one ', 'two ', 'three ', 'four'], delayMs: 150 });
    const live = await fetch(`${a.url}/api/connectors/${cid}/chats`, {
      method: 'POST',
      headers: { 'x-user-uid': user, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hi' }),
    });
    expect(live.status).toBe(200);
    const refused = await call(b, 'POST', `/connectors/${cid}/chats`, user, { message: 'too' });
    expect(refused.status).toBe(429);
    expect(refused.res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.json.error.limit).toBe('streams');
    expect((await readSse(live)).events.pop()?.event).toBe('done');
    gemini.script({ chunks: ['fine'] });
    expect((await call(b, 'POST', `/connectors/${cid}/chats`, user, { message: 'now' })).status).toBe(200);
  });

  it("a killed process's stream lease ends with its invocation's deadline, then the other process gets in", async () => {
    const user = 'shared-crash';
    // A function timeout of 3 s: the lease of a stream it starts ends 3 s + 5 s (margin) later at most.
    const doomed = await start({ LAMBDA_TIMEOUT_MS: '3000', MODEL_DEADLINE_MARGIN_MS: '0' });
    const cid = (await call(doomed, 'POST', '/connectors', user, connectorBody())).json.connector.id;
    gemini.script({ hang: true });
    const started = Date.now();
    const live = await fetch(`${doomed.url}/api/connectors/${cid}/chats`, {
      method: 'POST',
      headers: { 'x-user-uid': user, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hang' }),
    });
    const reader = live.body!.getReader();
    await reader.read(); // the stream is open: the lease is held
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    reader.cancel().catch(() => undefined);

    expect((await call(b, 'POST', `/connectors/${cid}/chats`, user, { message: 'blocked' })).status).toBe(
      429,
    );
    gemini.reset();
    gemini.script({ chunks: ['back'] });
    let status = 429;
    while (status === 429 && Date.now() - started < 20_000) {
      await new Promise((r) => setTimeout(r, 250));
      status = (await call(b, 'POST', `/connectors/${cid}/chats`, user, { message: 'again' })).status;
    }
    expect(status).toBe(200);
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(3_000); // not before the dead invocation's deadline
  });
});
