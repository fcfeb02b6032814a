/**
 * A stand-in for AWS Systems Manager Parameter Store speaking its wire protocol (JSON 1.1 over HTTP POST,
 * `X-Amz-Target: AmazonSSM.<Operation>`), enough for the real @aws-sdk/client-ssm: GetParameter (values
 * as stored; WithDecryption is what callers of a SecureString send) and PutParameter (Overwrite honoured).
 * No real SSM can run here, so this speaks the protocol instead.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SsmStandIn {
  url: string;
  params: Map<string, { value: string; type: string; version: number }>;
  /** Operations received, in order (e.g. `GetParameter /semaia/dev/x`). */
  calls: string[];
  /** The region each call was signed for (SigV4 credential scope). */
  regions: string[];
  close(): Promise<void>;
}

export async function startSsmStandIn(initial: Record<string, string> = {}): Promise<SsmStandIn> {
  const params = new Map(
    Object.entries(initial).map(([name, value]) => [name, { value, type: 'SecureString', version: 1 }]),
  );
  const calls: string[] = [];
  const regions: string[] = [];
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify(body));
    };
    const op = target.replace(/^AmazonSSM\./, '');
    calls.push(`${op} ${input.Name}`);
    regions.push(
      /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/ssm\//.exec(String(req.headers.authorization))?.[1] ?? '',
    );
    if (op === 'GetParameter') {
      const p = params.get(input.Name);
      if (!p)
        return reply(400, { __type: 'ParameterNotFound', message: `Parameter ${input.Name} not found.` });
      return reply(200, {
        Parameter: { Name: input.Name, Type: p.type, Value: p.value, Version: p.version },
      });
    }
    if (op === 'PutParameter') {
      const before = params.get(input.Name);
      if (before && !input.Overwrite) {
        return reply(400, { __type: 'ParameterAlreadyExists', message: 'The parameter already exists.' });
      }
      const version = (before?.version ?? 0) + 1;
      params.set(input.Name, { value: input.Value, type: input.Type ?? 'String', version });
      return reply(200, { Version: version, Tier: 'Standard' });
    }
    reply(400, { __type: 'InvalidAction', message: `unsupported ${target}` });
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    params,
    calls,
    regions,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
