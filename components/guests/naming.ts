import * as crypto from "crypto";

/**
 * Names of the objects a guest owns on its server (containers, libvirt
 * domains and volumes, namespaces): prefixed with vtb- and the stack, so
 * every object of ours is recognizable and two stacks never collide.
 */
export function guestObjectName(
  stack: string,
  guest: string,
  index: number,
  count: number,
): string {
  const s = stack.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  return `vtb-${s}-${guest}${count > 1 ? `-${index}` : ""}`;
}

/** A short, stable id for names with a length limit (network interfaces: 15 characters). */
export function shortId(name: string): string {
  return crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
}
