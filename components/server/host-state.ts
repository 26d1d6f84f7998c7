import * as pulumi from "@pulumi/pulumi";
import * as crypto from "crypto";
import { script } from "../bash";

/**
 * Shell functions for state shared by everything on one host (packages,
 * daemons): a host-wide lock and per-owner records in a root-owned directory.
 * Prepended to the scripts that change such state.
 */
export const hostStateScript = script(__dirname, "host-state.sh");

/**
 * The owner of a step's shared host state: this project, stack and step, so
 * stacks whose names differ only by case or punctuation never share one.
 */
export function hostStateOwner(step: string): string {
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([organization(), pulumi.getProject(), pulumi.getStack(), step]))
    .digest("hex")
    .slice(0, 32);
}

/** The stack's organization; the SDK throws where it has none (mocks without one). */
function organization(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "";
  }
}
