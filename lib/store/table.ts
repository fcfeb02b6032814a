/**
 * The single DynamoDB table, defined once. The local table creation and the CloudFormation resource in
 * serverless.yml are both checked against this definition.
 *
 * Item layout (every key starts with the authenticated user's id, so no read can cross users):
 *   connector   PK=USER#<uid>                SK=CONNECTOR#<connectorId>
 *   chat        PK=USER#<uid>                SK=CHAT#<chatId>        GSI1PK=USER#<uid>#CONNECTOR#<connectorId> GSI1SK=CHAT#<chatId>
 *   message     PK=USER#<uid>#CHAT#<chatId>  SK=MSG#<messageId>
 *   idempotency PK=USER#<uid>                SK=IDEMPOTENCY#<scope>#<key>   (expiresAt: TTL)
 *   schema index PK=USER#<uid>               SK=SCHEMAINDEX#<connectorId>#<part>   (expiresAt: TTL)
 * Chat and message ids sort by creation time, so listing order comes from the sort key.
 */
export const TABLE_KEY = { partitionKey: 'PK', sortKey: 'SK' } as const;

export const GSI1 = { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' } as const;

export const TTL_ATTRIBUTE = 'expiresAt';

/** CreateTable input shared by local setup and (as data) by the deployment template test. */
export function tableDefinition(tableName: string) {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: TABLE_KEY.partitionKey, AttributeType: 'S' as const },
      { AttributeName: TABLE_KEY.sortKey, AttributeType: 'S' as const },
      { AttributeName: GSI1.partitionKey, AttributeType: 'S' as const },
      { AttributeName: GSI1.sortKey, AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEY.partitionKey, KeyType: 'HASH' as const },
      { AttributeName: TABLE_KEY.sortKey, KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: GSI1.name,
        KeySchema: [
          { AttributeName: GSI1.partitionKey, KeyType: 'HASH' as const },
          { AttributeName: GSI1.sortKey, KeyType: 'RANGE' as const },
        ],
        Projection: { ProjectionType: 'ALL' as const },
      },
    ],
  };
}
