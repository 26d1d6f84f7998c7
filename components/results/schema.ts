/**
 * The results schema, written once: what a run's outputs hold (results,
 * comparison, aggregates), what its archive's results.json holds, and what
 * the report accepts when it reads one back. The types are inferred from it,
 * so the program that writes and the report that reads cannot drift apart.
 *
 * Reading checks more than the types say: no value below zero, none infinite
 * (JSON's 1e999), no empty trials, medians that are their trials'
 * (components/results/stats.ts summarize), so a report never draws from an
 * edited file. Pure: zod only, no Pulumi.
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
});
export type Summary = z.infer<typeof summarySchema>;

const metricShape = {
  ...summarySchema.shape,
  unit: z.string(),
  direction: directionSchema,
  /** What distinguishes metrics of the same name, e.g. { algorithm: "aes-128-cbc", blockBytes: "16384" }. */
  labels: z.record(z.string(), z.string()),
};

/** One metric of a run: its trials' summary, unit, direction and labels. Its median, min and max are its trials': anything else was edited. */
export const metricResultSchema = z.object(metricShape).check((ctx) => {
  const m = ctx.value;
  // zod runs this even after issues it can continue past (no trials, a negative one): those say enough.
  if (ctx.issues.length > 0) return;
  const s = summarize(m.trials);
  for (const k of ["median", "min", "max"] as const) {
    if (m[k] !== s[k]) {
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

/** A platform's metric against the same server's bare metal (components/results/stats.ts compare). */
export const comparisonSchema = z.object({
  /** The platform's median as a percentage of bare metal's, oriented so that 100 is parity. */
  percentOfBaseline: z.number().positive(),
  /**
   * Loss against bare metal in percent, the way the papers state it ("2.5%
   * slower"): positive is worse than bare metal, whatever the direction.
   */
  lossPercent: z.number(),
  /** The difference is smaller than the trials' spread: neither a win nor a loss. */
  withinNoise: z.boolean(),
});
export type Comparison = z.infer<typeof comparisonSchema>;

/** One trial of a run as archived: its raw output goes to raw/, its numbers into the metrics. */
export const trialRecordSchema = z.object({
  index: z.number(),
  exitCode: z.number(),
  seconds: z.number(),
  error: z.string().optional(),
});

/** One benchmark's run on one target, its trials summarized. */
export const outcomeSchema = z.object({
  /**
   * ok: every trial asked for parsed; partial: some failed or are missing from
   * the output; failed: none gave a number.
   */
  status: z.enum(["ok", "partial", "failed"]),
  /** When not ok: how many trials gave no number, how many of them are missing, and why. */
  message: z.string().optional(),
  toolVersion: z.string(),
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
 * every one (ArchivedResults).
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
