import { z } from "zod";
import { containerLimits, count, guests, maxCtid, name } from "../../config-fields";

const openvzGuest = z
  .object({
    name,
    count,
    ...containerLimits,
    ctid: z.number().int().min(101).max(maxCtid).optional(),
  })
  .strict();

/** A openvz platform in a server's config: `platforms: [{ type: openvz, ... }]`. */
export const openvzSchema = z
  .object({
    type: z.literal("openvz"),
    /** The OS template vzctl creates containers from. */
    template: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "an OpenVZ template name")
      .default("debian-11.0-x86_64"),
    guests: guests(openvzGuest),
  })
  .strict();
