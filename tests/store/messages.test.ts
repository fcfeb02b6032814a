/** Reply items as they stream: conditional checkpoints, dead writers, and the 400 KB item limit at every cap. */
import { config } from '../../lib/config.js';
import { newId } from '../../lib/ids.js';
import { DEFAULT_MAX_TOOL_CALLS } from '../../lib/model/agent.js';
import { MAX_MODEL_SQL_CHARS, ROWS_SHOWN_BYTES, rowsWithin } from '../../lib/model/tools.js';
import {
  checkpointMessage,
  createMessage,
  effectiveMessage,
  getMessage,
  markInterrupted,
} from '../../lib/store/messages.js';
import { itemBytes, MAX_ITEM_BYTES } from '../../lib/store/item-size.js';
import type { Message, QueryRecord } from '../../lib/types.js';
import { useDynamo } from '../support/dynamo.js';

useDynamo();

const CHAT = newId();

async function placeholder(leaseUntil: number): Promise<Message> {
  const m: Message = {
    id: newId(),
    chatId: CHAT,
    role: 'assistant',
    content: '',
    createdAt: new Date().toISOString(),
    status: 'streaming',
    replyTo: newId(),
    queries: [],
    lastSeq: 0,
    leaseUntil,
  };
  await createMessage('u1', m);
  return m;
}

describe('reply checkpoints', () => {
  test('each write is conditional on the sequence number: a stale writer cannot overwrite a newer state', async () => {
    const m = await placeholder(Date.now() + 60_000);
    const lease = Date.now() + 60_000;
    expect(
      await checkpointMessage('u1', CHAT, m.id, {
        content: 'Hello wor',
        queries: [],
        lastSeq: 5,
        leaseUntil: lease,
      }),
    ).toBe(true);
    expect(
      await checkpointMessage('u1', CHAT, m.id, {
        content: 'Hel',
        queries: [],
        lastSeq: 3,
        leaseUntil: lease,
      }),
    ).toBe(false);
    // The same sequence number again is a lease renewal.
    expect(
      await checkpointMessage('u1', CHAT, m.id, {
        content: 'Hello wor',
        queries: [],
        lastSeq: 5,
        leaseUntil: lease + 1,
      }),
    ).toBe(true);
    expect(
      await checkpointMessage('u1', CHAT, m.id, {
        content: 'Hello world',
        queries: [],
        lastSeq: 6,
        leaseUntil: lease,
        final: { status: 'complete' },
      }),
    ).toBe(true);
    const stored = await getMessage('u1', CHAT, m.id);
    expect(stored).toMatchObject({ content: 'Hello world', status: 'complete', lastSeq: 6 });
    expect(stored.leaseUntil).toBeUndefined();
    // Nothing may follow the final write.
    expect(
      await checkpointMessage('u1', CHAT, m.id, { content: 'x', queries: [], lastSeq: 9, leaseUntil: lease }),
    ).toBe(false);
  });

  test('a reply whose lease passed reads as incomplete (Interrupted), and markInterrupted stores it', async () => {
    const m = await placeholder(Date.now() + 60_000);
    await checkpointMessage('u1', CHAT, m.id, {
      content: 'partial',
      queries: [],
      lastSeq: 2,
      leaseUntil: Date.now() - 1,
    });
    const raw = await getMessage('u1', CHAT, m.id);
    expect(raw.status).toBe('streaming');
    expect(effectiveMessage(raw)).toMatchObject({
      status: 'incomplete',
      content: 'partial',
      error: { code: 'Interrupted' },
    });
    await markInterrupted('u1', CHAT, m.id);
    const stored = await getMessage('u1', CHAT, m.id);
    expect(stored).toMatchObject({
      status: 'incomplete',
      content: 'partial',
      error: { code: 'Interrupted' },
    });
    // The writer, frozen past its lease, comes back: its writes are refused.
    expect(
      await checkpointMessage('u1', CHAT, m.id, {
        content: 'partial and more',
        queries: [],
        lastSeq: 3,
        leaseUntil: Date.now() + 1_000,
        final: { status: 'complete' },
      }),
    ).toBe(false);
  });

  test('markInterrupted leaves a live reply alone', async () => {
    const m = await placeholder(Date.now() + 60_000);
    await markInterrupted('u1', CHAT, m.id);
    expect((await getMessage('u1', CHAT, m.id)).status).toBe('streaming');
  });

  test('a reply at every cap fits one DynamoDB item (400 KB)', async () => {
    // 3-byte UTF-8 characters everywhere: the worst case per UTF-16 unit that the caps count.
    const wide = (n: number) => '€'.repeat(n);
    // The largest reply an operator can configure.
    process.env.MODEL_MAX_REPLY_CHARS = '50001';
    expect(() => config.modelMaxReplyChars).toThrow(/MODEL_MAX_REPLY_CHARS/);
    process.env.MODEL_MAX_REPLY_CHARS = '50000';
    const content = wide(config.modelMaxReplyChars);
    delete process.env.MODEL_MAX_REPLY_CHARS;
    const manyRows = Array.from({ length: 50 }, () => [wide(400), wide(400)]);
    const queries: QueryRecord[] = Array.from({ length: DEFAULT_MAX_TOOL_CALLS }, (_, i) => {
      const rows = rowsWithin(manyRows, 50, ROWS_SHOWN_BYTES);
      return {
        sql: wide(MAX_MODEL_SQL_CHARS),
        seq: 1 + i * 2,
        at: 0,
        result: {
          seq: 2 + i * 2,
          columns: [
            { name: 'a', type: 'text' },
            { name: 'b', type: 'text' },
          ],
          rows,
          rowCount: 50,
          truncated: true,
        },
      };
    });
    for (const q of queries)
      expect(Buffer.byteLength(JSON.stringify(q.result!.rows))).toBeLessThanOrEqual(ROWS_SHOWN_BYTES);
    const m = await placeholder(Date.now() + 60_000);
    const final = {
      content,
      queries,
      lastSeq: 99,
      leaseUntil: Date.now(),
      final: { status: 'incomplete' as const, error: { code: 'LlmError', message: wide(300) } },
    };
    expect(await checkpointMessage('u1', CHAT, m.id, final)).toBe(true);
    const stored = await getMessage('u1', CHAT, m.id);
    expect(stored.content).toBe(content);
    // The whole item as DynamoDB counts it, keys included.
    const size = itemBytes({ PK: `USER#u1#CHAT#${CHAT}`, SK: `MSG#${m.id}`, ...stored });
    expect(size).toBeLessThan(MAX_ITEM_BYTES);
  });

  test('the size rule counts what DynamoDB counts (so the test above can fail)', () => {
    expect(itemBytes({ PK: 'USER#u', n: 12345, ok: true, list: ['ab', 'é'] })).toBe(
      2 + 6 + (1 + 4) + (2 + 1) + (4 + 3 + (1 + 2) + (1 + 2)),
    );
    expect(itemBytes({ content: '€'.repeat(140_000) })).toBeGreaterThan(MAX_ITEM_BYTES);
  });
});
