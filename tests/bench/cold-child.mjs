// One cold start, as a fresh Lambda process would do it: define the `awslambda` global (a tiny stand-in for
// the runtime's: streamifyResponse tags nothing, HttpResponseStream.from records the prelude), import the
// bundle, invoke its handler with one event into an in-memory stream, check the status, and exit.
// Usage: node cold-child.mjs <bundle.mjs> <event.json> [<chunk.mjs to time after the request>]
// Prints one JSON line on stderr: {status, importMs, requestMs, chunkMs?}.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile, chunk] = process.argv.slice(2);
const started = performance.now();

globalThis.awslambda = {
  streamifyResponse: (fn) => fn,
  HttpResponseStream: {
    from(stream, prelude) {
      stream.prelude = prelude;
      return stream;
    },
  },
};

const chunks = [];
const stream = new Writable({
  write(c, _enc, cb) {
    chunks.push(c);
    cb();
  },
});
const finished = new Promise((resolve) => stream.once('finish', resolve));

const { handler } = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { awsRequestId: 'cold', functionName: 'bench', getRemainingTimeInMillis: () => 30_000 };
await handler(event, stream, context);
await finished;
const answered = performance.now();

const status = stream.prelude?.statusCode;
const result = { status, importMs: imported - started, requestMs: answered - imported };
if (chunk) {
  const t = performance.now();
  await import(pathToFileURL(chunk).href);
  result.chunkMs = performance.now() - t;
}
if (status !== 200) result.body = Buffer.concat(chunks).toString('utf8').slice(0, 300);
process.stderr.write(JSON.stringify(result) + '\n');
// Exit at once: SDK keep-alive sockets would otherwise hold the process open.
process.exit(status === 200 ? 0 : 1);
