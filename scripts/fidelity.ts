// Fidelity, for bench:harness: does measuring through the harness change what
// is measured? A metric's median through the harness against the plain
// script's, judged against the trials' own spread. Over several rounds the
// trials are pooled (the rounds alternate which side runs first, so a machine
// drifting over a round widens both sides' spread instead of favouring one),
// and the sign of each round's difference is counted: an effect of the harness
// shows as the same sign in every round, whichever side ran first.
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
