/**
 * Sits between the function and the scripted Gemini server and passes the model's stream on one event at a
 * time: after each chunk with text it holds the next one back until `release` says the text came out of
 * the function (at the Runtime API stand-in). A function that buffered its tokens would never release the
 * gate: the chunk then goes on after `holdMs` and the miss is recorded. Other requests pass through.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface SentChunk {
  /** The text parts of this chunk. */
  text: string;
  /** performance.now() once the chunk was handed to the socket. */
  at: number;
}

export interface ModelGate {
  /** GEMINI_BASE_URL for the function. */
  url: string;
  /**
   * What to wait for after each chunk with text: resolves when `textSoFar` (all text the model sent in
   * this stream) has come out of the function. Unset: nothing is held.
   */
  release?: (textSoFar: string) => Promise<void>;
  /** Chunks with text sent so far (all streams). */
  readonly sent: SentChunk[];
  /** Chunks whose text did not come out of the function before the next one was due. */
  readonly misses: string[];
  close(): Promise<void>;
}

function textOf(block: string): string {
  const data = block
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).trim())
    .join('\n');
  if (!data) return '';
  const parts = (JSON.parse(data) as { candidates?: { content?: { parts?: { text?: unknown }[] } }[] })
    .candidates?.[0]?.content?.parts;
  return (parts ?? []).map((p) => (typeof p.text === 'string' ? p.text : '')).join('');
}

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

export async function startModelGate(upstream: string, holdMs = 10_000): Promise<ModelGate> {
  const gate: ModelGate = { url: '', sent: [], misses: [], close: async () => undefined };

  const forwardEvents = async (from: IncomingMessage, to: ServerResponse) => {
    let pending = '';
    let soFar = '';
    for await (const piece of from as AsyncIterable<Buffer>) {
      pending += piece.toString('utf8');
      for (let m = EVENT_END.exec(pending); m; m = EVENT_END.exec(pending)) {
        const block = pending.slice(0, m.index + m[0].length);
        pending = pending.slice(block.length);
        const text = textOf(block);
        await new Promise<void>((resolve) => to.write(block, () => resolve()));
        if (!text) continue;
        soFar += text;
        gate.sent.push({ text, at: performance.now() });
        if (!gate.release) continue;
        const timeout = new Promise<'late'>((r) => setTimeout(() => r('late'), holdMs).unref());
        if ((await Promise.race([gate.release(soFar), timeout])) === 'late') gate.misses.push(text);
      }
    }
    to.end(pending);
  };

  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', upstream);
    const out = request(target, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      res.flushHeaders();
      const sse = String(up.headers['content-type'] ?? '').startsWith('text/event-stream');
      if (sse) forwardEvents(up, res).catch(() => res.destroy());
      else up.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  server.on('connection', (s) => s.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  gate.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return gate;
}
