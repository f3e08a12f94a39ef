/** Roles of API.md and what each may do. Routes declare a permission; a role grants a set. */
export const roles = ['admin', 'operator', 'approver', 'analyst', 'viewer'] as const;
export type Role = (typeof roles)[number];

export const permissions = ['read', 'write', 'launch', 'approve', 'export', 'manage'] as const;
export type Permission = (typeof permissions)[number];

const grants: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(permissions),
  // Operators build and launch; they may approve only where the workspace allows self-approval
  // (checked by campaigns.service, which knows the workspace policy and the creator).
  operator: new Set<Permission>(['read', 'write', 'launch', 'approve']),
  approver: new Set<Permission>(['read', 'approve', 'launch']),
  analyst: new Set<Permission>(['read', 'export']),
  viewer: new Set<Permission>(['read']),
};

export const can = (role: Role, p: Permission): boolean => grants[role].has(p);

/** Who acted, as written in the audit log and `created_by` columns: `key:<id>` or `user:<id>`. */
export interface Principal {
  workspaceId: string;
  role: Role;
  actor: string;
}
