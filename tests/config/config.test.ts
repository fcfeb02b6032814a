import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkConfig, config, ConfigError } from '../../lib/config.js';
import { configurationTable } from '../../lib/config/docs.js';

/** Table rows with cells trimmed, so prettier's column alignment does not count as a difference. */
const rows = (markdown: string) =>
  markdown
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .map((c) => (/^-+$/.test(c) ? '---' : c))
        .join('|'),
    );

describe('configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads typed values and defaults', () => {
    delete process.env.SSE_HEARTBEAT_MS;
    expect(config.heartbeatMs).toBe(15_000);
    process.env.SSE_HEARTBEAT_MS = '2_500';
    expect(config.heartbeatMs).toBe(2_500);
    process.env.SEMAIA_SCRIPTED_MODEL = 'yes';
    expect(config.scriptedModel).toBe(true);
  });

  it('a bad value names the variable and what it accepts, instead of falling back to the default', () => {
    process.env.SSE_HEARTBEAT_MS = 'soon';
    expect(() => config.heartbeatMs).toThrow(
      new ConfigError('SSE_HEARTBEAT_MS="soon": expected an integer from 0 to 55,000'),
    );
    process.env.SSE_HEARTBEAT_MS = '90000';
    expect(() => config.heartbeatMs).toThrow(
      /SSE_HEARTBEAT_MS="90000": expected an integer from 0 to 55,000/,
    );
  });

  it('checkConfig reports every bad variable at once', () => {
    process.env.PORT = 'abc';
    process.env.LOG_LEVEL = 'loud';
    let err: unknown;
    try {
      checkConfig();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('PORT="abc": expected an integer from 0 to 65,535');
    expect((err as Error).message).toContain(
      'LOG_LEVEL="loud": expected "silent", "error", "warn", "info", "debug"',
    );
  });

  it('never prints a secret that fails to parse', () => {
    // Every secret parser accepts any text today; the rule is kept by the reader itself.
    process.env.GEMINI_API_KEY = 'AIza-secret';
    expect(() => checkConfig()).not.toThrow();
  });

  it('takes the log level from Lambda when LOG_LEVEL is unset', () => {
    delete process.env.LOG_LEVEL;
    process.env.AWS_LAMBDA_LOG_LEVEL = 'WARN';
    expect(config.logLevel).toBe('warn');
    delete process.env.AWS_LAMBDA_LOG_LEVEL;
    expect(config.logLevel).toBe('info');
  });

  it('docs/configuration.md holds the table generated from the settings (npm run docs)', () => {
    const doc = readFileSync('docs/configuration.md', 'utf8');
    expect(rows(doc)).toEqual(rows(configurationTable()));
  });

  it('npm start refuses a bad PORT at once, with one line naming it', () => {
    const dataDir = join(tmpdir(), `semaia-never-${process.pid}`);
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'lib/local/serve.ts'], {
      env: { ...process.env, PORT: 'abc', DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.status).toBe(1);
    expect(out.stderr.trim().split('\n')).toEqual([
      '[semaia] failed to start: Invalid configuration: PORT="abc": expected an integer from 0 to 65,535',
    ]);
    // The services (DynamoDB, PostgreSQL) were never started: they would have created DATA_DIR.
    expect(existsSync(dataDir)).toBe(false);
  });
});
