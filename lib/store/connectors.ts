/**
 * Connectors of one user: PK=USER#<uid>, SK=CONNECTOR#<id>. The password is stored sealed (see
 * lib/crypto/secrets.ts) and never leaves this module except through getConnectionConfig.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import type { ConnectorPatch, NewConnector } from '../connectors/input.js';
import { parsePostgresUrl } from '../connectors/url.js';
import { openSecret, sealSecret, type SealedSecret } from '../crypto/secrets.js';
import { AppError, badRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { ConnectionConfig, Connector } from '../types.js';
import { documentClient, isConditionFailed } from './client.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { CONNECTOR_PREFIX, connectorSk, isValidId, userPk } from './keys.js';

export type { ConnectorPatch, NewConnector } from '../connectors/input.js';

/** The id of the virtual local sample connector. */
export const SAMPLE_CONNECTOR_ID = 'sample';

interface ConnectorItem extends Omit<Connector, 'hasPassword'> {
  PK: string;
  SK: string;
  password?: SealedSecret;
}

const table = () => config.tableName;

function toConnector(item: object): Connector {
  const i = item as ConnectorItem;
  return {
    id: i.id,
    name: i.name,
    engine: 'postgres',
    host: i.host,
    port: i.port,
    database: i.database,
    user: i.user,
    ssl: i.ssl,
    hasPassword: i.password !== undefined,
    createdAt: i.createdAt,
    updatedAt: i.updatedAt,
  };
}

// ---- the sample connector (local mode only, never stored) ----

let sampleCreatedAt: string | undefined;

function sampleConnection(): ConnectionConfig | undefined {
  const url = config.samplePgUrl; // undefined in Lambda
  if (!url) return undefined;
  const { password, ...rest } = parsePostgresUrl(url, 'disable'); // the embedded server speaks no TLS
  return { ...rest, ...(password ? { password } : {}) };
}

function sampleConnector(): Connector | undefined {
  const conn = sampleConnection();
  if (!conn) return undefined;
  sampleCreatedAt ??= new Date().toISOString();
  const { password, ...fields } = conn;
  return {
    id: SAMPLE_CONNECTOR_ID,
    name: 'Sample database',
    engine: 'postgres',
    ...fields,
    hasPassword: password !== undefined,
    createdAt: sampleCreatedAt,
    updatedAt: sampleCreatedAt,
  };
}

function refuseSampleChange(id: string): void {
  if (id === SAMPLE_CONNECTOR_ID && sampleConnection()) throw badRequest('The sample connector is read-only');
}

// ---- reads ----

async function getItem(uid: string, id: string): Promise<ConnectorItem> {
  if (!isValidId(id)) throw notFound('Connector');
  const out = await documentClient().send(
    new GetCommand({ TableName: table(), Key: { PK: userPk(uid), SK: connectorSk(id) } }),
  );
  if (!out.Item) throw notFound('Connector');
  return out.Item as ConnectorItem;
}

/** The largest page of GET /connectors, and its default: as many as a user may have by default. */
export const MAX_CONNECTOR_PAGE = 100;

/**
 * One page of the user's connectors in creation order (ids sort by time). Locally the sample connector
 * comes first on the first page, on top of `limit`. Reads limit+1 items so that nextCursor is null
 * exactly when nothing follows.
 */
export async function listConnectors(
  uid: string,
  opts: { limit?: number | undefined; cursor?: string | undefined } = {},
): Promise<{ connectors: Connector[]; nextCursor: string | null }> {
  const limit = Math.max(1, Math.min(MAX_CONNECTOR_PAGE, Math.floor(opts.limit ?? MAX_CONNECTOR_PAGE)));
  const afterId = opts.cursor ? decodeCursor(opts.cursor) : undefined;
  const pk = userPk(uid);
  const out = await documentClient().send(
    new QueryCommand({
      TableName: table(),
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': CONNECTOR_PREFIX },
      Limit: limit + 1,
      // Rebuilt from the caller's own uid: a cursor names only a connector id.
      ExclusiveStartKey: afterId === undefined ? undefined : { PK: pk, SK: connectorSk(afterId) },
    }),
  );
  const items = out.Items ?? [];
  const page = items.slice(0, limit).map(toConnector);
  const more = items.length > limit || (out.LastEvaluatedKey !== undefined && page.length > 0);
  const sample = afterId === undefined ? sampleConnector() : undefined;
  return {
    connectors: sample ? [sample, ...page] : page,
    nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null,
  };
}

/** One connector of the user (NotFound when missing or another user's). */
export async function getConnector(uid: string, id: string): Promise<Connector> {
  if (id === SAMPLE_CONNECTOR_ID) {
    const sample = sampleConnector();
    if (sample) return sample;
  }
  return toConnector(await getItem(uid, id));
}

/** A connector with what is needed to connect to it (password decrypted), from one read. */
export interface ConnectorAccess {
  connector: Connector;
  conn: ConnectionConfig;
}

/** The connector and its connection, password decrypted. For the SQL and model routes only. */
export async function getConnectorAccess(uid: string, id: string): Promise<ConnectorAccess> {
  if (id === SAMPLE_CONNECTOR_ID) {
    const connector = sampleConnector();
    const conn = sampleConnection();
    if (connector && conn) return { connector, conn };
  }
  const item = await getItem(uid, id);
  const conn: ConnectionConfig = {
    host: item.host,
    port: item.port,
    database: item.database,
    user: item.user,
    ssl: item.ssl,
  };
  if (item.password !== undefined) conn.password = await openSecret(item.password, { uid, connectorId: id });
  return { connector: toConnector(item), conn };
}

/** What is needed to connect, with the password decrypted. For the SQL and model routes only. */
export async function getConnectionConfig(uid: string, id: string): Promise<ConnectionConfig> {
  return (await getConnectorAccess(uid, id)).conn;
}

// ---- writes ----

export async function createConnector(uid: string, input: NewConnector): Promise<Connector> {
  const id = newId();
  const now = new Date().toISOString();
  const item: ConnectorItem = {
    PK: userPk(uid),
    SK: connectorSk(id),
    id,
    name: input.name,
    engine: 'postgres',
    host: input.host,
    port: input.port,
    database: input.database,
    user: input.user,
    ssl: input.ssl,
    createdAt: now,
    updatedAt: now,
  };
  if (input.password) item.password = await sealSecret(input.password, { uid, connectorId: id });
  await documentClient().send(
    new PutCommand({ TableName: table(), Item: item, ConditionExpression: 'attribute_not_exists(PK)' }),
  );
  return toConnector(item);
}

/** The fields that say which server, and as whom, the stored password is sent to. */
const SERVER_FIELDS = ['host', 'port', 'user'] as const;

const passwordMustFollow = () =>
  new AppError(
    'IncorrectSignature',
    'Invalid body field "password": give the password again when host, port or user changes (a stored password is only sent to the server it was saved for)',
    { field: 'password' },
  );

/**
 * Changes the given fields; `password` undefined keeps the stored password, null removes it. Credentials
 * follow the server: a change of host, port or user while a password is stored must carry a password (or
 * null), checked in the same conditional write so no concurrent update can slip between.
 */
export async function updateConnector(uid: string, id: string, patch: ConnectorPatch): Promise<Connector> {
  refuseSampleChange(id);
  if (!isValidId(id)) throw notFound('Connector');
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const set = (attr: string, value: unknown) => {
    names[`#${attr}`] = attr;
    values[`:${attr}`] = value;
    sets.push(`#${attr} = :${attr}`);
  };
  for (const f of ['name', 'host', 'port', 'database', 'user', 'ssl'] as const) {
    if (patch[f] !== undefined) set(f, patch[f]);
  }
  set('updatedAt', new Date().toISOString());
  let remove = '';
  let condition = 'attribute_exists(PK)';
  const moved = SERVER_FIELDS.filter((f) => patch[f] !== undefined);
  if (patch.password === null) {
    names['#password'] = 'password';
    remove = ' REMOVE #password';
  } else if (patch.password !== undefined) {
    set('password', await sealSecret(patch.password, { uid, connectorId: id }));
  } else if (moved.length > 0) {
    names['#password'] = 'password';
    const same = moved.map((f) => `#${f} = :${f}`).join(' AND ');
    condition += ` AND (attribute_not_exists(#password) OR (${same}))`;
  }
  try {
    const out = await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: connectorSk(id) },
        UpdateExpression: `SET ${sets.join(', ')}${remove}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toConnector(out.Attributes ?? {});
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    await getItem(uid, id); // NotFound when the connector is gone; otherwise the password condition failed
    throw passwordMustFollow();
  }
}

/**
 * Deletes the connector. Its chats are kept: their history stays readable (GET /chats/{id}), and new
 * messages in them are answered without data (the model is told the connector was deleted; docs/api.md).
 */
export async function deleteConnector(uid: string, id: string): Promise<void> {
  refuseSampleChange(id);
  if (!isValidId(id)) throw notFound('Connector');
  try {
    await documentClient().send(
      new DeleteCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: connectorSk(id) },
        ConditionExpression: 'attribute_exists(PK)',
      }),
    );
  } catch (err) {
    if (isConditionFailed(err)) throw notFound('Connector');
    throw err;
  }
}
