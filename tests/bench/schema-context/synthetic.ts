/**
 * Synthetic schemas of any size for the ranking-time figures: deterministic (seeded), with realistic
 * snake_case names drawn from business words, 5–20 columns per table, comments on some, foreign keys to
 * earlier tables, row estimates, spread over schemas of about 60 relations each.
 */
import type { ColumnInfo, RelationInfo, SchemaInfo } from '../../../lib/postgres/inspect.js';

const NOUNS = (
  'account address agent asset audit balance batch bill booking branch brand budget campaign card cart case ' +
  'category channel charge city claim client contract coupon course credit currency customer deal delivery ' +
  'department deposit device discount document employee entry event expense fee file fund goal grant group ' +
  'incident invoice issue item job journal lead ledger license line list loan location lot member merchant ' +
  'message meter milestone mortgage note offer order owner package parcel partner patient payment payout plan ' +
  'policy position price product project promotion purchase quote rate reading receipt refund region release ' +
  'rental report request reservation resource review reward risk role route sale schedule seat segment ' +
  'session shift shipment site skill slot sprint stock store subscription supplier survey task tax team ' +
  'template tenant ticket token trade transfer trip unit user vehicle vendor visit voucher wallet warehouse'
).split(' ');
const COLUMNS = (
  'name title code status kind amount total quantity price cost balance currency country city email phone ' +
  'note description starts_on ends_on created_at updated_at due_on paid_at score rank level priority weight ' +
  'color size label reference external_id version active archived approved region source channel'
).split(' ');
const TYPES = ['text', 'integer', 'numeric(12,2)', 'timestamp with time zone', 'date', 'boolean', 'bigint'];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Synthetic {
  info: SchemaInfo;
  /** Questions made of the schema's words and filler, for timing. */
  questions: string[];
}

export function syntheticSchema(tables: number, seed = 42): Synthetic {
  const rand = prng(seed);
  const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)]!;
  const schemaCount = Math.max(1, Math.round(tables / 60));
  const schemaNames = ['public', ...Array.from({ length: schemaCount - 1 }, (_, i) => `${pick(NOUNS)}_${i}`)];
  const made: { schema: string; rel: RelationInfo }[] = [];
  const used = new Set<string>();
  for (let i = 0; i < tables; i++) {
    const schema = schemaNames[i % schemaNames.length]!;
    let name = `${pick(NOUNS)}_${pick(NOUNS)}`;
    while (used.has(`${schema}.${name}`)) name = `${name}_${Math.floor(rand() * 100)}`;
    used.add(`${schema}.${name}`);
    const columns: ColumnInfo[] = [
      { name: 'id', type: 'bigint', nullable: false, default: null, comment: null },
    ];
    const fks: RelationInfo['foreignKeys'] = [];
    for (let f = 0; f < Math.floor(rand() * 3) && made.length > 0; f++) {
      const target = made[Math.floor(rand() * made.length)]!;
      const column = `${target.rel.name}_id`;
      if (columns.some((c) => c.name === column)) continue;
      columns.push({ name: column, type: 'bigint', nullable: true, default: null, comment: null });
      fks.push({
        name: `${name}_${column}_fkey`,
        columns: [column],
        references: { schema: target.schema, table: target.rel.name, columns: ['id'] },
        onUpdate: 'NO ACTION',
        onDelete: 'NO ACTION',
        deferrable: false,
        initiallyDeferred: false,
      });
    }
    for (let c = 0, n = 4 + Math.floor(rand() * 16); c < n; c++) {
      const column = rand() < 0.5 ? pick(COLUMNS) : `${pick(NOUNS)}_${pick(COLUMNS)}`;
      if (columns.some((x) => x.name === column)) continue;
      const comment = rand() < 0.2 ? `The ${column.replace(/_/g, ' ')} of the ${pick(NOUNS)}` : null;
      columns.push({ name: column, type: pick(TYPES), nullable: rand() < 0.6, default: null, comment });
    }
    const rel: RelationInfo = {
      name,
      kind: rand() < 0.1 ? 'view' : 'table',
      comment: rand() < 0.4 ? `${name.replace(/_/g, ' ')} records kept by the ${pick(NOUNS)} team` : null,
      rowEstimate: Math.floor(rand() ** 3 * 10_000_000),
      columns,
      primaryKey: { name: `${name}_pkey`, columns: ['id'] },
      foreignKeys: fks,
      uniqueConstraints: [],
      checkConstraints: [],
      exclusionConstraints: [],
      indexes: [],
      partitionKey: null,
      partitions: [],
    };
    made.push({ schema, rel });
  }
  const schemas = schemaNames.map((s) => ({
    name: s,
    comment: null,
    relations: made.filter((m) => m.schema === s).map((m) => m.rel),
    enums: [],
    domains: [],
  }));
  const fillers = [
    'which',
    'how many',
    'show the',
    'total',
    'per',
    'last month',
    'by',
    'with their',
    'top 10',
  ];
  const questions = Array.from({ length: 200 }, () =>
    Array.from({ length: 4 + Math.floor(rand() * 4) }, () =>
      rand() < 0.35 ? pick(fillers) : rand() < 0.6 ? pick(NOUNS) + 's' : pick(COLUMNS).replace(/_/g, ' '),
    ).join(' '),
  );
  return {
    info: {
      database: 'synthetic',
      serverVersion: '17',
      role: { name: 'reader', superuser: false, replication: false, memberOf: [] },
      schemas,
      relationCount: tables,
      truncated: false,
      maxRelations: 20_000,
      nextCursor: null,
    },
    questions,
  };
}
