/**
 * A target's name and key, without the rest of a Target (its connection, its
 * Pulumi resources): what results, archives and the report know a target by.
 * Pure, so the report can use it without loading Pulumi.
 */

export interface TargetName {
  server: string;
  platform: string;
  /** "host" for bare metal, else the guest's object name. */
  guest: string;
}

/** "server/platform/guest": a target's key in results.json's `targets`, the archive's raw/ folders and config's pairs. */
export const targetKey = (t: TargetName): string => `${t.server}/${t.platform}/${t.guest}`;
