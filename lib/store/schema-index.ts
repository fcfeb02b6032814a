/**
 * A connector's schema index, cached in the single table so a cold container does not read the user's catalog
 * again: PK=USER#<uid>, SK=SCHEMAINDEX#<connectorId>#<part>. The document is JSON, gzip-compressed and cut
 * into parts below DynamoDB's 400 KB item limit; part 00 also carries the metadata. Parts are written first
 * and part 00 last, all stamped with one build id, so a reader never assembles two builds (a mismatch reads
 * as a miss). Larger than MAX_PARTS parts, the index is not stored (the process keeps its own copy).
 * Deleting a connector deletes its index; items also expire after STORED_DAYS (TTL), so nothing outlives it
 * even when that delete fails.
 */
import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { config } from '../config.js';
import { documentClient, isConditionFailed, queryPages } from './client.js';
import { schemaIndexPrefix, schemaIndexSk, userPk } from './keys.js';
import { TTL_ATTRIBUTE } from './table.js';

/** Bytes of compressed data per item (the rest of the 400 KB item is keys and metadata). */
export const PART_BYTES = 350_000;
/** At most this many parts (about 8 MB compressed, far beyond 20,000 relations). */
export const MAX_PARTS = 24;
const STORED_DAYS = 30;

export interface StoredSchemaIndex<T> {
  /** The connector version (its updatedAt) the index was built for. */
  version: string;
  format: number;
  fingerprint: string;
  searchPath: string[];
  /** Epoch ms when the fingerprint last matched the catalog. */
  verifiedAt: number;
  document: T;
}

interface HeadItem {
  build: string;
  parts: number;
  version: string;
  format: number;
  fingerprint: string;
  searchPath: string[];
  verifiedAt: number;
  data: Uint8Array;
}

const table = () => config.tableName;

/** Stores the index; false when it is too large to store (nothing is written then). */
export async function saveSchemaIndex<T>(
  uid: string,
  connectorId: string,
  stored: StoredSchemaIndex<T>,
): Promise<{ stored: boolean; bytes: number; parts: number }> {
  const packed = gzipSync(JSON.stringify(stored.document));
  const parts = Math.max(1, Math.ceil(packed.length / PART_BYTES));
  if (parts > MAX_PARTS) return { stored: false, bytes: packed.length, parts };
  const build = randomUUID();
  const pk = userPk(uid);
  const expiresAt = Math.floor(Date.now() / 1000) + STORED_DAYS * 86_400;
  const slice = (n: number) => packed.subarray(n * PART_BYTES, (n + 1) * PART_BYTES);
  const put = (item: Record<string, unknown>) =>
    documentClient().send(new PutCommand({ TableName: table(), Item: item }));
  await Promise.all(
    Array.from({ length: parts - 1 }, (_, k) =>
      put({
        PK: pk,
        SK: schemaIndexSk(connectorId, k + 1),
        build,
        data: slice(k + 1),
        [TTL_ATTRIBUTE]: expiresAt,
      }),
    ),
  );
  const { document: _document, ...meta } = stored;
  await put({
    PK: pk,
    SK: schemaIndexSk(connectorId, 0),
    ...meta,
    build,
    parts,
    data: slice(0),
    [TTL_ATTRIBUTE]: expiresAt,
  });
  // Parts of an earlier, larger build are unreachable now; remove them (they would expire anyway).
  for (let k = parts; k < MAX_PARTS; k++) {
    const deleted = await documentClient().send(
      new DeleteCommand({
        TableName: table(),
        Key: { PK: pk, SK: schemaIndexSk(connectorId, k) },
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (!deleted.Attributes) break;
  }
  return { stored: true, bytes: packed.length, parts };
}

/** The stored index, or undefined when there is none (or its parts do not belong to one build). */
export async function loadSchemaIndex<T>(
  uid: string,
  connectorId: string,
): Promise<StoredSchemaIndex<T> | undefined> {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': userPk(uid), ':prefix': schemaIndexPrefix(connectorId) },
  })) {
    items.push(...page);
  }
  const head = items.find((i) => i.SK === schemaIndexSk(connectorId, 0)) as HeadItem | undefined;
  if (!head) return undefined;
  const chunks: Uint8Array[] = [head.data];
  for (let k = 1; k < head.parts; k++) {
    const part = items.find((i) => i.SK === schemaIndexSk(connectorId, k));
    if (!part || part.build !== head.build) return undefined;
    chunks.push(part.data as Uint8Array);
  }
  const document = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as T;
  return {
    version: head.version,
    format: head.format,
    fingerprint: head.fingerprint,
    searchPath: head.searchPath,
    verifiedAt: head.verifiedAt,
    document,
  };
}

/** Removes a connector's stored index (its connector was deleted: what it describes goes with it). */
export async function deleteSchemaIndex(uid: string, connectorId: string): Promise<void> {
  for await (const page of queryPages({
    TableName: table(),
    KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
    ExpressionAttributeValues: { ':pk': userPk(uid), ':prefix': schemaIndexPrefix(connectorId) },
    ProjectionExpression: 'PK, SK',
  })) {
    await Promise.all(
      page.map((item) =>
        documentClient().send(new DeleteCommand({ TableName: table(), Key: { PK: item.PK, SK: item.SK } })),
      ),
    );
  }
}

/** Records that the stored index still matches the catalog (no-op when another build replaced it). */
export async function touchSchemaIndex(
  uid: string,
  connectorId: string,
  fingerprint: string,
  verifiedAt: number,
): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table(),
        Key: { PK: userPk(uid), SK: schemaIndexSk(connectorId, 0) },
        UpdateExpression: 'SET verifiedAt = :at',
        ConditionExpression: 'fingerprint = :fp',
        ExpressionAttributeValues: { ':at': verifiedAt, ':fp': fingerprint },
      }),
    );
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
  }
}
