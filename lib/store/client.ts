/**
 * The DynamoDB clients, created on first use. Only @aws-sdk/client-dynamodb and lib-dynamodb are loaded
 * here: every data route imports this module, so it must stay light.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { config } from '../config.js';

interface Clients {
  signature: string;
  raw: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

let clients: Clients | undefined;

function create(): Clients {
  const endpoint = config.dynamoEndpoint;
  const region = config.region;
  if (!endpoint && !config.inLambda) {
    // Outside Lambda the data lives in the embedded server; silently talking to real AWS would be a surprise.
    throw new Error(
      'DYNAMODB_ENDPOINT is not set: start the local store first (lib/local/embedded-dynamo.ts)',
    );
  }
  const hasAwsCredentials = Boolean(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
  const raw = new DynamoDBClient({
    region,
    maxAttempts: 3,
    ...(endpoint ? { endpoint } : {}),
    // dynalite accepts any signature; dummy keys spare a lookup through the credential provider chain.
    ...(endpoint && !hasAwsCredentials
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  const doc = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return { signature: `${region}|${endpoint ?? ''}`, raw, doc };
}

function current(): Clients {
  const signature = `${config.region}|${config.dynamoEndpoint ?? ''}`;
  // Tests (and a restarted embedded server) switch endpoints: follow the configuration.
  if (!clients || clients.signature !== signature) {
    clients?.raw.destroy();
    clients = create();
  }
  return clients;
}

/** The document client (plain JS values in and out). */
export function documentClient(): DynamoDBDocumentClient {
  return current().doc;
}

/** The low-level client, for table administration. */
export function dynamoClient(): DynamoDBClient {
  return current().raw;
}

/** Drops the cached clients (the next call builds new ones from the current configuration). */
export function resetDocumentClient(): void {
  clients?.raw.destroy();
  clients = undefined;
}

/** True when a DynamoDB call failed on its ConditionExpression. */
export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';
}

/**
 * The item a conditional write failed on (undefined when there is none). DynamoDB returns it with the
 * failure when the write asked for it (ReturnValuesOnConditionCheckFailure: 'ALL_OLD'): no second round
 * trip. dynalite does not, so a consistent Get of `key` stands in for it.
 */
export async function itemOnConditionFailure(
  err: unknown,
  key: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  const old = (err as { Item?: Record<string, NativeAttributeValue> }).Item;
  if (old) return unmarshall(old as never);
  const out = await documentClient().send(
    new GetCommand({ TableName: config.tableName, Key: key, ConsistentRead: true }),
  );
  return out.Item;
}

/** Every page of a query, one array of items at a time (DynamoDB returns at most 1 MB per call). */
export async function* queryPages(input: QueryCommandInput): AsyncGenerator<Record<string, unknown>[]> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await documentClient().send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield out.Items ?? [];
    startKey = out.LastEvaluatedKey;
  } while (startKey);
}
