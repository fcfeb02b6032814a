/** `npm run docs`: rewrites the generated parts of docs/ (today: the configuration table; prettier then aligns it). */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigurationTable } from '../config/docs.js';

const path = 'docs/configuration.md';
writeFileSync(path, withConfigurationTable(readFileSync(path, 'utf8')));
process.stdout.write(`${path}: table regenerated from lib/config/settings.ts\n`);
