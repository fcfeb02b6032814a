/** streamTurn through the real @google/genai SDK against the scripted Gemini server over real HTTP. */
import { streamTurn } from '../../lib/model/stream.js';
import { AppError } from '../../lib/errors.js';
import { useScriptedModelClient } from '../support/scripted-model-client.js';

const model = useScriptedModelClient();

const user = (text: string) => [{ role: 'user', parts: [{ text }] }];
const never = () => new AbortController().signal;

describe('streamTurn', () => {
  it('forwards each chunk as it arrives, in order, before the rest is sent', async () => {
    model.gemini.script({ chunks: ['Hel', 'lo', ', ', 'wor', 'ld'], delayMs: 40 });
    const pieces: string[] = [];
    const sentAtFirst: number[] = [];
    const r = await streamTurn(
      model.client,
      { contents: user('hi') },
      {
        signal: never(),
        onText: (t) => {
          if (pieces.length === 0) sentAtFirst.push(model.gemini.chunksSent());
          pieces.push(t);
        },
      },
    );
    expect(pieces).toEqual(['Hel', 'lo', ', ', 'wor', 'ld']);
    expect(r.text).toBe('Hello, world');
    expect(r.error).toBeUndefined();
    expect(r.finishReason).toBe('STOP');
    expect(sentAtFirst[0]).toBeLessThan(5); // not batched until the end of the stream
    const req = model.gemini.requests[0]!;
    expect(req.action).toBe('streamGenerateContent');
    expect(req.path).toContain('alt=sse');
    expect(req.headers['x-goog-api-key']).toBe('test-key');
  });

  it('sends the request fields the API expects', async () => {
    model.gemini.script({ chunks: ['ok'] });
    await streamTurn(
      model.client,
      {
        contents: user('q'),
        systemInstruction: 'be brief',
        maxOutputTokens: 123,
        functionDeclarations: [{ name: 'run_sql', parametersJsonSchema: { type: 'object' } }],
        toolMode: 'NONE',
      },
      { signal: never(), onText: () => undefined },
    );
    const body = model.gemini.requests[0]!.body;
    expect(body.systemInstruction?.parts?.[0]?.text).toBe('be brief');
    expect(body.generationConfig?.maxOutputTokens).toBe(123);
    expect(body.tools?.[0]?.functionDeclarations?.[0]?.name).toBe('run_sql');
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
  });

  it('keeps function calls and thought signatures, and does not emit thoughts', async () => {
    model.gemini.script({
      chunks: [
        { text: 'thinking…', thought: true },
        'Checking. ',
        {
          functionCall: { name: 'run_sql', args: { sql: 'SELECT 1' }, id: 'c1' },
          thoughtSignature: 'c2lnbmF0dXJl',
        },
      ],
    });
    const pieces: string[] = [];
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: (t) => void pieces.push(t) },
    );
    expect(pieces).toEqual(['Checking. ']);
    expect(r.functionCalls).toEqual([{ name: 'run_sql', args: { sql: 'SELECT 1' }, id: 'c1' }]);
    expect(r.content.parts).toContainEqual({
      functionCall: { name: 'run_sql', args: { sql: 'SELECT 1' }, id: 'c1' },
      thoughtSignature: 'c2lnbmF0dXJl',
    });
    expect(r.content.parts).toContainEqual({ text: 'thinking…', thought: true });
  });

  it('retries a 429 before the first token', async () => {
    model.gemini.script({ status: 429 }, { chunks: ['after ', 'retry'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('after retry');
    expect(model.gemini.requests).toHaveLength(2);
  });

  it('retries an error event that arrives before any content', async () => {
    model.gemini.script({ chunks: [{ error: { code: 503, message: 'overloaded' } }] }, { chunks: ['fine'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(r.text).toBe('fine');
    expect(model.gemini.requests).toHaveLength(2);
  });

  it('retries a connection that breaks before any content', async () => {
    model.gemini.script({ chunks: ['lost'], breakAfter: 0 }, { chunks: ['second ', 'try'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(r.error).toBeUndefined();
    expect(r.text).toBe('second try');
    expect(model.gemini.requests).toHaveLength(2);
  });

  it('gives up after three failing tries with LlmError', async () => {
    model.gemini.script({ status: 500 }, { status: 503 }, { status: 500, message: 'still broken' });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(model.gemini.requests).toHaveLength(3);
    expect(r.error).toBeInstanceOf(AppError);
    expect(r.error!.code).toBe('LlmError');
    expect(r.error!.message).toContain('HTTP 500');
    expect(r.error!.message).toContain('still broken');
  });

  it('does not retry a client error (400)', async () => {
    model.gemini.script({ status: 400, message: 'API key not valid' }, { chunks: ['unused'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(model.gemini.requests).toHaveLength(1);
    expect(r.error!.code).toBe('LlmError');
    expect(r.error!.message).toContain('API key not valid');
  });

  it('does not wait for a long Retry-After', async () => {
    model.gemini.script({ status: 429, retryAfter: 120 }, { chunks: ['unused'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(model.gemini.requests).toHaveLength(1);
    expect(r.error!.code).toBe('LlmError');
  });

  it('honours a short Retry-After', async () => {
    model.gemini.script({ status: 429, retryAfter: 1 }, { chunks: ['ok'] });
    const started = Date.now();
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined },
    );
    expect(r.text).toBe('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950); // waited as told, not the 20 ms backoff
  });

  it('never retries once content arrived: the partial text comes back with the error', async () => {
    model.gemini.script({ chunks: ['Par', 'tial', 'never'], breakAfter: 2 }, { chunks: ['unused'] });
    const pieces: string[] = [];
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: (t) => void pieces.push(t) },
    );
    expect(pieces).toEqual(['Par', 'tial']);
    expect(r.text).toBe('Partial');
    expect(r.error!.code).toBe('LlmError');
    expect(model.gemini.requests).toHaveLength(1);
  });

  it('stops when the signal aborts, reporting its reason', async () => {
    model.gemini.script({ chunks: ['first', 'second'], delayMs: 5_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new AppError('Timeout', 'out of time')), 200);
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: ac.signal, onText: () => undefined },
    );
    expect(r.error!.code).toBe('Timeout');
    expect(r.error!.message).toBe('out of time');
  });

  it('cuts the reply at the character cap', async () => {
    model.gemini.script({ chunks: ['abcd', 'efgh', 'ijkl'] });
    const r = await streamTurn(
      model.client,
      { contents: user('q') },
      { signal: never(), onText: () => undefined, maxChars: 6 },
    );
    expect(r.text).toBe('abcdef');
    expect(r.truncated).toBe(true);
  });
});
