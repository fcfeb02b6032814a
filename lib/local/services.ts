/**
 * The embedded stand-ins for the cloud, started outside Lambda (the shim, local invoke, tests) so nothing
 * needs an AWS account or a database server: an in-process DynamoDB-compatible server persisted under
 * DATA_DIR (unless DYNAMODB_ENDPOINT names one), and a real PostgreSQL with a sample database.
 * They publish themselves through the environment, which the configuration reads.
 */
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
  log?: (message: string) => void;
}

export async function startLocalServices(options: LocalServiceOptions): Promise<LocalServices> {
  if (config.inLambda) throw new Error('Embedded services never run inside Lambda');
  const log = options.log ?? (() => undefined);
  const stops: Array<() => Promise<void>> = [];

  let dynamoEndpoint = config.dynamoEndpoint;
  if (!dynamoEndpoint) {
    const { startEmbeddedDynamo } = await import('./embedded-dynamo.js');
    const { mkdirSync } = await import('node:fs');
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
    stops.push(pg.stop);
    samplePgUrl = pg.url;
    process.env.SEMAIA_SAMPLE_PG_URL = samplePgUrl;
    log(`PostgreSQL sample database (embedded) at ${new URL(samplePgUrl).host}, data in ${pg.clusterDir}`);
  }

  return {
    dynamoEndpoint,
    samplePgUrl,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
