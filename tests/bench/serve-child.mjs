// The built API alone in its own process, behind the local shim, as one Lambda container would hold it:
// the store (dynalite) and the load generator stay in the parent, so this process's memory is the
// function's. Talks to the parent over IPC: sends {port} when listening; answers 'mem' with
// process.memoryUsage() after a forced GC (run with --expose-gc), 'peak-start'/'peak-stop' with the highest
// RSS (and heap in use) in between, and 'queued' with the bytes waiting in its client sockets' buffers;
// exits on 'exit'.
// Usage: node --expose-gc serve-child.mjs <runtime.mjs> <shim.mjs> <api index.mjs> [unix socket path]
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';

const [runtimeFile, shimFile, apiFile, socketPath] = process.argv.slice(2);
const { installLambdaGlobals } = await import(pathToFileURL(runtimeFile).href);
installLambdaGlobals();
const { createShimServer } = await import(pathToFileURL(shimFile).href);
const { handler } = await import(pathToFileURL(apiFile).href);

const server = createShimServer({ handler, timeoutMs: 60_000 });
const sockets = new Set();
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});
if (socketPath) server.listen(socketPath, () => process.send({ port: 0 }));
else server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
// Peak RSS between 'peak-start' and 'peak-stop', sampled every 5 ms (a forced-GC snapshot misses a request's peak).
let peak = 0;
let peakHeap = 0;
let sampler;
process.on('message', async (msg) => {
  if (msg === 'peak-start') {
    peak = process.memoryUsage.rss();
    peakHeap = process.memoryUsage().heapUsed;
    sampler = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      peakHeap = Math.max(peakHeap, m.heapUsed);
    }, 5);
    process.send({ peakStarted: true });
  } else if (msg === 'peak-stop') {
    clearInterval(sampler);
    process.send({ peak: { rss: Math.max(peak, process.memoryUsage.rss()), heapUsed: peakHeap } });
  } else if (msg === 'mem') {
    globalThis.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    globalThis.gc?.();
    process.send({ mem: process.memoryUsage() });
  } else if (msg === 'queued') {
    let bytes = 0;
    for (const s of sockets) bytes += s.writableLength;
    process.send({ queued: { bytes, sockets: sockets.size } });
  } else if (msg === 'exit') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
