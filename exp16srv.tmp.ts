import { startScriptedGemini } from './lib/local/scripted-gemini/server.js';
const words = Number(process.argv[2]);
const g = await startScriptedGemini({ fallback: 'fail' });
for (let i = 0; i < 100; i++) g.script({ chunks: Array.from({ length: words }, (_, i) => `w${i} `) });
process.stdout.write(g.url + '\n');
setInterval(() => process.stderr.write(`sent ${g.chunksSent()}\n`), 2000).unref();
setTimeout(() => process.exit(0), 15000);
