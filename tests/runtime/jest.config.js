// The runtime lane (`npm run test:runtime`): the built bundle under the real aws-lambda-ric, on Node 20 and
// 22. Its files end in `.lane.ts` so `npm test` never picks them up; tests/runtime/prepare.sh runs first.
import base from '../../jest.config.js';

/** @type {import('jest').Config} */
export default {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/tests/runtime'],
  testMatch: ['**/*.lane.ts'],
  // Each file drives child processes that share the machine's cores: one file at a time.
  maxWorkers: 1,
  testTimeout: 120000,
};
