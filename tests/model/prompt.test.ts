import { historyContents } from '../../lib/model/prompt.js';
import type { Message } from '../../lib/types.js';

const msg = (i: number, role: Message['role'], content: string, extra: Partial<Message> = {}): Message => ({
  id: `m${String(i).padStart(3, '0')}`,
  chatId: 'c1',
  role,
  content,
  createdAt: new Date(1_700_000_000_000 + i).toISOString(),
  status: 'complete',
  ...extra,
});

describe('historyContents', () => {
  it('maps roles and keeps order', () => {
    const out = historyContents([msg(1, 'user', 'hi'), msg(2, 'assistant', 'hello')]);
    expect(out).toEqual([
      { role: 'user', parts: [{ text: 'hi' }] },
      { role: 'model', parts: [{ text: 'hello' }] },
    ]);
  });

  it('keeps the most recent messages within the budget and starts with a user turn', () => {
    const messages: Message[] = [];
    for (let i = 0; i < 20; i++)
      messages.push(
        msg(i, i % 2 === 0 ? 'user' : 'assistant', `${String(i).padStart(2, '0')}:` + 'x'.repeat(97)),
      );
    const out = historyContents(messages, 550);
    const texts = out.map((c) => c.parts![0]!.text!);
    expect(texts.reduce((n, t) => n + t.length, 0)).toBeLessThanOrEqual(550);
    expect(out[0]!.role).toBe('user');
    expect(texts[texts.length - 1]!.startsWith('19:')).toBe(true);
    expect(texts[0]!.startsWith('16:')).toBe(true); // 15..19 fit (5×100); 15 is a model turn and is dropped
  });

  it('skips empty replies and notes the SQL a reply ran', () => {
    const out = historyContents([
      msg(1, 'user', 'count orders'),
      msg(2, 'assistant', '', { status: 'incomplete', error: { code: 'LlmError', message: 'x' } }),
      msg(3, 'user', 'again'),
      msg(4, 'assistant', 'There are 3.', {
        queries: [
          {
            sql: 'SELECT count(*) FROM orders',
            seq: 1,
            at: 0,
            result: {
              seq: 2,
              columns: [{ name: 'count', type: 'bigint' }],
              rows: [['3']],
              rowCount: 1,
              truncated: false,
            },
          },
        ],
      }),
    ]);
    expect(out.map((c) => c.role)).toEqual(['user', 'user', 'model']);
    expect(out[2]!.parts![0]!.text).toContain('SELECT count(*) FROM orders');
    expect(out[2]!.parts![0]!.text).toContain('1 row(s)');
  });

  it('keeps the end of a single message larger than the budget', () => {
    const out = historyContents([msg(1, 'user', 'a'.repeat(50) + 'END')], 10);
    expect(out[0]!.parts![0]!.text).toBe('…' + 'a'.repeat(7) + 'END');
  });
});
