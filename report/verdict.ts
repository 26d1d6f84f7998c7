/**
 * A comparison with bare metal (or of run B with run A) in words a reader can
 * trust: "5.1% slower (95% CI 4.2–6.0%, 8 v 8 trials)", "no difference found
 * (95% CI −1.2 to +0.9%, 3 v 3 trials)", "one trial each: no uncertainty".
 *
 * It says what the run decided (components/results/stats.ts compare) and
 * decides nothing itself: the verdict, the interval and the tool versions are
 * the archive's. Runs archived before intervals have only `withinNoise` (the
 * trials' ranges overlapped); they say so, "(old run: no confidence interval)",
 * and no interval is made up for them. A one-trial side is never a loss or a
 * win, whatever an old run's rule said.
 */
import { bounded } from "./input";

/** A table cell's tone in HTML: slower, faster, no difference, or nothing to colour. */
export type Tone = "noise" | "loss" | "win" | "muted";

/**
 * A comparison as the report reads it: every run has the percentage and the
 * loss; runs with intervals have the rest, runs before them `withinNoise`.
 * Optional throughout, so archives of either age (and the schema as it grows)
 * read the same.
 */
export interface Judged {
  percentOfBaseline: number;
  lossPercent: number;
  /** Old runs only: the trials' ranges overlapped, or the medians differed by less than the spread. */
  withinNoise?: boolean;
  /** The interval of percentOfBaseline (same orientation: below 100 slower); null when a side has one trial. */
  ci?: { low: number; high: number } | null;
  /** 0.95. */
  level?: number;
  /** How many metrics the level holds for together (family-wise). */
  family?: number;
  pValue?: number | null;
  verdict?: string;
  method?: string;
  /** Present only when the two sides ran different versions of the tool. */
  toolVersions?: { target: string; baseline: string };
  /** False when the two sides' trials did not take turns in one run (older runs lack it). */
  interleaved?: boolean;
}

export type Kind =
  | "slower"
  | "faster"
  | "no difference"
  | "no uncertainty"
  | "not comparable"
  /** An old run's rule, without an interval. */
  | "within noise";

export interface Judgement {
  kind: Kind;
  /** Archived before intervals: the words say so. */
  old: boolean;
  tone: Tone;
  /** The verdict in words, the tool-version flag first when there is one. */
  text: string;
  /** The verdict in words alone, without the flag. */
  words: string;
  /** A chart's label above the bar: "95%", "≈" (no difference), "n=1" (no uncertainty). */
  short: string;
  /**
   * What to know before trusting the verdict: "⚠ different tool versions:
   * 3.0.19 vs 3.0.22", "⚠ not interleaved with bare metal …", or both.
   */
  flag?: string;
}

/** How many trials each side had, where known: "8 v 8 trials". */
export interface Sides {
  target?: number;
  baseline?: number;
}

/** "95%" for 0.95. */
export const levelText = (level: number): string => `${+(level * 100).toFixed(2)}%`;

/** A percentage the way the tables print one: "12.3%", "5.1%", "0.42%". */
export function formatPercent(p: number): string {
  // readRun refuses the values that make one (negative, infinite); printing "NaN%" would be a wrong number.
  if (!Number.isFinite(p)) throw new Error(`a percentage came out as ${p}`);
  return `${p >= 10 ? p.toFixed(1) : p.toPrecision(2)}%`;
}

/** Decimals (1 to 3) enough to tell two ends of an interval apart. */
function decimals(a: number, b: number): number {
  for (let d = 1; d < 3; d++) if (a === b || a.toFixed(d) !== b.toFixed(d)) return d;
  return 3;
}

const minus = "\u2212";
const signed = (x: number, d: number) => {
  const s = Math.abs(x).toFixed(d);
  return Number(s) === 0 ? s : `${x < 0 ? minus : "+"}${s}`;
};

/** "4.2–6.0%": an interval of magnitudes, both ends of one sign. */
function span(a: number, b: number): string {
  const [lo, hi] = a <= b ? [a, b] : [b, a];
  const d = decimals(lo, hi);
  const text = (x: number) => (x < 0 ? `${minus}${Math.abs(x).toFixed(d)}` : x.toFixed(d));
  return `${text(lo)}–${text(hi)}%`;
}

/** "−1.2 to +0.9%": an interval of changes, signed (negative slower). */
function signedSpan(a: number, b: number): string {
  const d = decimals(a, b);
  return `${signed(a, d)} to ${signed(b, d)}%`;
}

function trialsText(s: Sides): string | undefined {
  return s.target !== undefined && s.baseline !== undefined
    ? `${s.target} v ${s.baseline} trials`
    : undefined;
}

/** Where each side's trials are, in words: "here" and "on bare metal", or "in B" and "in A". */
export interface SideNames {
  target: string;
  baseline: string;
}

/** Why a comparison has no uncertainty, in words: "one trial each", "one trial on bare metal (3 here)". */
function oneTrialText(s: Sides, names: SideNames): string {
  if (s.target === 1 && s.baseline === 1) return "one trial each: no uncertainty";
  if (s.baseline === 1) {
    return `one trial ${names.baseline}${s.target !== undefined ? ` (${s.target} ${names.target})` : ""}: no uncertainty`;
  }
  if (s.target === 1) {
    return `one trial ${names.target}${s.baseline !== undefined ? ` (${s.baseline} ${names.baseline})` : ""}: no uncertainty`;
  }
  return "no uncertainty (a side has one trial)";
}

/**
 * Trials that did not take turns: drift between the two runs (another boot,
 * another hour) is in the difference and not in its interval.
 */
export const NOT_INTERLEAVED =
  "⚠ not interleaved with bare metal (separate runs: drift between them is not in the interval)";

/** "⚠ different tool versions: 3.0.19 vs 3.0.22" (this side's first), bounded in length. */
export function toolVersionFlag(v: { target: string; baseline: string }): string {
  return `⚠ different tool versions: ${bounded(v.target, 80)} vs ${bounded(v.baseline, 80)}`;
}

export interface JudgeOptions {
  /** How many trials each side had (the metric's, bare metal's). */
  sides?: Sides;
  /** The tool versions when the sides differ and the comparison does not record them (old runs). */
  toolVersions?: { target: string; baseline: string };
  /** Where each side's trials are: "here" and "on bare metal" (default), or "in B" and "in A" for two runs. */
  names?: SideNames;
}

/**
 * A comparison in words. The verdict is the run's: "slower"/"faster" only
 * where its interval excludes no change; an old run's "within noise" is
 * quoted as such, without an interval; a side with one trial has no
 * uncertainty and is never coloured as a loss or a win.
 */
export function judge(c: Judged, o: JudgeOptions = {}): Judgement {
  const sides = o.sides ?? {};
  const names = o.names ?? { target: "here", baseline: "on bare metal" };
  const trials = trialsText(sides);
  // Rounded, not cut: 94.9% is "95%" above a bar.
  const pct =
    c.percentOfBaseline >= 10
      ? `${Math.round(c.percentOfBaseline)}%`
      : formatPercent(c.percentOfBaseline);
  const versions = c.toolVersions ?? o.toolVersions;
  const flags = [
    ...(versions ? [toolVersionFlag(versions)] : []),
    ...(c.interleaved === false ? [NOT_INTERLEAVED] : []),
  ];
  const flag = flags.length > 0 ? flags.join("; ") : undefined;
  const done = (j: Omit<Judgement, "flag" | "words">): Judgement => ({
    ...j,
    words: j.text,
    text: flag ? `${flag}; ${j.text}` : j.text,
    short: flag ? `⚠${j.short}` : j.short,
    ...(flag ? { flag } : {}),
  });
  const amount = (loss: number) =>
    loss > 0 ? `${formatPercent(loss)} slower` : `${formatPercent(-loss)} faster`;
  const oneTrial = sides.target === 1 || sides.baseline === 1;
  // One trial on a side: no interval, never coloured, whatever the run called it.
  const noUncertainty = (old: boolean) =>
    done({
      kind: "no uncertainty",
      old,
      tone: "muted",
      text: oneTrialText(sides, names),
      short: "n=1",
    });

  if (c.verdict === undefined) {
    // Archived before intervals: the old rule's words, and no interval.
    if (oneTrial) {
      return noUncertainty(true);
    }
    if (c.withinNoise !== false) {
      return done({
        kind: "within noise",
        old: true,
        tone: "noise",
        text: "within noise (old run: no confidence interval)",
        short: "≈",
      });
    }
    return done({
      kind: c.lossPercent > 0 ? "slower" : "faster",
      old: true,
      tone: c.lossPercent > 0 ? "loss" : "win",
      text: `${amount(c.lossPercent)} (old run: no confidence interval)`,
      short: pct,
    });
  }

  const level = levelText(c.level ?? 0.95);
  const ci = c.ci ?? undefined;
  // Identical trials on each side: the run's interval is the point itself, said in words.
  const point = ci !== undefined && ci.low === ci.high;
  const detail = (interval: string | undefined) =>
    [point ? "no variance on either side" : interval && `${level} CI ${interval}`, trials]
      .filter(Boolean)
      .join(", ");
  const paren = (s: string) => (s ? ` (${s})` : "");
  switch (c.verdict) {
    case "slower":
    case "faster": {
      // A verdict the run reached with one trial would be a wrong one: it is never coloured.
      if (oneTrial) {
        return noUncertainty(false);
      }
      const slower = c.verdict === "slower";
      const interval = ci
        ? slower
          ? span(100 - ci.high, 100 - ci.low)
          : span(ci.low - 100, ci.high - 100)
        : undefined;
      return done({
        kind: c.verdict,
        old: false,
        tone: slower ? "loss" : "win",
        text: `${amount(c.lossPercent)}${paren(detail(interval) || "no interval")}`,
        short: pct,
      });
    }
    case "no difference found":
      return done({
        kind: "no difference",
        old: false,
        tone: "noise",
        text: `no difference found${paren(detail(ci ? signedSpan(ci.low - 100, ci.high - 100) : undefined))}`,
        short: "≈",
      });
    case "no uncertainty":
      return noUncertainty(false);
    case "not comparable":
      return done({
        kind: "not comparable",
        old: false,
        tone: "muted",
        text: `not comparable${c.method ? `: ${bounded(c.method, 120)}` : ""}`,
        short: "",
      });
    default:
      // A verdict this report does not know: shown as written, coloured as nothing.
      return done({
        kind: "not comparable",
        old: false,
        tone: "muted",
        text: bounded(c.verdict, 120),
        short: "",
      });
  }
}
