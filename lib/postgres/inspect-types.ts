import type { SessionRole } from './privileges.js';

/**
 * What inspectSchema returns (GET /connectors/{id}/inspect). Other code (the model's schema context) is
 * written against these names: add fields, never rename them.
 */

export type RelationKind = 'table' | 'view' | 'materialized_view' | 'partitioned_table' | 'foreign_table';

export interface ColumnInfo {
  name: string;
  /** Declared type as format_type spells it: a domain by its own name (schema-qualified when not on the
   *  search_path), an enum by its name, `character varying(80)`, `numeric(10,2)`, `integer[]`. */
  type: string;
  /** False for NOT NULL columns and for columns of a NOT NULL domain (or a domain over one). */
  nullable: boolean;
  /** Default expression, or for identity/generated columns a description of them. */
  default: string | null;
  comment: string | null;
}

export type Deferrable = { deferrable: boolean; initiallyDeferred: boolean };

export interface ForeignKeyInfo extends Deferrable {
  name: string;
  /** Referencing columns, in key order (multi-column keys pair up with `references.columns`). */
  columns: string[];
  references: { schema: string; table: string; columns: string[] };
  onUpdate: string;
  onDelete: string;
}

export interface UniqueConstraintInfo extends Deferrable {
  name: string;
  columns: string[];
  /** `UNIQUE NULLS NOT DISTINCT` (PostgreSQL 15+): two NULLs count as equal. */
  nullsNotDistinct: boolean;
}

export interface CheckConstraintInfo {
  name: string;
  /** Columns the expression reads. */
  columns: string[];
  /** As pg_get_constraintdef spells it, e.g. `CHECK ((status = ANY (ARRAY['draft'::text, 'paid'::text])))`. */
  expression: string;
}

export interface ExclusionConstraintInfo {
  name: string;
  /** e.g. `EXCLUDE USING gist (room WITH =, during WITH &&)`. */
  definition: string;
}

export interface IndexInfo {
  name: string;
  /** Key columns (expressions as their SQL text). */
  columns: string[];
  unique: boolean;
  primary: boolean;
  method: string;
  definition: string;
  nullsNotDistinct: boolean;
}

export interface RelationInfo {
  name: string;
  kind: RelationKind;
  comment: string | null;
  /** Planner's row estimate; null when never analyzed (or not applicable, e.g. views). */
  rowEstimate: number | null;
  columns: ColumnInfo[];
  primaryKey: { name: string; columns: string[] } | null;
  foreignKeys: ForeignKeyInfo[];
  uniqueConstraints: UniqueConstraintInfo[];
  checkConstraints: CheckConstraintInfo[];
  exclusionConstraints: ExclusionConstraintInfo[];
  indexes: IndexInfo[];
  /** Partitioned tables: the partition key as pg_get_partkeydef gives it, e.g. `RANGE (payment_date)`. */
  partitionKey: string | null;
  /** Partitioned tables: the direct partitions (schema-qualified when in another schema). Keys, foreign keys,
   *  checks and indexes declared only on partitions are listed on the parent, once per distinct definition. */
  partitions: string[];
}

export interface EnumInfo {
  name: string;
  /** In sort order. */
  labels: string[];
  comment: string | null;
}

export interface DomainInfo {
  name: string;
  /** format_type of the base type, e.g. `numeric(12,2)` (a domain over a domain names that domain). */
  baseType: string;
  /** False when the domain, or a domain it is based on, is NOT NULL. */
  nullable: boolean;
  default: string | null;
  checks: { name: string; expression: string }[];
  comment: string | null;
}

export interface SchemaEntry {
  name: string;
  comment: string | null;
  relations: RelationInfo[];
  enums: EnumInfo[];
  domains: DomainInfo[];
}

export interface SchemaInfo {
  database: string;
  serverVersion: string;
  /** The role the connector logs in as and its server-level privileges (see privileges.ts). */
  role: SessionRole;
  /** Every schema in scope (all the role can use, or the one asked for), with its enums and domains; the
   *  relations of this page only. */
  schemas: SchemaEntry[];
  /** Relations on this page. */
  relationCount: number;
  /** More relations follow this page (fetch them with `nextCursor`). */
  truncated: boolean;
  maxRelations: number;
  /** Paging past the relation cap (GET /inspect?cursor=…&schema=…): null when nothing follows. */
  nextCursor: string | null;
}
