/**
 * What a benchmark run's Command is, read from its recorded `step` (and an
 * interleaved run's `rounds`): which benchmark, on which targets. The tools
 * that act on a stack's runs after the fact (npm run measure, bench:harness)
 * find runs by it in `pulumi stack export`.
 */
import type { Rounds } from "../command-provider";
import { envNames } from "./protocol";

/** A benchmark step, as the plain script replays it and both sides' outputs are read. */
export type BenchmarkStep =
  | {
      kind: "interleaved";
      benchmark: string;
      /** Its targets by section number (rounds.targets), each with its unit (VTB_U<u>_TARGETS). */
      targets: { key: string; section: number; unit: number }[];
      /** The order of each round that ran (rounds.order, the first roundsRun). */
      orders: string[];
    }
  | { kind: "alone"; benchmark: string; target: string; repeats: number };

/** An interleaved run's step: "local: openssl-speed on 3 targets, interleaved (3 rounds)". */
export const interleavedStep = /^.+?: (\S+) on \d+ targets?, interleaved \(/;

const unitTargets = new RegExp(`^${envNames.unit}(\\d+)_TARGETS$`);

/**
 * What a benchmark step is: an interleaved run ("local: openssl-speed on 3
 * targets, interleaved (3 rounds)", with its `rounds`) or a run alone
 * ("local/lxc/ct: openssl-speed (3 trials)", a pair's "... from <client> (3 trials)").
 */
export function benchmarkStep(s: {
  step: string;
  environment?: Record<string, string>;
  rounds?: Rounds;
  roundsRun?: number;
}): BenchmarkStep {
  if (s.rounds) {
    const m = interleavedStep.exec(s.step);
    if (!m) throw new Error(`not an interleaved benchmark step: ${s.step}`);
    const unitOf = new Map<number, number>();
    for (const [name, value] of Object.entries(s.environment ?? {})) {
      const u = unitTargets.exec(name);
      if (!u) continue;
      for (const t of value.split(" ").filter((x) => x !== "")) unitOf.set(Number(t), Number(u[1]));
    }
    const keys = s.rounds.targets;
    if (!keys) throw new Error(`${s.step}: its rounds name no targets`);
    const targets = keys.map((key, section) => {
      const unit = unitOf.get(section);
      if (unit === undefined) throw new Error(`${s.step}: no unit has section ${section} (${key})`);
      return { key, section, unit };
    });
    return {
      kind: "interleaved",
      benchmark: m[1],
      targets,
      orders: s.rounds.order.slice(0, s.roundsRun ?? 0),
    };
  }
  const m = /^(\S+): (\S+)(?: from \S+)? \((\d+) trials\)$/.exec(s.step);
  if (!m) throw new Error(`not a benchmark step: ${s.step}`);
  return { kind: "alone", target: m[1], benchmark: m[2], repeats: Number(m[3]) };
}
