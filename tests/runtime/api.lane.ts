/**
 * The built bundle (dist/api/index.mjs + chunks) under the real Lambda runtime interface client, on the
 * machine's Node and on Node 22, against the Runtime API stand-in: every event shape, every route class
 * (health, JSON data routes on dynalite, SQL on PostgreSQL, SSE chats and explain with the scripted model),
 * a bad configuration failing init, and 200 warm invocations with a flat count of file descriptors.
 * Figures (token latency, descriptors, memory) go to .tmp/runtime-lane/figures-<node>.json for run.sh.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadEvent } from '../support/events.js';
import { parseSse } from '../support/sse-client.js';
import { checkedAnswer, watchSse, type Answer } from './support/answer.js';
import { cloudFrontRequest, type RequestOptions } from './support/events.js';
import { startRuntimeApi, type RuntimeApi } from './support/runtime-api.js';
import { laneNodes, startRuntime, type NodeBinary, type RuntimeProcess } from './support/runtime-process.js';
import { GEMINI_KEY_IN_SSM, startLaneServices, type LaneServices } from './support/services.js';

const TASK_ROOT = resolve('dist/api');
const LANE_DIR = resolve('.tmp/runtime-lane');

let services: LaneServices;
beforeAll(async () => {
  services = await startLaneServices();
});
afterAll(async () => {
  await services?.stop();
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (x: number) => Math.round(x * 100) / 100;

describe.each(laneNodes().map((node) => [node.version, node] as const))(
  'the bundle under aws-lambda-ric on Node %s',
  (_version: string, node: NodeBinary) => {
    const user = `lane-${node.version}`;
    const figures: Record<string, unknown> = {};
    let api: RuntimeApi;
    let runtime: RuntimeProcess;
    let connectorId: string;

    beforeAll(async () => {
      api = await startRuntimeApi();
      runtime = startRuntime({
        node,
        runtimeApi: api.address,
        taskRoot: TASK_ROOT,
        handler: 'index.handler',
        env: services.functionEnv,
      });
    });
    afterAll(async () => {
      await runtime?.stop();
      await api?.close();
      mkdirSync(LANE_DIR, { recursive: true });
      writeFileSync(resolve(LANE_DIR, `runtime-${node.version}.log`), runtime?.output() ?? '');
      writeFileSync(resolve(LANE_DIR, `figures-${node.version}.json`), JSON.stringify(figures, null, 2));
    });
    afterEach(() => {
      expect(api.violations).toEqual([]);
      // The runtime logs "Invoke Error" for every failed invocation: none may fail here.
      expect(runtime.output()).not.toContain('Invoke Error');
    });

    const invoke = async (event: unknown): Promise<Answer> => checkedAnswer(await api.invoke(event).result);
    const call = (method: string, path: string, opts: Partial<RequestOptions> = {}) =>
      invoke(cloudFrontRequest(method, `/api${path}`, { user, ...opts }));
    const sse = { accept: 'text/event-stream' };

    describe('event shapes (tests/events)', () => {
      it('Function URL, health: 200 from the first (cold) invocation', async () => {
        const event = loadEvent('function-url-health.json');
        const res = await invoke(event);
        expect(res).toMatchObject({ status: 200, json: { ok: true } });
        expect(res.headers['x-request-id']).toBe(event.requestContext.requestId);
      });

      it("CloudFront → Function URL, /api/chats with the authorizer's user: 200", async () => {
        const res = await invoke(loadEvent('cloudfront-function-url-list-chats.json'));
        expect(res.status).toBe(200);
        expect(res.json.chats).toEqual([]);
      });

      it('CloudFront → Function URL, SSE chat with a base64 body on an unknown connector: 404 JSON', async () => {
        const res = await invoke(loadEvent('cloudfront-function-url-chat-message-sse.json'));
        expect(res.status).toBe(404);
        expect(res.json.error.code).toBe('NotFound');
      });

      it('API Gateway REST (1.0) with multi-value maps and an authorizer: connector created (KMS)', async () => {
        const res = await invoke(loadEvent('apigw-rest-v1-create-connector.json'));
        expect(res.status).toBe(201);
        expect(res.json.connector).toMatchObject({
          name: 'Warehouse',
          host: 'db.example.com',
          hasPassword: true,
        });
        expect(res.body).not.toContain('s3cret');
      });

      it('API Gateway HTTP (2.0) with a named stage: unknown chat → 404', async () => {
        const res = await invoke(loadEvent('apigw-http-v2-stage-get-chat.json'));
        expect(res.status).toBe(404);
        expect(res.headers['x-request-id']).toBe('JKJaXmPLvHcESHA=');
      });

      it('a non-HTTP event (SQS): 400', async () => {
        const res = await invoke(loadEvent('sqs-not-http.json'));
        expect(res.status).toBe(400);
        expect(res.json.error.code).toBe('IncorrectSignature');
      });
    });

    describe('routes', () => {
      it('preflight, unknown route, no user, wrong method: 204, 404, 401, 405', async () => {
        const pre = await call('OPTIONS', '/chats', {
          user: null,
          headers: { origin: 'https://app.example' },
        });
        expect(pre.status).toBe(204);
        expect(pre.headers['access-control-allow-methods']).toContain('GET');
        expect((await call('GET', '/nowhere')).status).toBe(404);
        expect((await call('GET', '/chats', { user: null })).status).toBe(401);
        expect((await call('PATCH', '/chats')).status).toBe(405);
      });

      it('connectors: create (password sealed with KMS), list, rename', async () => {
        const created = await call('POST', '/connectors', {
          body: { name: 'pets', url: services.readerUrl },
          headers: { 'idempotency-key': `lane-create-${node.version}` },
        });
        expect(created.status).toBe(201);
        expect(created.json.connector).toMatchObject({ name: 'pets', hasPassword: true });
        connectorId = created.json.connector.id;
        const list = await call('GET', '/connectors');
        expect(list.json.connectors.map((c: { id: string }) => c.id)).toEqual([connectorId]);
        const renamed = await call('PUT', `/connectors/${connectorId}`, { body: { name: 'Pets' } });
        expect(renamed).toMatchObject({ status: 200, json: { connector: { name: 'Pets' } } });
      });

      it('SQL: inspect the schema, run a query, report an SQL error', async () => {
        const schema = await call('GET', `/connectors/${connectorId}/inspect`);
        expect(schema.status).toBe(200);
        expect(schema.body).toContain('Animals we know');
        const query = await call('POST', `/connectors/${connectorId}/query`, {
          body: { sql: 'select id, name from pets order by id', limit: 2 },
        });
        expect(query.status).toBe(200);
        expect(query.json).toMatchObject({
          columns: [
            { name: 'id', type: 'integer' },
            { name: 'name', type: 'text' },
          ],
          rows: [
            [1, 'Rex'],
            [2, 'Tom'],
          ],
          truncated: true,
        });
        const bad = await call('POST', `/connectors/${connectorId}/query`, {
          body: { sql: 'select nope from pets' },
        });
        expect(bad.status).toBe(400);
        expect(bad.json.error.code).toBe('SqlError');
        const csv = await call('POST', `/connectors/${connectorId}/query`, {
          body: { sql: 'select id, name, species from pets order by id', format: 'csv' },
        });
        expect(csv.status).toBe(200);
        expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
        expect(csv.body).toBe('id,name,species\r\n1,Rex,dog\r\n2,Tom,cat\r\n3,Nemo,\r\n');
      });

      let chatId: string;
      it('a chat streams: each token reaches the Runtime API before the model sends the next', async () => {
        const words = ['Hello', ' from', ' the', ' scripted', ' model', '.'];
        services.gemini.script({ chunks: words });
        const sentBefore = services.gate.sent.length;
        const invocation = api.invoke(
          cloudFrontRequest('POST', `/api/connectors/${connectorId}/chats`, {
            user,
            body: { message: 'Say hello' },
            headers: sse,
          }),
        );
        const watch = watchSse(invocation);
        services.gate.release = (soFar) => watch.until(() => watch.tokenText().length >= soFar.length);
        let res: Answer;
        try {
          res = checkedAnswer(await invocation.result);
        } finally {
          services.gate.release = undefined;
        }
        expect(services.gate.misses).toEqual([]);
        expect(res.status).toBe(200);
        // The key came from the SSM parameter (GEMINI_API_KEY_PARAM), as in the deployed function.
        expect(services.gemini.requests.at(-1)?.headers['x-goog-api-key']).toBe(GEMINI_KEY_IN_SSM);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);

        // The whole body, parsed afterwards, says what the incremental parse saw.
        const whole = parseSse(res.body).events.map((e) => e.event);
        expect(whole).toEqual(['chat', ...words.map(() => 'token'), 'stored', 'done']);
        expect(watch.events.map((e) => e.event)).toEqual(whole);
        const tokens = watch.events.filter((e) => e.event === 'token');
        expect(tokens.map((t) => t.data.text)).toEqual(words);

        const sent = services.gate.sent.slice(sentBefore);
        expect(sent.map((s) => s.text)).toEqual(words);
        tokens.forEach((token, i) => {
          expect(token.at).toBeGreaterThan(sent[i]!.at);
          if (sent[i + 1]) expect(token.at).toBeLessThan(sent[i + 1]!.at);
        });
        const latencies = tokens.map((t, i) => t.at - sent[i]!.at);
        figures.tokenLatencyMs = { median: round(median(latencies)), max: round(Math.max(...latencies)) };

        const chatEvent = watch.events[0]!.data;
        chatId = chatEvent.chatId;
        expect(watch.events.find((e) => e.event === 'stored')!.data).toMatchObject({
          chatId,
          status: 'complete',
        });
      });

      it('the reply is stored: GET /chats/{id}', async () => {
        const res = await call('GET', `/chats/${chatId}`);
        expect(res.status).toBe(200);
        expect(res.json.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
          ['user', 'Say hello'],
          ['assistant', 'Hello from the scripted model.'],
        ]);
      });

      it("a follow-up runs the model's SQL inside the stream: query and rows events", async () => {
        services.gemini.script(
          {
            chunks: [
              'Let me count. ',
              { functionCall: { name: 'run_sql', args: { sql: 'select count(*) as n from pets' } } },
            ],
          },
          { chunks: ['There are ', '3 pets.'] },
        );
        const invocation = api.invoke(
          cloudFrontRequest('POST', `/api/chats/${chatId}/messages`, {
            user,
            body: { message: 'How many pets?' },
            headers: sse,
          }),
        );
        const res = checkedAnswer(await invocation.result);
        const events = parseSse(res.body).events;
        expect(events.map((e) => e.event)).toEqual([
          'chat',
          'token',
          'query',
          'rows',
          'token',
          'token',
          'stored',
          'done',
        ]);
        // count(*) is a bigint: sent as a string, as every int8 is.
        expect(JSON.parse(events[3]!.data)).toMatchObject({ rows: [['3']], rowCount: 1 });
      });

      it('explain streams plan, tokens and done', async () => {
        services.gemini.script({ chunks: ['Reads ', 'every pet.'] });
        const res = await call('POST', `/connectors/${connectorId}/explain`, {
          body: { sql: 'select * from pets' },
          headers: sse,
        });
        expect(res.status).toBe(200);
        const events = parseSse(res.body).events;
        expect(events.map((e) => e.event)).toEqual(['plan', 'token', 'token', 'done']);
        expect(JSON.parse(events[0]!.data).plan[0].Plan['Node Type']).toBe('Seq Scan');
      });

      it('deletes the chat and the connector: 204, then 404', async () => {
        expect((await call('DELETE', `/chats/${chatId}`)).status).toBe(204);
        expect((await call('GET', `/chats/${chatId}`)).status).toBe(404);
        expect((await call('DELETE', `/connectors/${connectorId}`)).status).toBe(204);
        expect((await call('GET', `/connectors/${connectorId}/inspect`)).status).toBe(404);
      });
    });

    it('200 warm invocations of every route class leave the file descriptors flat', async () => {
      const created = await call('POST', '/connectors', { body: { name: 'warm', url: services.readerUrl } });
      const id = created.json.connector.id as string;
      const routes: [string, () => Promise<unknown>][] = [
        ['health', () => invoke(loadEvent('function-url-health.json'))],
        ['list chats', () => call('GET', '/chats')],
        ['query', () => call('POST', `/connectors/${id}/query`, { body: { sql: 'select * from pets' } })],
        [
          'chat',
          async () => {
            services.gemini.script({ chunks: ['Warm', ' reply'] });
            const res = await call('POST', `/connectors/${id}/chats`, {
              body: { message: 'hi' },
              headers: sse,
            });
            expect(parseSse(res.body).events.at(-1)?.event).toBe('done');
          },
        ],
      ];
      const runOne = async (i: number) => {
        const res = (await routes[i % routes.length]![1]()) as Answer | undefined;
        if (res) expect(res.status).toBe(200);
      };
      // The first round loads every route's chunk and opens the connection pools.
      for (let i = 0; i < 20; i++) await runOne(i);
      const before = { fds: runtime.openFds(), rssKb: runtime.rssKb(), nexts: api.nextRequests() };
      for (let i = 0; i < 200; i++) await runOne(i);
      const after = { fds: runtime.openFds(), rssKb: runtime.rssKb(), nexts: api.nextRequests() };
      figures.warm = {
        invocations: 200,
        fdsBefore: before.fds,
        fdsAfter: after.fds,
        rssKbBefore: before.rssKb,
        rssKbAfter: after.rssKb,
      };
      expect(after.nexts - before.nexts).toBe(200);
      // A leak of one descriptor every few invocations would add dozens; sockets closing late may add a few.
      expect(after.fds - before.fds).toBeLessThanOrEqual(3);
    });

    it('a bad setting fails init: the runtime posts /init/error naming the variable and exits', async () => {
      const initApi = await startRuntimeApi();
      const bad = startRuntime({
        node,
        runtimeApi: initApi.address,
        taskRoot: TASK_ROOT,
        handler: 'index.handler',
        env: { ...services.functionEnv, LOG_LEVEL: 'loud' },
      });
      try {
        const init = await initApi.initError;
        expect(init.headers['lambda-runtime-function-error-type']).toBe('ConfigError');
        expect(JSON.parse(init.body)).toMatchObject({
          errorType: 'ConfigError',
          errorMessage: expect.stringContaining('LOG_LEVEL'),
        });
        expect(await bad.exited).not.toBe(0);
        expect(initApi.nextRequests()).toBe(0);
      } finally {
        await bad.stop();
        await initApi.close();
      }
    });
  },
);
