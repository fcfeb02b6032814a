/**
 * A TCP proxy in front of a real PostgreSQL server that records the SQL clients send it: the text of every
 * Query ('Q') and Parse ('P') message, read with the frontend message framing of the protocol documentation
 * (an untyped startup message, then type byte + length). Bytes pass through unchanged in both directions.
 * Tests use it to see exactly which statements reached the server. Plain connections only (no SSLRequest).
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

export interface RecordingProxy {
  host: string;
  port: number;
  /** SQL texts that reached the server, in order. */
  statements: string[];
  /** Client connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

function recordFrontend(onStatement: (sql: string) => void): (chunk: Buffer) => void {
  let buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (startup) {
        if (buffer.length < 4 || buffer.length < buffer.readInt32BE(0)) return;
        buffer = buffer.subarray(buffer.readInt32BE(0));
        startup = false;
        continue;
      }
      if (buffer.length < 5 || buffer.length < 1 + buffer.readInt32BE(1)) return;
      const type = String.fromCharCode(buffer[0]!);
      const body = buffer.subarray(5, 1 + buffer.readInt32BE(1));
      buffer = buffer.subarray(1 + body.length + 4);
      if (type === 'Q') onStatement(body.toString('utf8', 0, body.indexOf(0)));
      if (type === 'P') {
        const nameEnd = body.indexOf(0);
        onStatement(body.toString('utf8', nameEnd + 1, body.indexOf(0, nameEnd + 1)));
      }
    }
  };
}

export async function startRecordingProxy(target: { host: string; port: number }): Promise<RecordingProxy> {
  const sockets = new Set<Socket>();
  const proxy: RecordingProxy = {
    host: '127.0.0.1',
    port: 0,
    statements: [],
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((client) => {
    proxy.connections++;
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    const record = recordFrontend((sql) => proxy.statements.push(sql));
    client.on('data', (chunk: Buffer) => {
      record(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
