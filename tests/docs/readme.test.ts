/**
 * The README's examples, run as a newcomer would: `npm start -- --scripted-model` (embedded DynamoDB and the
 * sample PostgreSQL, in a child process), then every curl command of "Try it with curl" (parsed and sent
 * with fetch, CHAT_ID and MESSAGE_ID filled in from the chat they start), then the `npm run invoke` examples
 * next to the running server.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';
import { readSse } from '../support/sse-client.js';

const readme = readFileSync('README.md', 'utf8');
const block = (after: string) => {
  const from = readme.indexOf(after);
  return /```sh\n([\s\S]*?)```/.exec(readme.slice(from))![1]!;
};
/** Shell lines with continuations joined and comments dropped. */
const commands = (sh: string) =>
  sh
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

interface Curl {
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** The curl options the README uses: -s, -N, -H 'a: b', -d '…', a URL, and an ignored `| head …`. */
function parseCurl(line: string): Curl {
  const words = [...line.split('|')[0]!.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);
  expect(words[0]).toBe('curl');
  const out: Curl = { url: '', headers: {} };
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-s' || w === '-N') continue;
    if (w === '-H') {
      const [name, ...value] = words[++i]!.split(':');
      out.headers[name!.trim().toLowerCase()] = value.join(':').trim();
    } else if (w === '-d') out.body = words[++i]!;
    else if (/^https?:\/\//.test(w)) out.url = w;
    else throw new Error(`the README uses a curl option this test does not know: ${w}`);
  }
  return out;
}

let api: ApiProcess;

beforeAll(async () => {
  api = await startApiProcess({ SEMAIA_SAMPLE: 'on', SCRIPTED_GEMINI_DELAY_MS: '1' }, ['--scripted-model']);
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('README', () => {
  it('every curl example answers as described', async () => {
    const ids: Record<string, string> = {};
    const lines = commands(block('## Try it with curl'));
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) {
      const curl = parseCurl(line);
      const url = curl.url
        .replace('http://127.0.0.1:8080', api.url)
        .replace('CHAT_ID', ids.chatId ?? 'CHAT_ID')
        .replace('MESSAGE_ID', ids.assistantMessageId ?? 'MESSAGE_ID');
      const res = await fetch(url, {
        method: curl.body === undefined ? 'GET' : 'POST',
        headers: curl.headers,
        ...(curl.body === undefined ? {} : { body: curl.body }),
      });
      expect({ line, status: res.status }).toEqual({ line, status: 200 });
      if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
        const { events } = await readSse(res);
        expect({ line, last: events[events.length - 1]?.event }).toEqual({ line, last: 'done' });
        const chat = events.find((e) => e.event === 'chat');
        if (chat) Object.assign(ids, chat.json);
      } else if ((res.headers.get('content-type') ?? '').startsWith('text/csv')) {
        // An export: a header row, then one CRLF-terminated record per row.
        const lines = (await res.text()).split('\r\n');
        expect({ line, header: lines[0], records: lines.length > 2 }).toEqual({
          line,
          header: expect.stringMatching(/^[a-z_]+(,[a-z_]+)*$/),
          records: true,
        });
      } else {
        const text = await res.text();
        expect(() => JSON.parse(text)).not.toThrow();
      }
    }
    expect(ids.chatId).toBeTruthy();
  }, 120_000);

  it('npm run invoke examples print a 200 next to the running server', () => {
    for (const line of commands(block('Invoke the handler once'))) {
      const file = /npm run invoke -- (\S+)/.exec(line)![1]!;
      const out = spawnSync(process.execPath, ['--import', 'tsx', 'lib/local/invoke.ts', file], {
        env: { ...process.env, DATA_DIR: api.dataDir },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ file, status: out.status, head: out.stdout.split('\n')[0] }).toEqual({
        file,
        status: 0,
        head: 'status: 200',
      });
    }
  }, 120_000);
});
