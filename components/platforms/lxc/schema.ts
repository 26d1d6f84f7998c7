import { z } from "zod";
import { containerLimits, count, guests, name } from "../../config-fields";

/** The most a quota may give: 64 CPUs' worth. */
export const maxCpuQuotaPercent = 100 * 64;

const quotaRange = `a whole percent of one CPU from 1 to ${maxCpuQuotaPercent}, e.g. 95 (95 ms of CPU time in every 100 ms) or 200 (two CPUs' worth)`;

/**
 * A CFS bandwidth limit (cgroup v2 cpu.max, v1 cpu.cfs_quota_us): the
 * container's CPU time per 100 ms period, in percent of one CPU. A ceiling,
 * unlike cpuShares, which only weighs containers against each other when they
 * compete; default none.
 */
export const cpuQuotaPercent = z
  .number({ error: `expected a number: ${quotaRange}` })
  .int({ error: `not a whole number: ${quotaRange}` })
  .min(1, { error: `too small: ${quotaRange}` })
  .max(maxCpuQuotaPercent, { error: `too big: ${quotaRange}` })
  .optional();

const lxcGuest = z.object({ name, count, ...containerLimits, cpuQuotaPercent }).strict();

/** A lxc platform in a server's config: `platforms: [{ type: lxc, ... }]`. */
export const lxcSchema = z.object({ type: z.literal("lxc"), guests: guests(lxcGuest) }).strict();
