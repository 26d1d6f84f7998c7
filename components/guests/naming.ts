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
  return `vtb-${stackSlug(stack)}-${guest}${count > 1 ? `-${index}` : ""}`;
}

/**
 * The stack's part of object names: lowercase letters, digits and '-', at
 * most 24 characters, so that a name stays within LXC's 64. A name already
 * of that form is kept as it is; any other (upper case, '.', '_', longer)
 * gets a digest of the exact name after a "--", which a kept name never
 * has: `Testbed`, `test.bed` and `testbed` give three different slugs.
 */
export function stackSlug(stack: string): string {
  if (/^[a-z0-9-]{1,24}$/.test(stack) && !stack.includes("--")) return stack;
  const s = stack
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 16);
  return `${s}--${shortId(stack).slice(0, 6)}`;
}

/** A short, stable id for names with a length limit (network interfaces: 15 characters). */
export function shortId(name: string): string {
  return crypto.createHash("sha256").update(name).digest("hex").slice(0, 8);
}
