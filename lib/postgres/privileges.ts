/**
 * The session role's server-level privileges, read in the same round trip as BEGIN, and the refusal of a
 * privileged role. A superuser, a replication role, or a member of the roles below can act outside any
 * read-only transaction (run programs, read and write the server's files, signal other sessions, force
 * checkpoints) through paths no statement check can close, so by default Semaia does not run SQL as one.
 */
import { AppError } from '../errors.js';

/** Predefined roles whose members can act on the server itself. */
export const PRIVILEGED_ROLES = [
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_signal_backend',
  'pg_checkpoint',
] as const;

export interface SessionRole {
  name: string;
  superuser: boolean;
  replication: boolean;
  /** The PRIVILEGED_ROLES the role is a member of (directly or not). */
  memberOf: string[];
}

const quoted = PRIVILEGED_ROLES.map((r) => `'${r}'`).join(', ');

/**
 * One simple-protocol message: the transaction, then the role. Both session_user and current_user count (a
 * role's `SET role` default makes them differ). Roles missing on older servers (pg_checkpoint before 15) are
 * simply not found.
 */
export const BEGIN_AND_READ_ROLE = `BEGIN READ ONLY; SELECT current_user::text AS name,
  bool_or(r.rolsuper) AS superuser, bool_or(r.rolreplication) AS replication,
  ARRAY(SELECT g.rolname::text FROM pg_roles g JOIN pg_roles u ON u.rolname IN (session_user, current_user)
        WHERE g.rolname IN (${quoted}) AND pg_has_role(u.oid, g.oid, 'MEMBER')
        GROUP BY g.rolname ORDER BY g.rolname) AS member_of
FROM pg_roles r WHERE r.rolname IN (session_user, current_user)`;

interface RoleRow {
  name: string;
  superuser: boolean | null;
  replication: boolean | null;
  member_of: string[] | null;
}

export function toSessionRole(row: RoleRow | undefined): SessionRole {
  if (!row)
    throw new AppError('ConnectorError', 'The database did not describe the session role', {
      reason: 'database',
    });
  return {
    name: row.name,
    superuser: row.superuser === true,
    replication: row.replication === true,
    memberOf: row.member_of ?? [],
  };
}

/** The first privilege that makes the role privileged, or undefined. */
export function privilegeOf(role: SessionRole): string | undefined {
  if (role.superuser) return 'superuser';
  if (role.replication) return 'replication';
  return role.memberOf[0];
}

/** Throws PrivilegedRole naming the attribute when the role may act outside read-only SQL. */
export function refusePrivileged(role: SessionRole): void {
  const attribute = privilegeOf(role);
  if (attribute === undefined) return;
  const what =
    attribute === 'superuser'
      ? 'is a superuser'
      : attribute === 'replication'
        ? 'has the REPLICATION attribute'
        : `is a member of ${attribute}`;
  throw new AppError(
    'PrivilegedRole',
    `The connector's role "${role.name}" ${what}, so it can act on the database server outside read-only SQL. ` +
      'Connect with a role that can only read (see the security documentation for the three statements that make one).',
    { attribute, role: role.name },
  );
}
