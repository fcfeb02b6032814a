/** Creates the table outside Lambda (in Lambda the deployment template owns it). */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DescribeTableCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { config } from '../config.js';
import { log } from '../log.js';
import { dynamoClient } from './client.js';
import { tableDefinition, TTL_ATTRIBUTE } from './table.js';

const errorName = (err: unknown) => (err as { name?: string } | null)?.name;

async function describe(tableName: string): Promise<DescribeTableCommandOutput | undefined> {
  try {
    return await dynamoClient().send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (errorName(err) === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/** Creates the table from `tableDefinition` when it is missing and waits until it is active. */
export async function ensureTable(): Promise<void> {
  if (config.inLambda)
    throw new Error('ensureTable must not run in Lambda: the table belongs to the deployment');
  const tableName = config.tableName;
  let status = (await describe(tableName))?.Table?.TableStatus;
  if (status === undefined) {
    try {
      await dynamoClient().send(new CreateTableCommand(tableDefinition(tableName)));
      log.info('created table', { tableName });
    } catch (err) {
      if (errorName(err) !== 'ResourceInUseException') throw err; // another process created it first
    }
    await enableTtl(tableName);
  }
  const deadline = Date.now() + 30_000;
  while (status !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become active`);
    await new Promise((r) => setTimeout(r, status === undefined ? 0 : 100));
    status = (await describe(tableName))?.Table?.TableStatus;
  }
}

async function enableTtl(tableName: string): Promise<void> {
  try {
    await dynamoClient().send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (err) {
    // dynalite has no UpdateTimeToLive; readers treat expired items as absent anyway.
    if (errorName(err) !== 'UnknownOperationException') {
      log.warn('could not enable TTL', { tableName, error: errorName(err) });
    }
  }
}
