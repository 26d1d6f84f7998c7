/**
 * Trials to summary, and a platform's summary against bare metal's. Pure
 * functions: the arithmetic the tables and the verdicts ("slower", "faster",
 * "no difference found") rest on.
 *
 * Libraries, not hand-written statistics:
 * - simple-statistics: the descriptives (mean, median, sample standard
 *   deviation). Small, no dependencies, typed, CommonJS build beside the ESM one.
 * - @stdlib/stats-ttest2: the Welch two-sample t-test (its default,
 *   variance: "unequal"), which gives the p-value and the confidence interval
 *   of the difference of means at any alpha. Its typings (export =) import
 *   cleanly with esModuleInterop, so it is used as is rather than rebuilt from
 *   a t quantile.
 * - @stdlib/stats-base-dists-t-quantile: the t quantile for the one-sample
 *   interval of relativeHalfWidth (the adaptive repeats' stop rule); ttest2
 *   itself depends on it, so it adds no code, only the direct dependency.
 *
 * The method (compare): Welch's t on the natural logarithms of the trials. A
 * difference of log means is the log of the ratio of geometric means, so its
 * interval, exponentiated, is an interval of the ratio: "92% of bare metal
 * (88% to 96%)". Logs make the ratio's interval the same whichever side is the
 * numerator, and suit timings and rates, whose noise is multiplicative. The
 * level is family-wise: a target's benchmark compares several metrics with
 * bare metal at once, so each is tested at 1 - 0.05/family (Bonferroni) and
 * the stated 95% holds for all of them together.
 */

import quantileT from "@stdlib/stats-base-dists-t-quantile";
import ttest2 from "@stdlib/stats-ttest2";
import { mean as meanOf, median as medianOf, sampleStandardDeviation } from "simple-statistics";
import type { Direction } from "../../benchmarks/types";
import type { Comparison, Summary, Verdict, WrittenComparison, WrittenSummary } from "./schema";

// The shapes are the results schema's (./schema.ts); the arithmetic is here.
export type { Comparison, Summary, Verdict, WrittenComparison, WrittenSummary };

/** The family-wise confidence level every comparison states. */
export const LEVEL = 0.95;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no trials");
  return medianOf([...xs]);
}

export function summarize(trials: readonly number[]): WrittenSummary {
  if (trials.length === 0) throw new Error("no trials to summarize");
  if (trials.some((t) => !Number.isFinite(t))) throw new Error("a trial is not a finite number");
  const xs = [...trials];
  const med = median(xs);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const mean = meanOf(xs);
  const stdev = xs.length < 2 ? 0 : sampleStandardDeviation(xs);
  return {
    trials: xs,
    median: med,
    min,
    max,
    stdev,
    spread: med === 0 ? 0 : (max - min) / Math.abs(med),
    mean,
    cv: xs.length < 2 || mean === 0 ? 0 : stdev / Math.abs(mean),
    n: xs.length,
  };
}

/**
 * Half the width of the t confidence interval of the trials' mean, as a
 * fraction of |mean|: 0.02 means "the mean is known to ±2%". null for fewer
 * than two trials (one trial says nothing of its uncertainty) and for a mean
 * of zero (no relative width). The adaptive repeats stop on it.
 */
export function relativeHalfWidth(trials: readonly number[], level = LEVEL): number | null {
  if (!(level > 0 && level < 1)) throw new Error(`level ${level} is not between 0 and 1`);
  if (trials.length < 2) return null;
  const m = meanOf([...trials]);
  if (m === 0 || !Number.isFinite(m)) return null;
  const s = sampleStandardDeviation([...trials]);
  const q = quantileT(1 - (1 - level) / 2, trials.length - 1);
  return (q * s) / Math.sqrt(trials.length) / Math.abs(m);
}

/**
 * Half the width of a comparison's interval as a fraction of its point
 * estimate: 0.02 means "known to ±2% of the ratio". null when it has no
 * interval (one trial on a side, a zero, or an archive older than intervals).
 */
export function ratioHalfWidth(c: Comparison): number | null {
  if (!c.ci) return null;
  return (c.ci.high - c.ci.low) / 2 / c.percentOfBaseline;
}

/** Sample variance of the mean, s²/n (0 for identical values). */
function varianceOfMean(xs: readonly number[]): number {
  const s = sampleStandardDeviation([...xs]);
  return (s * s) / xs.length;
}

function familyText(family: number): string {
  return family === 1 ? "for this metric alone" : `family-wise over ${family} metrics (Bonferroni)`;
}

/**
 * Compares a platform's trials with bare metal's: the ratio of their geometric
 * means and its confidence interval, from Welch's t on the logs of the trials
 * (see the top of this file), at 95% family-wise over `family` metrics (the
 * metrics of one target's benchmark compared with bare metal together).
 *
 * Oriented so that below 100 is slower whatever the direction: for
 * higher-is-better metrics the ratio is platform/baseline, for lower-is-better
 * (latencies) baseline/platform.
 *
 * - "slower" or "faster" only when the interval excludes 100;
 * - "no difference found" when it holds 100 (not "the same": the trials could
 *   not tell);
 * - "no uncertainty" when a side has one trial: a one-trial result says it has
 *   no uncertainty, so no interval is given (the ratio is still the geometric
 *   means');
 * - "not comparable" when a trial is 0 (a log is impossible): the ratio is the
 *   medians'.
 * Both sides without variance (identical trials on each): the interval is the
 * point, and the verdict is whether the ratio is 1.
 *
 * Throws on a zero median (no ratio at all): callers skip those.
 */
export function compare(
  platform: Summary,
  baseline: Summary,
  direction: Direction,
  family = 1,
): WrittenComparison {
  if (!Number.isInteger(family) || family < 1) {
    throw new Error(`a comparison family is a count of metrics, not ${family}`);
  }
  if (baseline.median === 0 || platform.median === 0) {
    throw new Error("cannot compare against a zero median");
  }
  const orient = (r: number) => (direction === "higher" ? r : 1 / r);
  const result = (
    ratio: number,
    rest: Omit<WrittenComparison, "percentOfBaseline" | "lossPercent" | "level" | "family">,
  ): WrittenComparison => ({
    percentOfBaseline: ratio * 100,
    lossPercent: 100 - ratio * 100,
    ci: rest.ci,
    level: LEVEL,
    family,
    pValue: rest.pValue,
    verdict: rest.verdict,
    method: rest.method,
  });

  const p = platform.trials;
  const b = baseline.trials;
  if (p.some((t) => t <= 0) || b.some((t) => t <= 0)) {
    return result(orient(platform.median / baseline.median), {
      ci: null,
      pValue: null,
      verdict: "not comparable",
      method: "ratio of medians: a trial of 0 has no logarithm, so no interval",
    });
  }
  const x = p.map(Math.log);
  const y = b.map(Math.log);
  const diff = meanOf(x) - meanOf(y);
  const ratio = orient(Math.exp(diff));
  if (x.length < 2 || y.length < 2) {
    return result(ratio, {
      ci: null,
      pValue: null,
      verdict: "no uncertainty",
      method:
        "ratio of geometric means; a one-trial result says it has no uncertainty, so no interval",
    });
  }

  const alpha = (1 - LEVEL) / family;
  const method = `Welch t on log values, ${LEVEL * 100}% ${familyText(family)}`;
  const point = () =>
    result(ratio, {
      ci: { low: ratio * 100, high: ratio * 100 },
      pValue: diff === 0 ? 1 : 0,
      verdict: diff === 0 ? "no difference found" : ratio < 1 ? "slower" : "faster",
      method: `${method}; no variance on either side, so the interval is the point`,
    });
  if (varianceOfMean(x) + varianceOfMean(y) === 0) return point();
  const t = ttest2(x, y, { alpha, variance: "unequal", alternative: "two-sided" });
  // The interval's half-width is ttest2's; its centre is `diff`, so the point lies inside to the last bit.
  const half = (t.ci[1] - t.ci[0]) / 2;
  // Variances too small to square (below ~1e-154) leave Welch's degrees of freedom 0/0.
  if (![half, t.pValue].every(Number.isFinite)) return point();
  // An interval wider than a double holds (trials thousands of times apart) keeps to positive finite ends.
  const ends = [diff - half, diff + half]
    .map((d) => Math.min(Number.MAX_VALUE, Math.max(Number.MIN_VALUE, orient(Math.exp(d)) * 100)))
    .sort((u, v) => u - v);
  const ci = { low: ends[0], high: ends[1] };
  return result(ratio, {
    ci,
    pValue: t.pValue,
    verdict: ci.high < 100 ? "slower" : ci.low > 100 ? "faster" : "no difference found",
    method,
  });
}

/** N guests run at once: their medians add up (throughput) or are averaged (latency). */
export function aggregate(
  perGuest: readonly Pick<Summary, "median">[],
  direction: Direction,
): number {
  if (perGuest.length === 0) throw new Error("no guests to aggregate");
  const medians = perGuest.map((s) => s.median);
  const sum = medians.reduce((a, b) => a + b, 0);
  return direction === "higher" ? sum : sum / medians.length;
}

/**
 * One value (a trial, a min or a max) as a percentage of bare metal's median,
 * oriented like compare(): below 100 is slower for either direction. (compare's
 * own percentage is of geometric means, not medians.)
 */
export function percentOf(value: number, baselineMedian: number, direction: Direction): number {
  if (baselineMedian === 0 || value === 0) throw new Error("cannot compare against a zero median");
  return direction === "higher" ? (value / baselineMedian) * 100 : (baselineMedian / value) * 100;
}

/**
 * N guests as one: a Summary whose median is aggregate() of the guests'
 * medians, whose range is the aggregate of their minimums and of their
 * maximums, and whose trials are the aggregate of each guest's i-th trial (as
 * many as the guest with fewest trials has). Its mean, stdev, cv and n are
 * those aggregated trials'. compare() of it with bare metal gives the N-guest
 * aggregate against the host: Welch on the aggregated trials, interval
 * included.
 */
export function aggregateSummary(
  perGuest: readonly Summary[],
  direction: Direction,
): WrittenSummary {
  if (perGuest.length === 0) throw new Error("no guests to aggregate");
  const n = Math.min(...perGuest.map((s) => s.trials.length));
  const byTrial = Array.from({ length: n }, (_, i) =>
    aggregate(
      perGuest.map((s) => ({ median: s.trials[i] })),
      direction,
    ),
  );
  const med = aggregate(perGuest, direction);
  const min = aggregate(
    perGuest.map((s) => ({ median: s.min })),
    direction,
  );
  const max = aggregate(
    perGuest.map((s) => ({ median: s.max })),
    direction,
  );
  const t = summarize(byTrial);
  return {
    trials: byTrial,
    median: med,
    min,
    max,
    stdev: t.stdev,
    spread: med === 0 ? 0 : (max - min) / Math.abs(med),
    mean: t.mean,
    cv: t.cv,
    n: t.n,
  };
}
