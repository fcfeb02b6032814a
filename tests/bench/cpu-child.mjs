// CPU per request of one built bundle on one event, in a plain `node` process: after a warm-up, `requests`
// sequential invocations into fresh in-memory Lambda response streams, process.cpuUsage() around them, for
// `rounds` rounds. Each reply must be 200.
// Usage: node cpu-child.mjs <runtime.mjs> <bundle index.mjs> <event.json> <requests> <rounds>
// Prints one JSON line on stderr: {cpuUs: [µs per request, one per round]}.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [runtimeFile, apiFile, eventFile, nText, roundsText] = process.argv.slice(2);
const n = Number(nText);
const rounds = Number(roundsText);
const { createResponseStream, installLambdaGlobals } = await import(pathToFileURL(runtimeFile).href);
installLambdaGlobals();
const { handler } = await import(pathToFileURL(apiFile).href);
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 60_000 };

async function once() {
  let head = '';
  const stream = createResponseStream((chunk, done) => {
    if (head.length < 200) head += chunk.toString('utf8');
    done();
  });
  const finished = new Promise((resolve) => stream.once('finish', resolve));
  await handler(event, stream, context);
  await finished;
  if (!/"statusCode":200/.test(head)) throw new Error(`not 200: ${head.slice(0, 200)}`);
}

for (let i = 0; i < Math.min(50, n); i++) await once();
const cpuUs = [];
for (let r = 0; r < rounds; r++) {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await once();
  const used = process.cpuUsage(before);
  cpuUs.push((used.user + used.system) / n);
}
process.stderr.write(JSON.stringify({ cpuUs }) + '\n');
process.exit(0);
