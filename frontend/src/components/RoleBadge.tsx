import type { Role } from "../api/types";

/** What each role may do, in the words the pages use. */
export const ROLE_SUMMARY: Readonly<Record<Role, string>> = {
  operator: "Extracts pictures; sees models and folders.",
  editor: "Also changes models and zones, and deletes files.",
  admin: "Also manages users, API keys and the audit log.",
};

export const ROLES: readonly Role[] = ["operator", "editor", "admin"];

export function RoleBadge({ role }: { role: Role }) {
  return <span class={`badge role-badge role-${role}`}>{role}</span>;
}
