import { z } from "zod";
import { guests, name, sshConnectionFields } from "../../config-fields";

// Not from an agent: the server itself logs into the guest (ab, postal), with the key.
const vmwareGuest = z.object({ name, connection: sshConnectionFields(false).strict() }).strict();

/** A vmware platform in a server's config: `platforms: [{ type: vmware, ... }]`. */
export const vmwareSchema = z
  .object({ type: z.literal("vmware"), guests: guests(vmwareGuest) })
  .strict();
