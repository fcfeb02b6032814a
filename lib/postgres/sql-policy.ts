/**
 * Functions no user or model SQL may call, in one list (pure). A read-only transaction does not stop them:
 * they act outside the transaction or the session (other connections, files, processes, WAL, server
 * configuration, statistics, locks held past the statement), or run SQL given to them as text, which no
 * check of the statement can see. Matched on the function's own name, schema-qualified or not; an entry with
 * `prefix` covers every function whose name starts with it. Each entry lists examples the tests call.
 */

export interface DeniedFunction {
  name: string;
  prefix?: boolean;
  /** Why it is refused, as the error message says it. */
  why: string;
  /** Real functions the entry covers (the tests call each of them). */
  examples: string[];
}

export const DENIED_FUNCTIONS: readonly DeniedFunction[] = [
  {
    name: 'dblink',
    prefix: true,
    why: 'it opens connections of its own, outside the read-only transaction',
    examples: ['dblink', 'dblink_exec', 'dblink_connect', 'dblink_send_query'],
  },
  {
    name: 'lo_import',
    why: 'it reads a file on the database server',
    examples: ['lo_import'],
  },
  {
    name: 'lo_export',
    why: 'it writes a file on the database server',
    examples: ['lo_export'],
  },
  {
    name: 'pg_read_file',
    why: 'it reads files on the database server',
    examples: ['pg_read_file'],
  },
  {
    name: 'pg_read_binary_file',
    why: 'it reads files on the database server',
    examples: ['pg_read_binary_file'],
  },
  {
    name: 'pg_ls_',
    prefix: true,
    why: "it lists the database server's directories",
    examples: ['pg_ls_dir', 'pg_ls_waldir', 'pg_ls_logdir', 'pg_ls_tmpdir'],
  },
  {
    name: 'pg_stat_file',
    why: 'it reads file metadata on the database server',
    examples: ['pg_stat_file'],
  },
  {
    name: 'pg_file_',
    prefix: true,
    why: 'it writes, renames or deletes files on the database server',
    examples: ['pg_file_write', 'pg_file_rename', 'pg_file_unlink', 'pg_file_sync'],
  },
  {
    name: 'pg_logdir_ls',
    why: "it lists the database server's log directory",
    examples: ['pg_logdir_ls'],
  },
  {
    name: 'pg_terminate_backend',
    why: 'it ends other sessions',
    examples: ['pg_terminate_backend'],
  },
  {
    name: 'pg_cancel_backend',
    why: "it cancels other sessions' statements",
    examples: ['pg_cancel_backend'],
  },
  {
    name: 'pg_log_backend_memory_contexts',
    why: 'it signals other sessions',
    examples: ['pg_log_backend_memory_contexts'],
  },
  {
    name: 'pg_advisory',
    prefix: true,
    why: 'advisory locks outlive the statement and block other sessions',
    examples: ['pg_advisory_lock', 'pg_advisory_xact_lock_shared', 'pg_advisory_unlock_all'],
  },
  {
    name: 'pg_try_advisory',
    prefix: true,
    why: 'advisory locks outlive the statement and block other sessions',
    examples: ['pg_try_advisory_lock', 'pg_try_advisory_xact_lock'],
  },
  {
    name: 'pg_logical_emit_message',
    why: 'it writes to the write-ahead log, outside the transaction',
    examples: ['pg_logical_emit_message'],
  },
  {
    name: 'pg_create_physical_replication_slot',
    why: 'replication slots hold back the write-ahead log and survive the session',
    examples: ['pg_create_physical_replication_slot'],
  },
  {
    name: 'pg_create_logical_replication_slot',
    why: 'replication slots hold back the write-ahead log and survive the session',
    examples: ['pg_create_logical_replication_slot'],
  },
  {
    name: 'pg_copy_',
    prefix: true,
    why: 'replication slots hold back the write-ahead log and survive the session',
    examples: ['pg_copy_physical_replication_slot', 'pg_copy_logical_replication_slot'],
  },
  {
    name: 'pg_drop_replication_slot',
    why: 'it drops replication slots',
    examples: ['pg_drop_replication_slot'],
  },
  {
    name: 'pg_replication_slot_advance',
    why: 'it moves replication slots',
    examples: ['pg_replication_slot_advance'],
  },
  {
    name: 'pg_logical_slot_',
    prefix: true,
    why: 'it consumes or reads changes from replication slots',
    examples: ['pg_logical_slot_get_changes', 'pg_logical_slot_peek_binary_changes'],
  },
  {
    name: 'pg_sync_replication_slots',
    why: 'it changes replication slots',
    examples: ['pg_sync_replication_slots'],
  },
  {
    name: 'pg_replication_origin_',
    prefix: true,
    why: 'it changes replication origins',
    examples: ['pg_replication_origin_create', 'pg_replication_origin_advance'],
  },
  {
    name: 'pg_reload_conf',
    why: "it reloads the server's configuration",
    examples: ['pg_reload_conf'],
  },
  {
    name: 'pg_rotate_logfile',
    why: "it rotates the server's log file",
    examples: ['pg_rotate_logfile'],
  },
  {
    name: 'pg_switch_wal',
    why: 'it forces a write-ahead log switch',
    examples: ['pg_switch_wal'],
  },
  {
    name: 'pg_create_restore_point',
    why: 'it writes a restore point to the write-ahead log',
    examples: ['pg_create_restore_point'],
  },
  {
    name: 'pg_log_standby_snapshot',
    why: 'it writes to the write-ahead log',
    examples: ['pg_log_standby_snapshot'],
  },
  {
    name: 'pg_promote',
    why: 'it promotes a standby server',
    examples: ['pg_promote'],
  },
  {
    name: 'pg_wal_replay_',
    prefix: true,
    why: "it pauses or resumes the standby's recovery",
    examples: ['pg_wal_replay_pause', 'pg_wal_replay_resume'],
  },
  {
    name: 'pg_backup_',
    prefix: true,
    why: 'it starts or stops a server backup',
    examples: ['pg_backup_start', 'pg_backup_stop'],
  },
  {
    name: 'pg_stat_reset',
    prefix: true,
    why: "it resets the server's statistics",
    examples: ['pg_stat_reset', 'pg_stat_reset_shared', 'pg_stat_reset_single_table_counters'],
  },
  {
    name: 'pg_stat_statements_reset',
    why: "it resets the server's statistics",
    examples: ['pg_stat_statements_reset'],
  },
  {
    name: 'pg_restore_',
    prefix: true,
    why: "it overwrites the planner's statistics in place, outside the transaction",
    examples: ['pg_restore_relation_stats', 'pg_restore_attribute_stats'],
  },
  {
    name: 'pg_clear_',
    prefix: true,
    why: "it clears the planner's statistics in place, outside the transaction",
    examples: ['pg_clear_relation_stats', 'pg_clear_attribute_stats'],
  },
  {
    name: 'pg_notify',
    why: 'it sends notifications to other sessions',
    examples: ['pg_notify'],
  },
  {
    name: 'set_config',
    why: 'it changes session settings (and with them the role or the limits of the session)',
    examples: ['set_config'],
  },
  {
    name: 'query_to_xml',
    prefix: true,
    why: 'it runs SQL given as text, which no check of the statement can see',
    examples: ['query_to_xml', 'query_to_xmlschema', 'query_to_xml_and_xmlschema'],
  },
  {
    name: 'cursor_to_xml',
    prefix: true,
    why: 'it reads from a cursor the statement does not show',
    examples: ['cursor_to_xml', 'cursor_to_xmlschema'],
  },
  {
    name: 'table_to_xml',
    prefix: true,
    why: 'it runs SQL it builds itself',
    examples: ['table_to_xml', 'table_to_xmlschema', 'table_to_xml_and_xmlschema'],
  },
  {
    name: 'schema_to_xml',
    prefix: true,
    why: 'it runs SQL it builds itself',
    examples: ['schema_to_xml', 'schema_to_xml_and_xmlschema'],
  },
  {
    name: 'database_to_xml',
    prefix: true,
    why: 'it runs SQL it builds itself',
    examples: ['database_to_xml', 'database_to_xmlschema'],
  },
  {
    name: 'ts_stat',
    why: 'it runs SQL given as text, which no check of the statement can see',
    examples: ['ts_stat'],
  },
  {
    name: 'ts_rewrite',
    why: 'it runs SQL given as text, which no check of the statement can see',
    examples: ['ts_rewrite'],
  },
  {
    name: 'binary_upgrade_',
    prefix: true,
    why: 'it is for pg_upgrade only',
    examples: ['binary_upgrade_set_next_pg_type_oid'],
  },
];

const exact = new Map(DENIED_FUNCTIONS.filter((f) => !f.prefix).map((f) => [f.name, f]));
const prefixes = DENIED_FUNCTIONS.filter((f) => f.prefix);

/** The deny-list entry covering a function name (as the parser gives it: unquoted names are lower case). */
export function deniedFunction(name: string): DeniedFunction | undefined {
  const lower = name.toLowerCase();
  return exact.get(lower) ?? prefixes.find((f) => lower.startsWith(f.name));
}
