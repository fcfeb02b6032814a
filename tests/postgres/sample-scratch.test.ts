import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSamplePostgres } from '../../lib/local/embedded-postgres.js';
test('sample', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'x-'));
  let t = Date.now();
  const s = await startSamplePostgres({ dataDir: dir });
  console.log('first start ms', Date.now() - t, s.url);
  await s.stop();
  t = Date.now();
  const s2 = await startSamplePostgres({ dataDir: dir });
  console.log('second start ms', Date.now() - t);
  await s2.stop();
  await rm(dir, { recursive: true, force: true });
}, 60000);
