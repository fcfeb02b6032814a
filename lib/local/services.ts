/**
 * The embedded stand-ins for the cloud, started outside Lambda (the shim, local invoke, tests) so nothing
 * needs an AWS account or a database server: an in-process DynamoDB-compatible server persisted under
 * DATA_DIR (unless DYNAMODB_ENDPOINT names one), and a real PostgreSQL with a sample database.
 * They publish themselves through the environment, which the configuration reads, and in
 * DATA_DIR/local-services.json, so a second local process (npm run invoke) can use a running npm start's.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { config } from '../config.js';

export interface LocalServices {
  dynamoEndpoint: string;
  samplePgUrl: string | undefined;
  stop(): Promise<void>;
}

export interface LocalServiceOptions {
  /** Start the sample PostgreSQL (the `sample` connector). */
  sample: boolean;
  /** Keep DynamoDB data in memory instead of under DATA_DIR. */
  inMemory?: boolean;
  /**
   * Refuse to start when another live process serves this DATA_DIR (npm start), instead of sharing its
   * services (npm run invoke shares them: a second server on the same data would lose it when the first stops).
   */
  exclusive?: boolean;
  log?: (message: string) => void;
}

export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
}

interface Published {
  pid: number;
  dynamoEndpoint: string;
  samplePgUrl?: string;
}

const publishedFile = () => join(config.dataDir, 'local-services.json');

/**
 * The services another live process (a running `npm start`) serves from this DATA_DIR. Its embedded store
 * holds the data directory's lock, so a second process (`npm run invoke`) uses that one instead.
 */
function runningServices(): Published | undefined {
  try {
    const published = JSON.parse(readFileSync(publishedFile(), 'utf8')) as Published;
    process.kill(published.pid, 0); // throws when no such process
    return published.pid === process.pid ? undefined : published;
  } catch {
    return undefined;
  }
}

export async function startLocalServices(options: LocalServiceOptions): Promise<LocalServices> {
  if (config.inLambda) throw new Error('Embedded services never run inside Lambda');
  const log = options.log ?? (() => undefined);
  const stops: Array<() => Promise<void>> = [];

  const running = options.inMemory || config.dynamoEndpoint ? undefined : runningServices();
  if (running && options.exclusive) {
    throw new DataDirInUse(
      `another Semaia process (pid ${running.pid}) already serves DATA_DIR ${config.dataDir}: stop it first, or start this one with its own DATA_DIR`,
    );
  }
  if (running) {
    process.env.DYNAMODB_ENDPOINT = running.dynamoEndpoint;
    if (running.samplePgUrl && !config.samplePgUrl) process.env.SEMAIA_SAMPLE_PG_URL = running.samplePgUrl;
    log(`Using the services of process ${running.pid}, which serves DATA_DIR ${config.dataDir}`);
  }
  const publish = !options.inMemory && !config.dynamoEndpoint;

  let dynamoEndpoint = config.dynamoEndpoint;
  if (!dynamoEndpoint) {
    const { startEmbeddedDynamo } = await import('./embedded-dynamo.js');
    const path = options.inMemory ? undefined : `${config.dataDir}/dynamodb`;
    if (path) mkdirSync(path, { recursive: true });
    const dynamo = await startEmbeddedDynamo({ path });
    stops.push(dynamo.close);
    dynamoEndpoint = dynamo.endpoint;
    process.env.DYNAMODB_ENDPOINT = dynamoEndpoint;
    log(`DynamoDB (embedded dynalite) at ${dynamoEndpoint}${path ? `, data in ${path}` : ''}`);
  } else {
    log(`DynamoDB at ${dynamoEndpoint}`);
  }
  const { ensureTable } = await import('../store/setup.js');
  await ensureTable();

  let samplePgUrl = config.samplePgUrl;
  if (options.sample && !samplePgUrl) {
    const { startSamplePostgres } = await import('./embedded-postgres.js');
    const pg = await startSamplePostgres({ dataDir: config.dataDir });
    if (pg.leftoverStopped) {
      log(
        `stopped the PostgreSQL server (pid ${pg.leftoverStopped}) that an earlier run left running on this DATA_DIR`,
      );
    }
    stops.push(pg.stop);
    samplePgUrl = pg.url;
    process.env.SEMAIA_SAMPLE_PG_URL = samplePgUrl;
    log(`PostgreSQL sample database (embedded) at ${new URL(samplePgUrl).host}, data in ${pg.clusterDir}`);
  }

  if (publish) {
    const published: Published = {
      pid: process.pid,
      dynamoEndpoint,
      ...(samplePgUrl ? { samplePgUrl } : {}),
    };
    writeFileSync(publishedFile(), JSON.stringify(published), { mode: 0o600 });
    stops.unshift(async () => rmSync(publishedFile(), { force: true }));
  }

  return {
    dynamoEndpoint,
    samplePgUrl,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
