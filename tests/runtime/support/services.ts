/**
 * What the function talks to in the lane, all on loopback ports: an in-memory dynalite with the table, KMS
 * and SSM stand-ins, the scripted Gemini server behind the model gate, and a PostgreSQL database (the run's
 * server: embedded, or PG_URL) with a small table and a read-only role for a connector. The function is
 * configured as serverless.yml configures it (the Gemini key from an SSM parameter, passwords under KMS).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmbeddedDynamo } from '../../../lib/local/embedded-dynamo.js';
import { startScriptedGemini, type ScriptedGemini } from '../../../lib/local/scripted-gemini/server.js';
import { resetDocumentClient } from '../../../lib/store/client.js';
import { connectStore } from '../../support/dynamo.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { KMS_KEY_ARN, startKms, startSsm, type AwsStandIn } from './aws.js';
import { startModelGate, type ModelGate } from './model-gate.js';

/** The Gemini key the SSM stand-in holds; the scripted model sees it in `x-goog-api-key`. */
export const GEMINI_KEY_IN_SSM = 'lane-key-from-ssm';

export interface LaneServices {
  gemini: ScriptedGemini;
  ssm: AwsStandIn;
  gate: ModelGate;
  db: TestDatabase;
  /** postgres:// URL of the read-only role on the database (for a connector). */
  readerUrl: string;
  /** The function's configuration (its environment in Lambda). */
  functionEnv: Record<string, string>;
  stop(): Promise<void>;
}

export async function startLaneServices(): Promise<LaneServices> {
  const dataDir = mkdtempSync(join(tmpdir(), 'semaia-lane-'));
  const tableName = `semaia-lane-${process.pid}`;
  process.env.DATA_DIR = dataDir;
  process.env.TABLE_NAME = tableName;
  process.env.LOG_LEVEL ??= 'silent';
  let dynamo: EmbeddedDynamo | undefined;
  let kms: AwsStandIn | undefined;
  let ssm: AwsStandIn | undefined;
  let gemini: ScriptedGemini | undefined;
  let gate: ModelGate | undefined;
  let db: TestDatabase | undefined;
  const stop = async () => {
    resetDocumentClient();
    await Promise.all([
      dynamo?.close(),
      kms?.close(),
      ssm?.close(),
      gate?.close(),
      gemini?.close(),
      db?.drop(),
    ]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    dynamo = await connectStore();
    kms = await startKms();
    ssm = await startSsm({ '/semaia/lane/gemini-api-key': GEMINI_KEY_IN_SSM });
    gemini = await startScriptedGemini({ fallback: 'fail' });
    gate = await startModelGate(gemini.url);
    db = await createTestDatabase('runtime_lane');
    await db.query(`
      CREATE TABLE pets (id int PRIMARY KEY, name text NOT NULL, species text);
      COMMENT ON TABLE pets IS 'Animals we know';
      INSERT INTO pets VALUES (1, 'Rex', 'dog'), (2, 'Tom', 'cat'), (3, 'Nemo', NULL);
      ANALYZE pets;`);
    const reader = await db.createRole('lane_reader', 'lane-reader-pw');
    await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader.name}`);
    return {
      gemini,
      ssm,
      gate,
      db,
      readerUrl: `${reader.url}?sslmode=disable`,
      functionEnv: {
        TABLE_NAME: tableName,
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        KMS_KEY_ID: KMS_KEY_ARN,
        KMS_ENDPOINT: kms.url,
        GEMINI_API_KEY_PARAM: '/semaia/lane/gemini-api-key',
        AWS_ENDPOINT_URL_SSM: ssm.url,
        GEMINI_BASE_URL: gate.url,
        CONNECTOR_ALLOWED_NETWORKS: 'any',
        MODEL_RETRY_BASE_MS: '20',
        LOG_LEVEL: 'info',
        // The SDK's notice that Node 20 is past its end of life would fill the Node 20 run's log.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
