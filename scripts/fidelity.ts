// Fidelity, for bench:harness: does measuring through the harness change what
// is measured? A metric's median through the harness against the plain
// script's, judged against the trials' own spread. Over several rounds the
// trials are pooled (the rounds alternate which side runs first, so a machine
// drifting over a round widens both sides' spread instead of favouring one),
// and the sign of each round's difference is counted: an effect of the harness
// shows as the same sign in every round, whichever side ran first.
//
// And the order effect: in an interleaved run the targets take turns, so each
// trial has a place in its round (its unit's position). Does running earlier
// or later in a round shift what a trial measures? Each trial's value relative
// to its target's mean, grouped by position (orderEffects).
import type { Direction } from "../benchmarks/types";
import { summarize } from "../components/results/stats";

/** One metric as measured in one round, through the harness and by the plain script. */
export interface Measured {
  target: string;
  benchmark: string;
  metric: string;
  unit: string;
  harness: readonly number[];
  /** Undefined when the plain script's output gave no such metric. */
  plain?: readonly number[];
}

export interface Judged {
  target: string;
  benchmark: string;
  metric: string;
  unit: string;
  /** The fewer of the two sides' trials. */
  trials: number;
  harness: number;
  plain: number;
  /** |harness - plain| / |plain| of the medians. */
  difference: number;
  /** The larger of the two sides' (max - min) / |median|. */
  spread: number;
  withinSpread: boolean | "one trial";
}

export interface Pooled extends Judged {
  rounds: number;
  /** Rounds in which the harness's median was above the plain script's. */
  harnessHigher: number;
}

export function judge(m: Measured): Judged {
  const h = summarize(m.harness);
  const id = { target: m.target, benchmark: m.benchmark, metric: m.metric, unit: m.unit };
  if (!m.plain || m.plain.length === 0) {
    return {
      ...id,
      trials: m.harness.length,
      harness: h.median,
      plain: NaN,
      difference: NaN,
      spread: h.spread,
      withinSpread: false,
    };
  }
  const p = summarize(m.plain);
  const difference = p.median === 0 ? 0 : Math.abs(h.median - p.median) / Math.abs(p.median);
  const spread = Math.max(h.spread, p.spread);
  const trials = Math.min(m.harness.length, m.plain.length);
  return {
    ...id,
    trials,
    harness: h.median,
    plain: p.median,
    difference,
    spread,
    withinSpread: trials < 2 ? "one trial" : difference <= spread,
  };
}

// Targets and benchmark names hold no spaces.
const keyOf = (m: Measured) => `${m.target} ${m.benchmark} ${m.metric}`;

/**
 * Every round's trials of a metric pooled into one judgement. The rounds, and
 * the two sides of a round, may measure different sets of metrics (bonnie++
 * leaves out a figure it measured too fast to time, "+++++"), so each side's
 * trials are pooled over the rounds that have them; a metric the plain script
 * never measured is judged as missing. `rounds` counts the rounds with trials
 * on both sides, the ones `harnessHigher` is counted over.
 */
export function pool(rounds: readonly (readonly Measured[])[]): Pooled[] {
  if (rounds.length === 0) throw new Error("fidelity: no rounds to pool");
  const byKey = new Map<string, Measured[]>();
  for (const r of rounds) {
    for (const m of r) {
      const k = keyOf(m);
      const seen = byKey.get(k);
      if (seen && seen[0].unit !== m.unit) {
        throw new Error(`fidelity: ${k} in ${seen[0].unit} in one round, in ${m.unit} in another`);
      }
      byKey.set(k, [...(seen ?? []), m]);
    }
  }
  return [...byKey.values()].map((all) => {
    const plain = all.flatMap((m) => m.plain ?? []);
    const judged = judge({
      ...all[0],
      harness: all.flatMap((m) => m.harness),
      plain: plain.length > 0 ? plain : undefined,
    });
    // Only a round with trials on both sides has a sign.
    const both = all.filter((m) => m.plain && m.plain.length > 0);
    const harnessHigher = both.filter((m) => {
      const j = judge(m);
      return j.harness > j.plain;
    }).length;
    return { ...judged, rounds: both.length, harnessHigher };
  });
}

// ---- order: a trial's place in its round ----

/** One trial's value of a headline metric, and the place its unit had in its round. */
export interface Placed {
  side: "harness" | "plain";
  target: string;
  benchmark: string;
  metric: string;
  unit: string;
  direction: Direction;
  /** 0: its unit ran first in the round. */
  position: number;
  value: number;
}

/** The trials at one position, relative to their targets' means. */
export interface AtPosition {
  position: number;
  n: number;
  /** The mean of value / its target's mean, minus 1: +0.012 is 1.2% above the target's mean. */
  relative: number;
  /** The standard error of that mean (sd / sqrt(n)); NaN for one trial. */
  stderr: number;
}

/** A headline metric's order effect. */
export interface OrderEffect {
  benchmark: string;
  metric: string;
  unit: string;
  direction: Direction;
  /** Per target: its trials at each position relative to its mean. */
  targets: { target: string; positions: AtPosition[] }[];
  /** Every target's trials, each relative to its own target's mean, grouped by position. */
  pooled: AtPosition[];
}

/**
 * Each value divided by the mean of its group (`groupOf`: a target, on one
 * side). A group whose trials all ran at one position, or whose mean is zero
 * or not finite, is left out: it says nothing of position (each
 * of its values at that position averages to exactly its mean) and would only
 * pull the pooled figures towards zero.
 */
export function relativeToMean<T extends { position: number; value: number }>(
  values: readonly T[],
  groupOf: (v: T) => string,
): (T & { relative: number })[] {
  const groups = new Map<string, T[]>();
  for (const v of values) {
    const k = groupOf(v);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(v);
  }
  return [...groups.values()].flatMap((vs) => {
    if (new Set(vs.map((v) => v.position)).size < 2) return [];
    const mean = summarize(vs.map((v) => v.value)).mean;
    if (mean === 0 || !Number.isFinite(mean)) return [];
    return vs.map((v) => ({ ...v, relative: v.value / mean }));
  });
}

/** Relative values grouped by position: each position's mean (minus 1), its standard error and n. */
export function byPosition(
  values: readonly { position: number; relative: number }[],
): AtPosition[] {
  const at = new Map<number, number[]>();
  for (const v of values) {
    if (!at.has(v.position)) at.set(v.position, []);
    at.get(v.position)!.push(v.relative);
  }
  return [...at.entries()]
    .sort(([a], [b]) => a - b)
    .map(([position, rs]) => {
      const s = summarize(rs);
      return {
        position,
        n: s.n,
        relative: s.mean - 1,
        stderr: s.n < 2 ? NaN : s.stdev / Math.sqrt(s.n),
      };
    });
}

/** A trial's target as the order effect normalizes it: its own mean on its side (harness or plain). */
const sideTarget = (p: Placed) => `${p.side} ${p.target}`;

/**
 * Per benchmark and headline metric, in the order first seen: each target's
 * trials at each position relative to that target's mean, and the same pooled
 * over the targets. A target measured on both sides is normalized by each
 * side's mean apart (the harness may shift a target's level; the position
 * effect is what is left within a side).
 *
 * A target's positions come from different rounds, so a drift of the machine
 * over the rounds shows in its own figures too. The pooled ones are free of it
 * when every target ran every round: each round holds every position once, so
 * each position's trials come from every round alike.
 */
export function orderEffects(placed: readonly Placed[]): OrderEffect[] {
  const byMetric = new Map<string, Placed[]>();
  for (const p of placed) {
    const k = `${p.benchmark} ${p.metric}`;
    if (!byMetric.has(k)) byMetric.set(k, []);
    byMetric.get(k)!.push(p);
  }
  return [...byMetric.values()].map((ps) => {
    const rel = relativeToMean(ps, sideTarget);
    const targets = [...new Set(ps.map((p) => p.target))];
    const { benchmark, metric, unit, direction } = ps[0];
    return {
      benchmark,
      metric,
      unit,
      direction,
      targets: targets.map((target) => ({
        target,
        positions: byPosition(rel.filter((r) => r.target === target)),
      })),
      pooled: byPosition(rel),
    };
  });
}

/**
 * Every headline metric of every benchmark at once, as better (+) or worse
 * (-) than its target's mean: value / mean for a higher-is-better metric,
 * mean / value for a lower-is-better one (as compare() orients a ratio). Its n
 * counts values, several per trial where a benchmark has several headline
 * metrics, so its standard error is too small by about the square root of that.
 */
export function orderOverall(placed: readonly Placed[]): AtPosition[] {
  const rel = relativeToMean(placed, (p) => `${sideTarget(p)} ${p.benchmark} ${p.metric}`);
  return byPosition(
    rel
      // A lower-is-better value of 0 (or below) has no inverse.
      .filter((r) => r.direction === "higher" || r.relative > 0)
      .map((r) => ({
        position: r.position,
        relative: r.direction === "higher" ? r.relative : 1 / r.relative,
      })),
  );
}
