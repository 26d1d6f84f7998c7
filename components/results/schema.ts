/**
 * The results schema, written once: what a run's outputs hold (results,
 * comparison, aggregates), what its archive's results.json holds, and what
 * the report accepts when it reads one back. The types are inferred from it,
 * so the program that writes and the report that reads cannot drift apart.
 *
 * Reading checks more than the types say: no value below zero, none infinite
 * (JSON's 1e999), no empty trials, medians and means that are their trials'
 * (components/results/stats.ts summarize), so a report never draws from an
 * edited file. Pure: zod and the statistics libraries stats.ts uses, no Pulumi.
 */
import { z } from "zod";
import { directionSchema } from "../../benchmarks/types";
import { summarize } from "./stats";

/**
 * Every value of a metric: rates, times, counts, percentages and scores, none
 * of which is ever below zero (a "% of bare metal" of a negative median would
 * be nonsense). z.number() already refuses Infinity, which JSON's 1e999 is.
 */
const value = z.number().min(0, {
  error: (i) =>
    `negative (${String(i.input)}): no metric (a rate, time, count or score) is below 0`,
});

/** A metric's trials summarized (components/results/stats.ts summarize). */
export const summarySchema = z.object({
  trials: z.array(value).min(1),
  median: value,
  min: value,
  max: value,
  /** Sample standard deviation (0 for one trial). */
  stdev: value,
  /** (max - min) / |median|: the spread the papers' error bars show, as a fraction. */
  spread: value,
  /** The trials' arithmetic mean. Always written; runs archived before it was recorded lack it. */
  mean: value.optional(),
  /** Coefficient of variation, stdev / |mean| (0 for one trial or a mean of 0). Always written; older runs lack it. */
  cv: value.optional(),
  /** How many trials were summarized. Always written; older runs lack it. */
  n: z.number().int().positive().optional(),
});
/** A summary as read: from this program or from an archive older than mean, cv and n. */
export type Summary = z.infer<typeof summarySchema>;
/** A summary as the program writes it now (stats.ts summarize): every key present. */
export type WrittenSummary = Required<Summary>;

const metricShape = {
  ...summarySchema.shape,
  unit: z.string(),
  direction: directionSchema,
  /** What distinguishes metrics of the same name, e.g. { algorithm: "aes-128-cbc", blockBytes: "16384" }. */
  labels: z.record(z.string(), z.string()),
};

/**
 * One metric of a run: its trials' summary, unit, direction and labels. Its
 * median, min and max (and its mean and n, when written) are its trials':
 * anything else was edited.
 */
export const metricResultSchema = z.object(metricShape).check((ctx) => {
  const m = ctx.value;
  // zod runs this even after issues it can continue past (no trials, a negative one): those say enough.
  if (ctx.issues.length > 0) return;
  const s = summarize(m.trials);
  for (const k of ["median", "min", "max", "mean", "n"] as const) {
    if (m[k] !== undefined && m[k] !== s[k]) {
      ctx.issues.push({
        code: "custom",
        input: m[k],
        path: [k],
        message: `${m[k]} is not the ${k} of the trials (${s[k]})`,
      });
    }
  }
});
export type MetricResult = z.infer<typeof metricResultSchema>;

/** What a comparison with bare metal concludes (components/results/stats.ts compare). */
export const verdictSchema = z.enum([
  /** The family-wise interval lies below 100. */
  "slower",
  /** The family-wise interval lies above 100. */
  "faster",
  /** The interval holds 100: the trials could not tell the two apart (not "the same"). */
  "no difference found",
  /** A side has one trial: a one-trial result says it has no uncertainty, so there is no interval. */
  "no uncertainty",
  /** A trial is 0: no logarithm, no interval; the percentage is the medians'. */
  "not comparable",
]);
export type Verdict = z.infer<typeof verdictSchema>;

/**
 * A platform's metric against the same server's bare metal
 * (components/results/stats.ts compare): the ratio of geometric means with a
 * confidence interval from Welch's t on the logs of the trials, family-wise
 * (Bonferroni) over the metrics of the same target's benchmark.
 *
 * Runs archived before intervals hold only percentOfBaseline, lossPercent and
 * withinNoise: what came after is optional to read, and withinNoise is never
 * written now (WrittenComparison).
 */
export const comparisonSchema = z.object({
  /** The platform's geometric mean as a percentage of bare metal's (of medians when "not comparable"), oriented so that 100 is parity and below is slower. */
  percentOfBaseline: z.number().positive(),
  /**
   * Loss against bare metal in percent, the way the papers state it ("2.5%
   * slower"): positive is worse than bare metal, whatever the direction.
   */
  lossPercent: z.number(),
  /** The simultaneous confidence interval of percentOfBaseline, in the same units; null when there is none (a side with one trial, a trial of 0). */
  ci: z
    .object({ low: z.number().positive(), high: z.number().positive() })
    .refine((c) => c.low <= c.high, { error: "ci.low is above ci.high", path: ["low"] })
    .nullable()
    .optional(),
  /** The family-wise confidence level: 0.95. */
  level: z.number().gt(0).lt(1).optional(),
  /** How many metrics the level is shared over (Bonferroni: each at 1 - (1 - level) / family). */
  family: z.number().int().positive().optional(),
  /** Welch's two-sided p-value, unadjusted for the family; null without an interval. */
  pValue: z.number().min(0).max(1).nullable().optional(),
  verdict: verdictSchema.optional(),
  /** How the interval was made, in words, e.g. "Welch t on log values, 95% family-wise over 6 metrics (Bonferroni)". */
  method: z.string().optional(),
  /** Present only when the target's tool version differs from bare metal's: a comparison across versions is flagged, never silent. */
  toolVersions: z.object({ target: z.string(), baseline: z.string() }).optional(),
  /**
   * Whether the target's trials took turns with bare metal's in one run (one
   * interleaved schedule). False: they came from different runs (a target run
   * in a block of its own, or bare metal measured on the plain kernel before a
   * reboot into Xen), so drift between the runs is not balanced out and the
   * interval does not cover it. Older runs lack it.
   */
  interleaved: z.boolean().optional(),
  /** Runs archived before intervals: "the ranges overlap or the medians differ less than the spread". Never written now. */
  withinNoise: z.boolean().optional(),
});
/** A comparison as read: from this program, or from an archive older than intervals. */
export type Comparison = z.infer<typeof comparisonSchema>;
/** A comparison as the program writes it now: every field but the old withinNoise, toolVersions only across versions. */
export type WrittenComparison = Required<
  Omit<Comparison, "withinNoise" | "toolVersions" | "interleaved">
> &
  Pick<Comparison, "toolVersions" | "interleaved">;

/**
 * Where and when a trial ran, as the scheduler recorded it: its round and its
 * place in the round's interleaved order, its start, the guests paused while it
 * ran, and the host's state just before it (load1, busyCpus, governor, mhz, kernel, ...).
 */
export const trialContextSchema = z.object({
  round: z.number().int().nonnegative(),
  /** Its place in the round's order. */
  position: z.number().int().nonnegative(),
  startedAt: z.string().optional(),
  /** Guests paused while it ran. */
  paused: z.array(z.string()),
  /**
   * Measured just before it: load1, busyCpus (other work on the host, in CPUs'
   * worth), governor, mhz, kernel; and the server that round: mitigations,
   * vulnerable, fs, nic. Older runs have the first four.
   */
  host: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type TrialContext = z.infer<typeof trialContextSchema>;

/** One trial of a run as archived: its raw output goes to raw/, its numbers into the metrics. */
export const trialRecordSchema = z.object({
  index: z.number(),
  exitCode: z.number(),
  seconds: z.number(),
  error: z.string().optional(),
  /** Where and when it ran; runs scheduled before it was recorded lack it. */
  context: trialContextSchema.optional(),
});

/** One benchmark's run on one target, its trials summarized. */
export const outcomeSchema = z.object({
  /**
   * ok: every trial asked for parsed (as many results as asked, none failed);
   * partial: some failed or are missing from the output; failed: none gave a
   * number.
   */
  status: z.enum(["ok", "partial", "failed"]),
  /** When not ok: how many of the trials asked for gave a result, how many failed or are missing, and why. */
  message: z.string().optional(),
  toolVersion: z.string(),
  /** How many trials were asked for. Always written; older runs lack it (their trials are the repeats). */
  asked: z.number().int().nonnegative().optional(),
  /** Why the trials stopped where they did, e.g. "precision ±2% reached after 7 rounds", "max 10 rounds", "3 repeats". */
  stopped: z.string().optional(),
  /** The interleaved order the trials ran in: per round, the target keys in the order they ran. */
  schedule: z
    .object({
      seed: z.string(),
      method: z.string(),
      rounds: z.array(z.array(z.string())),
    })
    .optional(),
  /**
   * When and with what it was measured: start, seconds, end, the project's
   * commit, Pulumi's and Node's versions (components/measure/provenance.ts).
   * Older runs lack it.
   */
  measured: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  trials: z.array(trialRecordSchema),
  /** Metric key (components/measure/results.ts metricKey) -> the metric. */
  metrics: z.record(z.string(), metricResultSchema),
  /** A pair's client (iperf, ab), when it ran elsewhere than on the target's own host. */
  client: z.string().optional(),
});
export type BenchmarkOutcome = z.infer<typeof outcomeSchema>;

const byName = <T extends z.ZodType>(inner: T) => z.record(z.string(), inner);

/** server -> platform -> guest -> benchmark -> outcome. */
export const resultsSchema = byName(byName(byName(byName(outcomeSchema))));
export type Results = z.infer<typeof resultsSchema>;

/**
 * server -> platform -> guest -> benchmark -> metric -> comparison with the
 * same server's bare metal. Bare metal itself, and a metric bare metal lacks
 * or whose median is zero on either side, have none.
 */
export const comparisonsSchema = z.record(
  z.string(),
  byName(byName(byName(byName(comparisonSchema)))),
  {
    error: (i) =>
      i.input === undefined
        ? "missing: every run archives its comparison with bare metal beside its results"
        : undefined,
  },
);
export type Comparisons = z.infer<typeof comparisonsSchema>;

/** N guests that ran at once, as one: the median is their medians' sum or mean, so it lies between the summed minimums and maximums. */
export const aggregateResultSchema = z
  .object({
    ...metricShape,
    /** The guests that ran at once: throughputs add up, latencies are averaged. */
    guests: z.array(z.string()).min(1),
    /** The N guests as one against the same server's bare metal, when it ran this benchmark (and neither median is zero). */
    vsBaseline: comparisonSchema.optional(),
  })
  .refine((m) => m.min <= m.median && m.median <= m.max, {
    error: (i) => {
      const m = i.input as { min: number; median: number; max: number };
      return `median ${m.median} is not between min ${m.min} and max ${m.max}`;
    },
    path: ["median"],
  });
export type AggregateResult = z.infer<typeof aggregateResultSchema>;

/** server -> platform -> benchmark -> metric -> the guests that ran at once, as one. */
export const aggregatesSchema = byName(byName(byName(byName(aggregateResultSchema))));
export type Aggregates = z.infer<typeof aggregatesSchema>;

const record = z.record(z.string(), z.unknown());

/** A platform of one server in the `testbed` stack output. */
const testbedPlatformSchema = z.looseObject({
  info: record.optional(),
  guests: z.array(record).optional(),
});

/** One server as the `testbed` stack output describes it (index.ts describeServer). */
export const testbedServerSchema = z.looseObject({
  profile: z.string().optional(),
  profileCheck: z
    .looseObject({
      profile: z.string(),
      matches: z.boolean(),
      mismatches: z.array(
        z.object({ field: z.string(), expected: z.string(), actual: z.string() }),
      ),
    })
    .optional(),
  /** An emulated server (components/server/emulated): what QEMU was asked for. */
  emulated: z.looseObject({ qemu: z.string(), cpu: z.string(), disk: z.string() }).optional(),
  facts: record.optional(),
  accel: record.optional(),
  platforms: z.record(z.string(), testbedPlatformSchema).optional(),
});
export type TestbedServer = z.infer<typeof testbedServerSchema>;

/** The `testbed` stack output: server -> its description. */
export const testbedSchema = z.record(z.string(), testbedServerSchema);
export type Testbed = z.infer<typeof testbedSchema>;

/**
 * results.json of a run folder (results/<stack>/<run id>/), one per server and
 * run, in the order the program writes its keys. Runs archived before a key
 * was recorded lack it: those keys are optional to read; the program writes
 * every one (ArchivedResults). The same holds inside: a summary's mean, cv and
 * n, a comparison's interval, level, family, p-value, verdict and method, an
 * outcome's asked, are optional to read and always written (WrittenSummary,
 * WrittenComparison, components/results/summarize.ts outcome); an old
 * comparison's withinNoise is read, never written.
 */
export const resultsFileSchema = z.object({
  stack: z.string(),
  /** The server whose folder this is; older runs lack it. */
  server: z.string().optional(),
  /** The validated stack configuration without secrets; older runs lack it. */
  config: record.optional(),
  /** The `testbed` stack output; runs archived before it was recorded lack it. */
  testbed: testbedSchema.optional(),
  /** Facts (bare metal) or spec (guests) per "server/platform/guest" (targetKey). */
  targets: z.record(z.string(), record).optional(),
  results: resultsSchema,
  comparison: comparisonsSchema,
  /** Concurrent groups as one; older runs lack it. */
  aggregates: aggregatesSchema.optional(),
});
export type ResultsFile = z.infer<typeof resultsFileSchema>;

/** results.json as the program writes it now: every key present. */
export type ArchivedResults = Required<ResultsFile>;
