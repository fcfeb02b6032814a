/** Runs one event through a streaming handler the way the Lambda runtime does, and collects the reply. */
import type { StreamifyHandler } from 'aws-lambda';
import { installLambdaGlobals } from '../../lib/local/lambda-runtime.js';
import { invokeStreaming } from '../../lib/local/invocation.js';

export interface Invoked {
  status: number | undefined;
  headers: Record<string, unknown>;
  body: string;
  json: any;
  failure?: string;
}

export function invokeEvent(handler: StreamifyHandler, event: unknown, timeoutMs = 20_000): Promise<Invoked> {
  installLambdaGlobals();
  const out: Invoked = { status: undefined, headers: {}, body: '', json: undefined };
  const chunks: Buffer[] = [];
  const inv = invokeStreaming(
    handler,
    event,
    { timeoutMs },
    {
      onHead: (head) => {
        out.status = head.statusCode;
        out.headers = head.headers;
      },
      onBody: (chunk, done) => {
        chunks.push(chunk);
        done();
      },
      onEnd: () => undefined,
      onFailure: (reason) => (out.failure = reason),
    },
  );
  return inv.done.then(() => {
    out.body = Buffer.concat(chunks).toString('utf8');
    try {
      out.json = out.body ? JSON.parse(out.body) : undefined;
    } catch {
      out.json = undefined;
    }
    return out;
  });
}
