// Tests are TypeScript, compiled by SWC to CommonJS (no type checking here: `npm run typecheck` does that).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j)sx?$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // Source files import each other with `.js` suffixes (NodeNext); map them back to the `.ts` files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // ESM-only dependencies that must be compiled for the CommonJS test runtime.
  transformIgnorePatterns: ['/node_modules/(?!(eventsource-parser)/)'],
  testTimeout: 30000,
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  globalTeardown: '<rootDir>/tests/support/global-teardown.ts',
};
