import { z } from "zod";

/**
 * A precision to repeat to (in the manner of the Phoronix Test Suite's
 * dynamic run count): rounds go on, from `minRepeats` to `maxRepeats`, until
 * the confidence interval of every headline figure is within ±`percent`: of
 * its ratio to bare metal, or of its mean where the server has no bare
 * metal. Its own module, so config.ts reads it without the stop rule's
 * imports (components/measure/precision.ts).
 */
export const precisionSchema = z
  .object({
    percent: z.number().min(0.1).max(50).default(2),
    minRepeats: z.number().int().min(2).max(100).default(3),
    maxRepeats: z.number().int().min(2).max(100).default(10),
  })
  .strict()
  .refine((p) => p.maxRepeats >= p.minRepeats, {
    message: "maxRepeats is below minRepeats",
    path: ["maxRepeats"],
  });
export type Precision = z.infer<typeof precisionSchema>;
