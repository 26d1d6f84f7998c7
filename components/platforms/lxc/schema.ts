import { z } from "zod";
import { containerLimits, count, guests, name } from "../../config-fields";

const lxcGuest = z.object({ name, count, ...containerLimits }).strict();

/** A lxc platform in a server's config: `platforms: [{ type: lxc, ... }]`. */
export const lxcSchema = z.object({ type: z.literal("lxc"), guests: guests(lxcGuest) }).strict();
