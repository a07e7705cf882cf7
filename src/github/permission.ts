/** GitHub repository permission levels, lowest first. `none` = not a collaborator. */
export const permissionLevels = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type Permission = (typeof permissionLevels)[number];

export function permissionAtLeast(have: Permission, need: Permission): boolean {
  return permissionLevels.indexOf(have) >= permissionLevels.indexOf(need);
}

/** How help texts and refusals name a permission level. */
export function permissionPhrase(level: Permission): string {
  return level === "none" ? "anyone" : `${level} access to the repository`;
}
