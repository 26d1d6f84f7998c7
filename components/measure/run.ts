import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { BenchmarkModule, PairSpec } from "../../benchmarks/types";
import { reportFailure } from "../failure";
import { Command } from "../command";
import { script } from "../bash";
import { Target, targetKey } from "./target";
import { pairServerExports, pairUp } from "./pairing";
import {
  envNames,
  markerFunctions,
  markerPattern,
  markers,
  notRunLine,
  notRunPattern,
  runnerHandOver,
  wayPrefixes,
} from "./protocol";
import { parseTrials, Trial } from "./trials";
import { programProvenance } from "./provenance";
import { streamDir } from "./live";
import { hostStateScript } from "../server/host-state";
import { wayEnv, withoutKeys, withWayIn } from "./way-in";

export interface BenchmarkRunArgs {
  target: Target;
  module: BenchmarkModule;
  /** Parameters already validated by the module's schema. */
  params: unknown;
  repeats: number;
  trialTimeoutSeconds: number;
  /** The runs before this one on the same physical server: runs there never overlap (unless concurrent). */
  after?: pulumi.Resource[];
  /** For benchmarks between two sides: the server runs in the target, the client on its server's side. */
  pair?: PairSpec;
  /** A pair's client, when not on the target's own host: a VM guest, another server's host. */
  client?: Target;
  /** How to reach the physical server where a pair's client runs (its step starts there). */
  serverConnection?: Target["connection"];
  /**
   * A pilot (schedule.ts `pilotRun`): shown and streamed, never counted nor
   * rerun by itself; its step is `<name>-pilot`, which the tools that act on
   * runs (npm run measure, bench:harness) do not take for one.
   */
  pilot?: boolean;
}

/** runner.sh, after the functions that print the protocol's markers. */
export const runner = markerFunctions + script(__dirname, "runner.sh");
const enter = withWayIn("enter.sh");
/** The runner on the server itself, inside the server's measurement lock (pilot.sh). */
const lockedRunner = `${markerFunctions}${script(__dirname, "pilot.sh")}{\n${script(__dirname, "runner.sh")}\n} 7>&-\n`;
const pairScript = withWayIn("pair.sh");
/** What a run's command does instead when its target is not up. */
export const notRun = `echo '${notRunLine}'`;
/** A recorded run whose output matches this ran a failed trial (or none): the next update reruns it. */
export const rerunPattern = [
  markerPattern(markers.end, "\\d+", "[1-9]"),
  notRunPattern,
  markerPattern(markers.guestFailed),
].join("|");
/**
 * The same, and a run whose output lacks trials: no end line for the last of its
 * `repeats` (anywhere after the start of the output), or a trial started but never
 * ended. Such a run lost trials (a cut output), so it is not done either.
 */
export const rerunPatternFor = (repeats: number) =>
  `${rerunPattern}|(?<![\\s\\S])(?![\\s\\S]*${markerPattern(markers.end, String(repeats), "")})` +
  `|${markerPattern(markers.trial, "(\\d+)")}$(?![\\s\\S]*${markerPattern(markers.end, "\\1", "")})`;

/** What a run's trials are and how the runner repeats them. */
export function trialEnvironment(
  m: BenchmarkModule,
  params: unknown,
  repeats: number,
  trialTimeoutSeconds: number,
): Record<string, pulumi.Input<string>> {
  return {
    ...m.environment(params),
    [envNames.trials]: String(repeats),
    [envNames.trialTimeout]: String(trialTimeoutSeconds),
    [envNames.benchScript]: m.script,
  };
}

/** A short digest of what a run is: any change to it reruns the run. */
export const definitionOf = (parts: unknown[]) =>
  crypto.createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);

/** Room for every trial to reach its timeout, plus the runner's own start and stop. */
export const commandTimeout = (repeats: number, trialTimeoutSeconds: number) =>
  repeats * (trialTimeoutSeconds + 30) + 120;

/**
 * The lines of a step's stderr that are warnings of its run, whatever its
 * trials gave: a guest that could not be paused (measured beside it) or resumed
 * (left paused), a pair's server that could not be stopped, or one left so and
 * stopped at the pair's next start (interleave.sh, units.sh, listen.sh; a
 * server script's own "<script>: " in front is dropped).
 */
export function runWarnings(stderr: string | undefined): string[] {
  const said = /^(?:[a-z0-9-]+: )?((?:could not (?:pause|resume|stop) |stopped the server ).*)$/gm;
  return [...new Set([...(stderr ?? "").matchAll(said)].map((m) => m[1]))];
}

/**
 * A run's trials from its recorded output, one for each of the `repeats` asked
 * for (a trial the output lacks is a failed one); a run that did not happen
 * (`why`) is a failed trial for each, saying why (one without `repeats`).
 * Failures are reported on `resource`, unless `report` is false (the same
 * failure already reported for another guest).
 */
export function trialsFrom(
  m: BenchmarkModule,
  out: string,
  why: string,
  params: unknown,
  step: string,
  resource: pulumi.Resource,
  report = true,
  repeats?: number,
): Trial[] {
  if (!why) {
    const trials = parseTrials(m, out, params, repeats);
    // A failed trial is a result (kept, with its output): a warning, not a failed update.
    for (const t of trials.filter((t) => t.error)) {
      pulumi.log.warn(`${step}: trial ${t.index} failed: ${t.error}`, resource);
    }
    return trials;
  }
  if (report) reportFailure(`${step}: ${why}`, resource);
  return Array.from({ length: repeats ?? 1 }, (_, i) => ({
    index: i + 1,
    exitCode: -1,
    seconds: 0,
    raw: "",
    error: why,
  }));
}

function whyNotRun(
  target: Target,
  client: Target | undefined,
  clientKey: string | undefined,
): pulumi.Output<string> | undefined {
  const t = target.failure?.apply((f) => (f ? `the target failed: ${f}` : ""));
  const c = client?.failure?.apply((f) => (f ? `the client ${clientKey} failed: ${f}` : ""));
  if (t && c) return pulumi.all([t, c]).apply(([a, b]) => a || b);
  return t ?? c;
}

/** What index.ts reads of a benchmark run on one target. */
export interface Measured {
  trials: pulumi.Output<Trial[]>;
  command: Command;
  startedAt: pulumi.Output<string>;
  params: unknown;
  /** A pair's client target, when not the target's own host. */
  client?: string;
  /** An interleaved run's: the trials asked for (the rounds run), why they stopped, and the order. */
  asked?: pulumi.Output<number>;
  stopped?: pulumi.Output<string>;
  schedule?: pulumi.Output<{ seed: string; method: string; rounds: string[][] }>;
  /** When and with what it was measured: start, seconds, end, commit, versions. */
  measured?: pulumi.Output<Record<string, string | number>>;
}

/** A step's record of when and with what it measured (Command startedAt, durationSeconds, measuredWith). */
export const measuredBy = (c: Command): pulumi.Output<Record<string, string | number>> =>
  pulumi
    .all([c.startedAt, c.durationSeconds, c.measuredWith])
    .apply(([startedAt, seconds, w]): Record<string, string | number> => ({
      startedAt,
      seconds,
      ...(w ?? {}),
    }));

/**
 * One benchmark on one target: `repeats` trials one after another, each
 * parsed by the benchmark's own parser. Reruns only when the benchmark's
 * script, its parameters, the target or the repeat count change, or when a
 * trial failed last time.
 *
 * It is one resource, the Command `<name>-trials`, not a component around it:
 * runs are three quarters of a server's resources, and a component each
 * doubled their count and a preview's cost (`npm run bench:scale`).
 */
export class BenchmarkRun implements Measured {
  public readonly trials: pulumi.Output<Trial[]>;
  public readonly command: Command;
  public readonly startedAt: pulumi.Output<string>;
  public readonly params: unknown;
  /** A pair's client target, when not the target's own host. */
  public readonly client?: string;
  public readonly measured: pulumi.Output<Record<string, string | number>>;

  constructor(name: string, args: BenchmarkRunArgs, opts: { parent: pulumi.Resource }) {
    const { target, module: m, pair, client } = args;
    const port = pair?.port(args.params) ?? 0;
    const p = pair ? pairUp(target, port, client) : undefined;
    const clientKey = p?.clientKey;
    // A pair's client connects to where its server is, as seen from the client.
    const params =
      pair && p ? pair.withAddress(args.params, p.connect.host, p.connect.port) : args.params;
    const trial = trialEnvironment(m, params, args.repeats, args.trialTimeoutSeconds);
    let env = trial;
    let create = runner;
    if (pair && p) {
      const ways = {
        ...wayEnv(wayPrefixes.pairServer, p.server),
        ...wayEnv(wayPrefixes.pairClient, p.client),
      };
      env = {
        ...trial,
        ...runnerHandOver(runner, trial, ways),
        [envNames.pairServerScript]: pair.serverScript,
        [envNames.pairServerExports]: pairServerExports(m, pair, args.params, target, p),
        ...ways,
      };
      create = pairScript;
    } else if (args.pilot) {
      if (target.platform !== "baseline") throw new Error(`${name}: a pilot runs on bare metal`);
      create = lockedRunner;
    } else if (target.enter) {
      const ways = wayEnv(
        wayPrefixes.container,
        target.enter.kind === "lxc"
          ? { via: "lxc", name: target.enter.name, lxcpath: target.enter.lxcpath }
          : { via: "openvz", ctid: target.enter.ctid },
      );
      env = { ...trial, ...runnerHandOver(runner, trial, ways), ...ways };
      create = enter;
    }
    this.params = params;
    this.client = clientKey;
    // What the run is; SSH keys are left out (they are not what is measured).
    const definition = definitionOf([m.id, create, withoutKeys(env), targetKey(target), clientKey]);
    // Why the run cannot happen ("" when it can). Left out when nothing can fail
    // (bare metal): an Output per run is memory a large farm feels (bench:scale).
    const failure = whyNotRun(target, client, clientKey);
    const step = `${targetKey(target)}: ${m.id}${clientKey ? ` from ${clientKey}` : ""}`;
    // What the step is called, in its row and its warnings.
    const said = args.pilot
      ? `${step} (pilot: ${args.repeats} trial, not counted)`
      : `${step} (${args.repeats} trials)`;
    this.command = new Command(
      `${name}-${args.pilot ? "pilot" : "trials"}`,
      {
        step: said,
        // A target that failed to come up is not measured; when it comes up, this reruns.
        create: failure ? failure.apply((f) => (f ? notRun : create)) : create,
        // vtb_host_dir: the server's lock directory, root's (pilot.sh).
        ...(args.pilot ? { prelude: hostStateScript } : {}),
        environment: env,
        // A pair runs from the physical server's side; anything else in the target.
        connection: pair ? args.serverConnection : target.connection,
        triggers: [definition],
        timeoutSeconds: commandTimeout(args.repeats, args.trialTimeoutSeconds),
        rerunIfStdoutMatches: args.pilot ? undefined : rerunPatternFor(args.repeats),
        // A hang past the timeout or a lost connection fails this run, not the runs after it.
        failSoftly: true,
        provenance: programProvenance(),
        streamTo: { dir: streamDir(pulumi.getStack()), name: args.pilot ? `${name}-pilot` : name },
        progress: {
          benchmark: m.id,
          params,
          total: args.repeats,
          counts: "trial",
          ...(args.pilot ? { label: "pilot, not counted" } : {}),
        },
      },
      {
        parent: opts.parent,
        dependsOn: [...target.ready, ...(client?.ready ?? []), ...(args.after ?? [])],
        // The environment carries SSH keys for pairs with a VM or another server.
        additionalSecretOutputs: pair ? ["environment"] : [],
      },
    );
    this.trials = pulumi
      .all([this.command.stdout, this.command.failure, failure ?? "", this.command.stderr])
      .apply(([out, failed, notUp, err]) => {
        const why = notUp ? `not run: ${notUp}` : failed;
        for (const line of runWarnings(err)) pulumi.log.warn(`${step}: ${line}`, this.command);
        // A pilot's failed step is a warning: it fails no update, since nothing of it counts.
        if (args.pilot && why) pulumi.log.warn(`${said}: ${why}`, this.command);
        return trialsFrom(
          m,
          out,
          why,
          params,
          args.pilot ? said : step,
          this.command,
          !args.pilot,
          args.repeats,
        );
      });
    this.startedAt = this.command.startedAt;
    this.measured = measuredBy(this.command);
  }
}
