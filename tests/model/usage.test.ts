/**
 * What a model call spent, counted from Gemini's usageMetadata through the real SDK against the scripted
 * server (which reports counts like the real API), estimated when a stream ends before the counts come,
 * zero when no answer came; and the agent reporting each call's tokens as it ends.
 */
import { runAgent } from '../../lib/model/agent.js';
import { streamTurn } from '../../lib/model/stream.js';
import { tokensSpent } from '../../lib/model/usage.js';
import { useScriptedModelClient } from '../support/scripted-model-client.js';

const model = useScriptedModelClient();

const user = (text: string) => [{ role: 'user', parts: [{ text }] }];
const never = () => new AbortController().signal;
const turn = () =>
  streamTurn(model.client, { contents: user('hi') }, { signal: never(), onText: () => undefined });

describe('tokens a model call spent', () => {
  it("are Gemini's own total: prompt, output and thinking", async () => {
    model.gemini.script({
      chunks: ['Hello', ' there'],
      usage: { promptTokenCount: 1200, candidatesTokenCount: 30, thoughtsTokenCount: 70 },
    });
    const r = await turn();
    expect(r.error).toBeUndefined();
    expect(r.tokens).toBe(1300);
  });

  it('are counted by the scripted server like the real API (about 4 characters a token of request and reply)', async () => {
    model.gemini.script({ chunks: ['x'.repeat(400)] });
    const r = await turn();
    const body = JSON.stringify(model.gemini.requests[0]!.body);
    expect(r.tokens).toBeGreaterThanOrEqual(Math.ceil(body.length / 4) + 100);
    expect(r.tokens).toBeLessThan(Math.ceil(body.length / 4) + 200);
  });

  it('are estimated when the stream breaks before the counts arrive', async () => {
    model.gemini.script({ chunks: ['a'.repeat(800), 'b'.repeat(800), 'c'], breakAfter: 2 });
    const r = await turn();
    expect(r.error?.code).toBe('LlmError');
    expect(r.text).toBe('a'.repeat(800) + 'b'.repeat(800));
    expect(r.tokens).toBeGreaterThanOrEqual(400); // the 1,600 characters received, at 4 a token
  });

  it('are zero when the model never answered (a refused call is not billed)', async () => {
    model.gemini.script({ status: 400, message: 'bad request' });
    const r = await turn();
    expect(r.error?.code).toBe('LlmError');
    expect(r.tokens).toBe(0);
  });

  it('come from the last usageMetadata of a stream (the counts are cumulative)', () => {
    expect(
      tokensSpent({ promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 }, undefined),
    ).toBe(15);
    expect(tokensSpent({ promptTokenCount: 10, candidatesTokenCount: 5 }, undefined)).toBe(15);
    expect(tokensSpent(undefined, undefined)).toBe(0);
  });

  it('are reported by the agent after each call, and summed in its result', async () => {
    model.gemini.script(
      {
        chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'select 1' } } }],
        usage: { promptTokenCount: 100, candidatesTokenCount: 10 },
      },
      { chunks: ['done'], usage: { promptTokenCount: 200, candidatesTokenCount: 20 } },
    );
    const reported: number[] = [];
    const result = await runAgent({
      client: model.client,
      contents: user('q'),
      tools: {
        declarations: [{ name: 'run_sql' }],
        run: async () => ({ response: { rows: [] } }),
      },
      emit: async () => undefined,
      deadlineAt: Date.now() + 30_000,
      onTokens: async (n) => {
        reported.push(n);
      },
    });
    expect(result.status).toBe('complete');
    expect(reported).toEqual([110, 220]);
    expect(result.tokens).toBe(330);
  });

  it('keeps going when counting fails (the reply matters more than the count)', async () => {
    model.gemini.script({ chunks: ['fine'] });
    const result = await runAgent({
      client: model.client,
      contents: user('q'),
      emit: async () => undefined,
      deadlineAt: Date.now() + 30_000,
      onTokens: async () => {
        throw new Error('store down');
      },
    });
    expect(result.status).toBe('complete');
    expect(result.text).toBe('fine');
  });
});
