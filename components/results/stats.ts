/**
 * Trials to summary, and a platform's summary against bare metal's. Pure
 * functions: the arithmetic the tables and the "within noise" calls rest on.
 */

import type { Direction } from "../../benchmarks/types";
import type { Comparison, Summary } from "./schema";

// The shapes are the results schema's (./schema.ts); the arithmetic is here.
export type { Comparison, Summary };

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no trials");
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(trials: readonly number[]): Summary {
  if (trials.length === 0) throw new Error("no trials to summarize");
  if (trials.some((t) => !Number.isFinite(t))) throw new Error("a trial is not a finite number");
  const med = median(trials);
  const min = Math.min(...trials);
  const max = Math.max(...trials);
  const mean = trials.reduce((a, b) => a + b, 0) / trials.length;
  const stdev =
    trials.length < 2
      ? 0
      : Math.sqrt(trials.reduce((a, t) => a + (t - mean) ** 2, 0) / (trials.length - 1));
  return { trials: [...trials], median: med, min, max, stdev, spread: med === 0 ? 0 : (max - min) / Math.abs(med) };
}

/**
 * Compares a platform's trials with bare metal's. For higher-is-better metrics
 * the percentage is platform/baseline; for lower-is-better (latencies) it is
 * baseline/platform, so that in both cases below 100 means slower.
 */
export function compare(
  platform: Summary,
  baseline: Summary,
  direction: Direction,
): Comparison {
  if (baseline.median === 0 || platform.median === 0) {
    throw new Error("cannot compare against a zero median");
  }
  const ratio =
    direction === "higher" ? platform.median / baseline.median : baseline.median / platform.median;
  const percentOfBaseline = ratio * 100;
  // Noise: the two ranges of trials overlap, or the medians differ by less than either spread.
  const overlap = platform.min <= baseline.max && baseline.min <= platform.max;
  const relDiff = Math.abs(platform.median - baseline.median) / Math.abs(baseline.median);
  const withinNoise = overlap || relDiff < Math.max(platform.spread, baseline.spread);
  return { percentOfBaseline, lossPercent: 100 - percentOfBaseline, withinNoise };
}

/** N guests run at once: their medians add up (throughput) or are averaged (latency). */
export function aggregate(perGuest: readonly Summary[], direction: Direction): number {
  if (perGuest.length === 0) throw new Error("no guests to aggregate");
  const medians = perGuest.map((s) => s.median);
  const sum = medians.reduce((a, b) => a + b, 0);
  return direction === "higher" ? sum : sum / medians.length;
}

/**
 * One value (a trial, a min or a max) as a percentage of bare metal's median,
 * oriented like compare(): below 100 is slower for either direction.
 */
export function percentOf(value: number, baselineMedian: number, direction: Direction): number {
  if (baselineMedian === 0 || value === 0) throw new Error("cannot compare against a zero median");
  return direction === "higher" ? (value / baselineMedian) * 100 : (baselineMedian / value) * 100;
}

/**
 * N guests as one: a Summary whose median is aggregate() of the guests'
 * medians, whose range is the aggregate of their minimums and of their
 * maximums, and whose trials are the aggregate of each guest's i-th trial (as
 * many as the guest with fewest trials has). compare() of it with bare metal
 * gives the N-guest aggregate against the host, within-noise included.
 */
export function aggregateSummary(perGuest: readonly Summary[], direction: Direction): Summary {
  if (perGuest.length === 0) throw new Error("no guests to aggregate");
  const n = Math.min(...perGuest.map((s) => s.trials.length));
  const byTrial = Array.from({ length: n }, (_, i) =>
    aggregate(
      perGuest.map((s) => summarize([s.trials[i]])),
      direction,
    ),
  );
  const med = aggregate(perGuest, direction);
  const min = aggregate(
    perGuest.map((s) => ({ ...s, median: s.min })),
    direction,
  );
  const max = aggregate(
    perGuest.map((s) => ({ ...s, median: s.max })),
    direction,
  );
  const stdev = byTrial.length < 2 ? 0 : summarize(byTrial).stdev;
  return { trials: byTrial, median: med, min, max, stdev, spread: med === 0 ? 0 : (max - min) / Math.abs(med) };
}
