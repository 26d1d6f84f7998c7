import { z } from "zod";

/** A baseline platform in a server's config: `platforms: [{ type: baseline, ... }]`. */
export const baselineSchema = z.object({ type: z.literal("baseline") }).strict();
