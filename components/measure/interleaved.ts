import * as pulumi from "@pulumi/pulumi";
import { BenchmarkModule, PairSpec } from "../../benchmarks/types";
import { Command, exportLines } from "../command";
import type { Precision } from "./precision-schema";
import { reportFailure } from "../failure";
import {
  definitionOf,
  Measured,
  measuredBy,
  rerunPattern,
  runner,
  runWarnings,
  trialsFrom,
} from "./run";
import { programProvenance } from "./provenance";
import { targetTrials } from "./interleaved-output";
import { roundOrders, OrderMethod } from "./order";
import { pairServerExports, pairUp } from "./pairing";
import { envNames, runnerHandOver, wayFields, wayVariable } from "./protocol";
import { Target, targetKey } from "./target";
import { Trial } from "./trials";
import { wayEnv, wayInto, withoutKeys, withWayIn } from "./way-in";
import type { StopArgs } from "./precision";
import { BUSY_CPUS } from "../results/summarize";
import { hostStateScript } from "../server/host-state";
import { streamDir } from "./live";

/**
 * What takes one turn in a round: one target, a pair (its server in the
 * target, its client on the server's side), or a concurrent group's guests
 * all at once.
 */
export type Unit =
  | { kind: "run"; target: Target }
  | { kind: "pair"; target: Target }
  | { kind: "group"; targets: Target[] };

export const unitTargets = (u: Unit) => (u.kind === "group" ? u.targets : [u.target]);

/** How the physical server gets into a target to run a unit there; undefined: it cannot. */
export const wayIntoTarget = (t: Target) =>
  t.platform === "baseline" ? ({ via: "host" } as const) : wayInto(t);

export interface InterleavedRunArgs {
  units: Unit[];
  module: BenchmarkModule;
  params: unknown;
  /** The fixed count, or with a precision the fewest rounds. */
  repeats: number;
  precision?: Precision;
  order: { method: OrderMethod; seed: string };
  trialTimeoutSeconds: number;
  /** Every guest of the server: those with a way to pause them are paused while another unit runs. */
  guests: Target[];
  /** The guests keep running (a measurement under load). */
  background: boolean;
  /**
   * Bare metal on its plain kernel, before a platform reboots the server into
   * Xen: a round that finds the server in dom0 (the run made again after the
   * reboot) measures nothing and fails, saying so.
   */
  plainKernel?: boolean;
  pair?: PairSpec;
  /** The runs before this one on the server. */
  after: pulumi.Resource[];
  serverConnection?: Target["connection"];
  /** The stack, for the folder the rounds stream to (results/<stack>/trials/). */
  stack: string;
}

const interleaveScript = withWayIn("interleave.sh");
/**
 * How long a turn waits for other work on the host to fall under BUSY_CPUS
 * (the program's own start, a step ending) before it starts anyway; a host
 * busy that long is busy with someone else's work, and it is recorded.
 */
const QUIET_WAIT_SECONDS = 10;
const unitVar = (u: number, name: string) => `${envNames.unit}${u}_${name}`;

/** The guests a unit's turn pauses not: its own targets (and a pair's client guest). */
function pauseEnv(guests: Target[]): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = { [envNames.quiet]: String(guests.length) };
  guests.forEach((g, k) => {
    const q = `${envNames.quietGuest}${k}`;
    const p = g.pause!;
    env[wayVariable(q, wayFields.via)] = p.via;
    env[wayVariable(q, wayFields.name)] = p.via === "openvz" ? String(p.ctid) : p.name;
    if (p.via === "lxc") env[wayVariable(q, wayFields.lxcpath)] = p.lxcpath;
    env[`${q}_LABEL`] = targetKey(g);
  });
  return env;
}

/**
 * One benchmark on every target of a physical server, interleaved: round
 * after round, each unit runs one trial, in an order drawn from the seed
 * (order.ts), with the server's other guests paused (interleave.sh). One
 * Command on the server whose rounds the provider drives: a fixed count, or
 * until the results are as precise as asked (precision.ts). Each target's
 * trials are read from the sections numbered by its place in `targets`.
 *
 * One step, so a second `up` with nothing changed measures nothing, and a
 * failed trial anywhere reruns the whole interleaved run (never a target
 * alone, which would be measured in another order).
 */
export class InterleavedRun {
  public readonly command: Command;
  /** Per target, in section order: what index.ts reads of each. */
  public readonly members: { target: Target; run: Measured }[];

  constructor(name: string, args: InterleavedRunArgs, opts: { parent: pulumi.Resource }) {
    const { units, module: m, pair } = args;
    const targets = units.flatMap(unitTargets);
    const unitOf = units.flatMap((u, i) => unitTargets(u).map(() => i));
    const trial = {
      ...m.environment(args.params),
      [envNames.trials]: "1",
      [envNames.trialFirst]: "1",
      [envNames.trialTimeout]: String(args.trialTimeoutSeconds),
      [envNames.benchScript]: m.script,
    };
    const paramsOf: unknown[] = [];
    const clientOf: (string | undefined)[] = [];
    const quiet = args.guests.filter((g) => g.pause);
    const ways: Record<string, pulumi.Input<string>> = {};
    const env: Record<string, pulumi.Input<string>> = {};
    units.forEach((u, i) => {
      const ts = unitTargets(u);
      const first = targets.indexOf(ts[0]);
      env[unitVar(i, "TARGETS")] = ts.map((_, j) => String(first + j)).join(" ");
      const keep = ts.map((t) => quiet.findIndex((g) => targetKey(g) === targetKey(t)));
      // A target that did not come up sits its turns out; when it comes up, the run reruns.
      const down = pulumi.all(ts.map((t) => t.failure ?? "")).apply((fs) => fs.some((f) => f));
      if (u.kind === "pair") {
        const port = pair!.port(args.params);
        const p = pairUp(u.target, port, undefined);
        const client = pair!.withAddress(args.params, p.connect.host, p.connect.port);
        paramsOf.push(client);
        clientOf.push(p.clientKey);
        Object.assign(
          ways,
          wayEnv(unitVar(i, "SERVER"), p.server),
          wayEnv(unitVar(i, "CLIENT"), p.client),
        );
        env[unitVar(i, "PAIR_SERVER_SCRIPT")] = pair!.serverScript;
        env[unitVar(i, "PAIR_SERVER_EXPORTS")] = pairServerExports(
          m,
          pair!,
          args.params,
          u.target,
          p,
        );
        env[unitVar(i, "EXPORTS")] = exportLines(m.environment(client));
      } else {
        ts.forEach(() => {
          paramsOf.push(args.params);
          clientOf.push(undefined);
        });
        ts.forEach((t, j) => {
          const way = wayIntoTarget(t);
          if (!way) throw new Error(`${targetKey(t)}: the server cannot enter this target`);
          Object.assign(ways, wayEnv(unitVar(i, u.kind === "group" ? `G${j}` : "IN"), way));
        });
        if (u.kind === "group") env[unitVar(i, "GROUP_SIZE")] = String(ts.length);
      }
      env[unitVar(i, "KIND")] = down.apply((d) => (d ? "down" : u.kind));
      env[unitVar(i, "KEEP")] = keep.filter((k) => k >= 0).join(" ");
    });
    Object.assign(env, pauseEnv(quiet), {
      [envNames.background]: args.background ? "1" : "0",
      ...(args.plainKernel ? { [envNames.plainKernel]: "1" } : {}),
      [envNames.quietBelow]: String(BUSY_CPUS),
      [envNames.quietWait]: String(QUIET_WAIT_SECONDS),
      // Another stack's turn is one trial: waited out up to a trial's own time.
      [envNames.measureWait]: String(args.trialTimeoutSeconds),
    });
    const allEnv = {
      ...trial,
      ...runnerHandOver(runner, trial, { ...ways, ...env }),
      ...env,
      ...ways,
    };

    const most = args.precision?.maxRepeats ?? args.repeats;
    const fewest = args.precision?.minRepeats ?? args.repeats;
    const orders = roundOrders(units.length, most, args.order.method, args.order.seed);
    const keys = targets.map(targetKey);
    const stop: StopArgs | undefined = args.precision && {
      benchmark: m.id,
      targets: targets.map((t, i) => ({
        server: t.server,
        platform: t.platform,
        guest: t.guest,
        unit: unitOf[i],
        params: paramsOf[i],
      })),
      percent: args.precision.percent,
    };
    const server = targets[0].server;
    const howMany = args.precision
      ? `${fewest}-${most} rounds to ±${args.precision.percent}%`
      : `${most} rounds`;
    this.command = new Command(
      `${name}-trials`,
      {
        step: `${server}: ${m.id} on ${keys.length} targets, interleaved (${howMany})`,
        // vtb_owned_dir: the server's lock directory, root's (interleave.sh measure_lock).
        prelude: hostStateScript,
        create: interleaveScript,
        environment: allEnv,
        connection: args.serverConnection,
        triggers: [definitionOf([m.id, interleaveScript, withoutKeys(allEnv), keys])],
        rounds: {
          order: orders.map((o) => o.join(" ")),
          min: fewest,
          targets: keys,
          ...(stop ? { stop: { module: "components/measure/precision", args: stop } } : {}),
        },
        streamTo: { dir: streamDir(args.stack), name },
        progress: {
          benchmark: m.id,
          params: args.params,
          total: most,
          counts: "round",
          units: units.map((u) => ({
            name: unitTargets(u).map(targetKey).join("+"),
            params: paramsOf[targets.indexOf(unitTargets(u)[0])],
          })),
        },
        // A round: every unit's trial, each to its timeout after waiting up to
        // as long for another stack's turn, and the pauses around them.
        timeoutSeconds: units.length * (2 * args.trialTimeoutSeconds + 60) + 120,
        rerunIfStdoutMatches: rerunPattern,
        failSoftly: true,
        provenance: programProvenance(),
      },
      {
        parent: opts.parent,
        dependsOn: [...new Set([...targets.flatMap((t) => t.ready), ...args.after])],
        // The environment carries the guests' SSH keys.
        additionalSecretOutputs: ["environment"],
      },
    );
    const c = this.command;
    const schedule = c.roundsRun.apply((n) => ({
      seed: args.order.seed,
      method: args.order.method,
      rounds: orders
        .slice(0, n ?? 0)
        .map((o) => o.flatMap((u) => unitTargets(units[u]).map(targetKey))),
    }));
    const measured = measuredBy(c);
    const downs = pulumi.all(targets.map((t) => t.failure ?? ""));
    const all = pulumi.all([c.stdout, c.failure, c.roundsRun, downs, c.stderr]);
    this.members = targets.map((t, i) => ({
      target: t,
      run: {
        params: paramsOf[i],
        command: c,
        startedAt: c.startedAt,
        ...(clientOf[i] ? { client: clientOf[i] } : {}),
        asked: c.roundsRun.apply((n) => n ?? 0),
        stopped: c.stopped.apply((s) => s ?? ""),
        schedule,
        measured,
        trials: all.apply(([out, failed, ran, fs, err]): Trial[] => {
          const step = `${targetKey(t)}: ${m.id}`;
          const down = fs[i];
          if (down)
            return trialsFrom(
              m,
              "",
              `not run: the target failed: ${down}`,
              paramsOf[i],
              step,
              c,
              true,
              fewest,
            );
          // A run cut short: the round that failed was asked for too, and at least the fewest.
          const asked = failed ? Math.max((ran ?? 0) + 1, fewest) : Math.max(ran ?? 0, 1);
          const trials = targetTrials(m, out, i, unitOf[i], paramsOf[i], asked).map((tr) =>
            failed && tr.missing ? { ...tr, error: `${tr.error}; ${failed}` } : tr,
          );
          // The run's failure is said once, on its first target; each failed trial on its own.
          if (failed && i === 0) reportFailure(`${server}: ${m.id}: ${failed}`, c);
          if (i === 0) {
            for (const line of runWarnings(err)) {
              pulumi.log.warn(`${server}: ${m.id}: ${line}`, c);
            }
          }
          for (const tr of trials.filter((x) => x.error && !x.missing)) {
            pulumi.log.warn(`${step}: trial ${tr.index} failed: ${tr.error}`, c);
          }
          return trials;
        }),
      },
    }));
  }
}
