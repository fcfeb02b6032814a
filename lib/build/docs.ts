/**
 * `npm run docs`: rewrites the generated parts of docs/ (prettier then aligns them):
 *   - docs/configuration.md: the table of settings, from lib/config/settings.ts;
 *   - docs/deployment.md: the sizes block, from the last `npm run package` (skipped, with a note, when
 *     there is no package to measure).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { withConfigurationTable } from '../config/docs.js';
import { measureSizes, withSizes } from './sizes.js';

const configuration = 'docs/configuration.md';
writeFileSync(configuration, withConfigurationTable(readFileSync(configuration, 'utf8')));
process.stdout.write(`${configuration}: table regenerated from lib/config/settings.ts\n`);

const deployment = 'docs/deployment.md';
const zips = ['api.zip', 'edge.zip', 'edgeOrigin.zip'];
if (zips.every((z) => existsSync(`.serverless/${z}`)) && existsSync('dist/edge/build-info.json')) {
  const sizes = measureSizes(
    '.',
    Object.fromEntries(zips.map((z) => [z, statSync(`.serverless/${z}`).size])),
  );
  writeFileSync(deployment, withSizes(readFileSync(deployment, 'utf8'), sizes));
  process.stdout.write(`${deployment}: sizes from the last npm run package\n`);
} else {
  process.stdout.write(`${deployment}: sizes left as they are (run npm run package first)\n`);
}
