/**
 * The analysis of npm run bench:calibrate (scripts/bench-calibrate.ts): pure,
 * given the benchmark's outcomes in the calibration containers.
 *
 * The containers run one CPU-bound benchmark under known CFS quotas (q100,
 * q95, q90, ... percent of the one CPU they are pinned to), so the true effect
 * of each quota is known: a container held to q% of the CPU gets q% of the
 * CPU time a q100 container gets, and a benchmark that counts work per
 * wall-clock second does q% of the work. The tool's own comparison
 * (components/results/stats.ts compare, the same as against bare metal) of qN
 * with q100 must then find it "slower", with q inside its interval. Two
 * containers with the same settings (the A/A pair aa1, aa2) must come out as
 * "no difference found".
 */
import type { BenchmarkOutcome, Results } from "../components/results/schema";
import { compare, summarize } from "../components/results/stats";
import { busyText, comparisonFamily } from "../components/results/summarize";
import type { Verdict } from "../components/results/stats";

/** The reference quota: a container that may use all of its one CPU. */
export const referenceQuota = 100;

/** The A/A criterion: at least this fraction of the A/A metrics "no difference found". */
export const aaThreshold = 0.95;

/** What was run: the quotas (the reference among them) and the A/A guests, by configured name. */
export interface CalibrationPlan {
  /** Percent of one CPU; 100 is the reference. */
  quotas: number[];
  /** The A/A guests; each after the first is compared with the first. */
  aa: string[];
  /**
   * The benchmark: its comparisons share the tool's family (its headline
   * metrics, comparisonFamily). Without it (synthetic metrics), every metric
   * compared is one family.
   */
  benchmark?: string;
}

export const quotaGuest = (q: number) => `q${q}`;
export const aaGuests = (n: number) => Array.from({ length: n }, (_, i) => `aa${i + 1}`);

export interface Row {
  kind: "quota" | "aa";
  /** "q95 vs q100", "aa2 vs aa1". */
  comparison: string;
  /** The metric's key (components/results/summarize.ts metricKey). */
  metric: string;
  unit: string;
  /** What the tool should find, as percentOfBaseline: the quota, or 100 for A/A. */
  expectedPercent: number;
  /** The tool's percentOfBaseline; null when the metric is missing on a side. */
  measuredPercent: number | null;
  ci: { low: number; high: number } | null;
  verdict: Verdict | "missing";
  pValue: number | null;
  family: number;
  /** Quota: found "slower" (the effect, with its sign). A/A: "no difference found". */
  found: boolean;
  /** The expected percentage inside the interval; false without an interval. */
  covered: boolean;
  /** Quota: found and covered. A/A: found. */
  pass: boolean;
  /** Why a metric could not be compared. */
  note?: string;
}

export interface Criterion {
  /** What it asks, in words. */
  name: string;
  passed: number;
  total: number;
  /** passed / total; NaN with no rows. */
  fraction: number;
  pass: boolean;
  /** The counts behind the verdict. */
  detail: string;
}

export interface QuotaSummary {
  quota: number;
  comparison: string;
  total: number;
  /** Found "slower". */
  found: number;
  /** The quota inside the interval. */
  covered: number;
  passed: number;
}

export interface Calibration {
  rows: Row[];
  quotas: QuotaSummary[];
  criteria: {
    /** (a) every quota effect found with the right sign, the true value in its interval. */
    quota: Criterion;
    /** (b) A/A: "no difference found" on at least 95% of the metrics. */
    aa: Criterion | null;
  };
  /** Guests whose outcome is missing, failed or partial, and the like. */
  problems: string[];
}

/** Checks a plan: whole quotas of 1 to 100 percent, the reference and one other among them, no guest twice. */
export function checkPlan(plan: CalibrationPlan): void {
  for (const q of plan.quotas) {
    if (!Number.isInteger(q) || q < 1 || q > referenceQuota) {
      throw new Error(`quota ${q}: a whole percent of one CPU from 1 to ${referenceQuota}`);
    }
  }
  if (new Set(plan.quotas).size !== plan.quotas.length) throw new Error("a quota twice");
  if (!plan.quotas.includes(referenceQuota)) {
    throw new Error(`no reference quota ${referenceQuota} among ${plan.quotas.join(", ")}`);
  }
  if (!plan.quotas.some((q) => q < referenceQuota)) {
    throw new Error(`no quota below ${referenceQuota}: nothing to find`);
  }
  if (plan.aa.length === 1) throw new Error("one A/A guest: an A/A comparison needs two");
  if (new Set(plan.aa).size !== plan.aa.length) throw new Error("an A/A guest twice");
}

/** What bench:calibrate stands up. */
export interface CalibrationSetup {
  server: string;
  plan: CalibrationPlan;
  /** The one CPU every calibration container is pinned to. */
  cpu: number;
  benchmark: string;
  profile: "quick" | "full";
  /** Trials per run; undefined: the tool's default. */
  repeats?: number;
}

/**
 * The throwaway stack's config (the stack file's `config:`): this machine
 * with bare metal and the calibration containers. Every container is pinned
 * to the same single CPU (cpus): a quota is a share of one CPU's time, so a
 * container that may only run on that CPU gets exactly q% of what q100 gets,
 * whatever the benchmark's threads (unpinned, a two-thread benchmark on a
 * 2-CPU host would get two CPUs' time without a quota and one under a 100%
 * quota, and a quota would not be the fraction it says). The A/A pair has the
 * same pin, so that it differs in nothing but being two containers. No KVM
 * guest: none is needed, and its vCPU thread would not share the pin.
 */
export function calibrationConfig(s: CalibrationSetup) {
  checkPlan(s.plan);
  const pinned = (name: string, quota?: number) => ({
    name,
    cpus: String(s.cpu),
    ...(quota === undefined ? {} : { cpuQuotaPercent: quota }),
  });
  return {
    config: {
      "testbed:benchmarks": [
        // The tool's own repeat and precision settings, unless asked otherwise.
        {
          id: s.benchmark,
          profile: s.profile,
          ...(s.repeats === undefined ? {} : { repeats: s.repeats }),
        },
      ],
      "testbed:servers": [
        {
          name: s.server,
          connection: { type: "local" },
          profile: "auto",
          platforms: [
            { type: "baseline" },
            {
              type: "lxc",
              guests: [
                ...[...s.plan.quotas].sort((a, b) => b - a).map((q) => pinned(quotaGuest(q), q)),
                ...s.plan.aa.map((g) => pinned(g)),
              ],
            },
          ],
        },
      ],
    },
  };
}

/** One benchmark's outcomes by configured guest name, from the stack's `results` output. */
export function outcomesOf(
  results: Results,
  server: string,
  benchmark: string,
  /** Configured guest name -> its name in the results (the container's object name). */
  objectNames: Record<string, string>,
): Record<string, BenchmarkOutcome | undefined> {
  const lxc = results[server]?.lxc ?? {};
  return Object.fromEntries(Object.entries(objectNames).map(([g, o]) => [g, lxc[o]?.[benchmark]]));
}

/** A guest's outcome as usable, or why not. */
function usable(name: string, o: BenchmarkOutcome | undefined, problems: string[]) {
  if (o === undefined) {
    problems.push(`${name}: no result (the container or its run failed)`);
    return undefined;
  }
  if (o.status !== "ok") problems.push(`${name}: ${o.status}${o.message ? `: ${o.message}` : ""}`);
  // The quotas' true values hold only on a CPU with nothing else to run.
  const busy = busyText(o.trials);
  if (busy) problems.push(`${name}: ${busy}`);
  return o.status === "failed" ? undefined : o;
}

/**
 * Each metric of `platform` against `reference` with the tool's compare(), in
 * the tool's family (components/results/summarize.ts comparisonFamily: the
 * headline metrics among those both sides have, neither median zero).
 */
function compareOutcomes(
  benchmark: string | undefined,
  kind: Row["kind"],
  names: { platform: string; reference: string },
  platform: BenchmarkOutcome | undefined,
  reference: BenchmarkOutcome | undefined,
  expectedPercent: number,
): Row[] {
  const comparison = `${names.platform} vs ${names.reference}`;
  const keys = [
    ...new Set([...Object.keys(reference?.metrics ?? {}), ...Object.keys(platform?.metrics ?? {})]),
  ].sort();
  const comparable = keys.filter((k) => {
    const p = platform?.metrics[k];
    const r = reference?.metrics[k];
    return p !== undefined && r !== undefined && p.median !== 0 && r.median !== 0;
  });
  const family =
    benchmark === undefined
      ? comparable.length
      : comparisonFamily(benchmark, comparable, (k) => (platform ?? reference)!.metrics[k].labels);
  return keys.map((metric): Row => {
    const p = platform?.metrics[metric];
    const r = reference?.metrics[metric];
    const base = { kind, comparison, metric, unit: (p ?? r)?.unit ?? "", expectedPercent, family };
    if (!comparable.includes(metric)) {
      const note = !p
        ? `not measured in ${names.platform}`
        : !r
          ? `not measured in ${names.reference}`
          : "a median of zero";
      return {
        ...base,
        measuredPercent: null,
        ci: null,
        verdict: "missing",
        pValue: null,
        found: false,
        covered: false,
        pass: false,
        note,
      };
    }
    // Summaries made again from the trials, as the tool makes them.
    const c = compare(summarize(p!.trials), summarize(r!.trials), p!.direction, family);
    const covered = c.ci !== null && c.ci.low <= expectedPercent && expectedPercent <= c.ci.high;
    const found = kind === "quota" ? c.verdict === "slower" : c.verdict === "no difference found";
    return {
      ...base,
      measuredPercent: c.percentOfBaseline,
      ci: c.ci,
      verdict: c.verdict,
      pValue: c.pValue,
      found,
      covered,
      pass: kind === "quota" ? found && covered : found,
    };
  });
}

const fraction = (passed: number, total: number) => (total === 0 ? NaN : passed / total);

/** The calibration's rows, per-quota counts and criteria. */
export function analyzeCalibration(
  /** The benchmark's outcome by configured guest name (q100, q95, aa1, ...). */
  outcomes: Record<string, BenchmarkOutcome | undefined>,
  plan: CalibrationPlan,
): Calibration {
  checkPlan(plan);
  const problems: string[] = [];
  const get = (g: string) => usable(g, outcomes[g], problems);
  const refName = quotaGuest(referenceQuota);
  const ref = get(refName);
  const rows: Row[] = [];
  const quotas: QuotaSummary[] = [];
  for (const q of [...plan.quotas].filter((x) => x !== referenceQuota).sort((a, b) => b - a)) {
    const name = quotaGuest(q);
    const r = compareOutcomes(
      plan.benchmark,
      "quota",
      { platform: name, reference: refName },
      get(name),
      ref,
      q,
    );
    rows.push(...r);
    quotas.push({
      quota: q,
      comparison: `${name} vs ${refName}`,
      total: r.length,
      found: r.filter((x) => x.found).length,
      covered: r.filter((x) => x.covered).length,
      passed: r.filter((x) => x.pass).length,
    });
  }
  if (plan.aa.length > 0) {
    const [first, ...rest] = plan.aa;
    const a = get(first);
    for (const g of rest) {
      rows.push(
        ...compareOutcomes(plan.benchmark, "aa", { platform: g, reference: first }, get(g), a, 100),
      );
    }
  }

  const quotaRows = rows.filter((r) => r.kind === "quota");
  const qPassed = quotaRows.filter((r) => r.pass).length;
  const quota: Criterion = {
    name: "every quota effect found (slower) with the true value in its interval",
    passed: qPassed,
    total: quotaRows.length,
    fraction: fraction(qPassed, quotaRows.length),
    pass: quotaRows.length > 0 && qPassed === quotaRows.length,
    detail:
      `${quotaRows.filter((r) => r.found).length}/${quotaRows.length} found slower, ` +
      `${quotaRows.filter((r) => r.covered).length}/${quotaRows.length} with the quota in the interval, ` +
      `${qPassed}/${quotaRows.length} both` +
      (quotaRows.some((r) => r.verdict === "faster")
        ? `; ${quotaRows.filter((r) => r.verdict === "faster").length} found faster (the wrong sign)`
        : ""),
  };
  const aaRows = rows.filter((r) => r.kind === "aa");
  const aaPassed = aaRows.filter((r) => r.pass).length;
  const aa: Criterion | null =
    plan.aa.length === 0
      ? null
      : {
          name: `A/A: "no difference found" on at least ${aaThreshold * 100}% of the metrics`,
          passed: aaPassed,
          total: aaRows.length,
          fraction: fraction(aaPassed, aaRows.length),
          pass: aaRows.length > 0 && aaPassed / aaRows.length >= aaThreshold,
          detail:
            `${aaPassed}/${aaRows.length} no difference found` +
            (aaPassed < aaRows.length
              ? ` (others: ${[...new Set(aaRows.filter((r) => !r.pass).map((r) => r.verdict))].join(", ")})`
              : ""),
        };
  return { rows, quotas, criteria: { quota, aa }, problems };
}
