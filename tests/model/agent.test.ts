/** The tool loop through the real SDK against the scripted Gemini server, with a small in-test tool. */
import type { FunctionCall } from '@google/genai';
import { runAgent, type ToolExecutor } from '../../lib/model/agent.js';
import { partsOf } from '../../lib/local/scripted-gemini/server.js';
import { useScriptedModelClient } from '../support/scripted-model-client.js';

const model = useScriptedModelClient();

/** A tool that "runs" SQL by answering with a fixed table, and records what it was asked. */
function fakeSqlTool(): ToolExecutor & { calls: FunctionCall[] } {
  const calls: FunctionCall[] = [];
  return {
    calls,
    declarations: [{ name: 'run_sql', description: 'runs SQL', parametersJsonSchema: { type: 'object' } }],
    async run(call, { emit }) {
      calls.push(call);
      const sql = String(call.args?.sql);
      await emit('query', { sql });
      if (sql.includes('bad')) {
        await emit('query_error', { code: 'SqlError', message: 'syntax error' });
        return { response: { error: { code: 'SqlError', message: 'syntax error' } } };
      }
      await emit('rows', {
        columns: [{ name: 'n', type: 'int4' }],
        rows: [[42]],
        rowCount: 1,
        truncated: false,
      });
      return { response: { columns: ['n'], rows: [[42]], rowCount: 1 } };
    },
  };
}

function recorder() {
  const events: { event: string; data: any }[] = [];
  return { events, emit: async (event: string, data: unknown) => void events.push({ event, data }) };
}

const user = (text: string) => [{ role: 'user' as const, parts: [{ text }] }];
const far = () => Date.now() + 60_000;

describe('runAgent', () => {
  it('streams a plain answer', async () => {
    model.gemini.script({ chunks: ['One ', 'two ', 'three'] });
    const rec = recorder();
    const r = await runAgent({
      client: model.client,
      contents: user('count'),
      emit: rec.emit,
      deadlineAt: far(),
    });
    expect(rec.events).toEqual([
      { event: 'token', data: { text: 'One ' } },
      { event: 'token', data: { text: 'two ' } },
      { event: 'token', data: { text: 'three' } },
    ]);
    expect(r).toMatchObject({ text: 'One two three', status: 'complete', toolCalls: 0, turns: 1 });
  });

  it('runs a tool, sends back the model content unchanged then the function response, and answers', async () => {
    model.gemini.script(
      {
        chunks: [
          'Let me check.',
          {
            functionCall: { name: 'run_sql', args: { sql: 'SELECT 42 AS n' }, id: 'call-1' },
            thoughtSignature: 'U0lH',
          },
        ],
      },
      { chunks: ['The answer ', 'is 42.'] },
    );
    const tool = fakeSqlTool();
    const rec = recorder();
    const r = await runAgent({
      client: model.client,
      contents: user('what is n?'),
      tools: tool,
      emit: rec.emit,
      deadlineAt: far(),
    });

    expect(tool.calls).toEqual([{ name: 'run_sql', args: { sql: 'SELECT 42 AS n' }, id: 'call-1' }]);
    expect(rec.events.map((e) => e.event)).toEqual(['token', 'query', 'rows', 'token', 'token', 'token']);
    expect(r.text).toBe('Let me check.\n\nThe answer is 42.');
    expect(r.status).toBe('complete');
    expect(r.toolCalls).toBe(1);

    const second = model.gemini.requests[1]!.body;
    expect(second.contents).toHaveLength(3);
    expect(second.contents![1]).toEqual({
      role: 'model',
      parts: [
        { text: 'Let me check.' },
        {
          functionCall: { name: 'run_sql', args: { sql: 'SELECT 42 AS n' }, id: 'call-1' },
          thoughtSignature: 'U0lH',
        },
      ],
    });
    expect(second.contents![2]).toEqual({
      role: 'user',
      parts: [
        {
          functionResponse: {
            id: 'call-1',
            name: 'run_sql',
            response: { columns: ['n'], rows: [[42]], rowCount: 1 },
          },
        },
      ],
    });
  });

  it('returns SQL errors to the model so it can correct itself', async () => {
    model.gemini.script(
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELEC bad' } } }] },
      { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT 42' } } }] },
      { chunks: ['Fixed it: 42.'] },
    );
    const rec = recorder();
    const r = await runAgent({
      client: model.client,
      contents: user('n?'),
      tools: fakeSqlTool(),
      emit: rec.emit,
      deadlineAt: far(),
    });
    expect(r.status).toBe('complete');
    expect(r.toolCalls).toBe(2);
    const fr = partsOf(model.gemini.requests[1]!.body).find((p) => p.functionResponse) as any;
    expect(fr.functionResponse.response).toEqual({ error: { code: 'SqlError', message: 'syntax error' } });
    expect(rec.events.map((e) => e.event)).toEqual(['query', 'query_error', 'query', 'rows', 'token']);
  });

  it('stops offering tools after the call limit and tells the model to answer', async () => {
    const call = { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT 1' } } }] };
    model.gemini.script(call, call, { chunks: ['Done without more tools.'] });
    const tool = fakeSqlTool();
    const r = await runAgent({
      client: model.client,
      contents: user('n?'),
      tools: tool,
      emit: recorder().emit,
      deadlineAt: far(),
      maxToolCalls: 2,
    });
    expect(r.status).toBe('complete');
    expect(tool.calls).toHaveLength(2);
    const modes = model.gemini.requests.map((q) => (q.body.toolConfig as any)?.functionCallingConfig?.mode);
    expect(modes).toEqual(['AUTO', 'AUTO', 'NONE']);
    const lastResponse = partsOf(model.gemini.requests[2]!.body)
      .filter((p) => p.functionResponse)
      .pop() as any;
    expect(JSON.stringify(lastResponse.functionResponse.response)).toContain('Tool call limit reached');
  });

  it('ends a model that keeps calling tools anyway', async () => {
    const call = { chunks: [{ functionCall: { name: 'run_sql', args: { sql: 'SELECT 1' } } }] };
    model.gemini.script(call, call, call, call, call);
    const tool = fakeSqlTool();
    const r = await runAgent({
      client: model.client,
      contents: user('n?'),
      tools: tool,
      emit: recorder().emit,
      deadlineAt: far(),
      maxToolCalls: 1,
    });
    expect(r.status).toBe('incomplete');
    expect(r.error?.code).toBe('LlmError');
    expect(tool.calls).toHaveLength(1);
    expect(model.gemini.requests.length).toBeLessThanOrEqual(3);
  });

  it('stops at the deadline with Timeout and keeps the partial text', async () => {
    model.gemini.script({ chunks: ['Partial ', 'answer ', 'never'], delayMs: 400 });
    const rec = recorder();
    const r = await runAgent({
      client: model.client,
      contents: user('q'),
      emit: rec.emit,
      deadlineAt: Date.now() + 1_000,
    });
    expect(r.status).toBe('incomplete');
    expect(r.error?.code).toBe('Timeout');
    expect(r.text).toBe('Partial answer ');
  });

  it('marks a reply cut by the token limit as incomplete', async () => {
    model.gemini.script({ chunks: ['Long answer', { finishReason: 'MAX_TOKENS' }] });
    const r = await runAgent({
      client: model.client,
      contents: user('q'),
      emit: recorder().emit,
      deadlineAt: far(),
    });
    expect(r.status).toBe('incomplete');
    expect(r.text).toBe('Long answer');
    expect(r.error?.message).toContain('token limit');
  });

  it('reports a model failure before any token', async () => {
    model.gemini.script({ status: 500 }, { status: 500 }, { status: 500 });
    const rec = recorder();
    const r = await runAgent({
      client: model.client,
      contents: user('q'),
      emit: rec.emit,
      deadlineAt: far(),
    });
    expect(r).toMatchObject({ status: 'incomplete', text: '', error: { code: 'LlmError' } });
    expect(rec.events).toEqual([]);
  });
});
