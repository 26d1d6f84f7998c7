import * as pulumi from "@pulumi/pulumi";
import { BenchmarkModule } from "../../benchmarks/types";
import { Command } from "../command";
import {
  commandTimeout,
  definitionOf,
  Measured,
  notRun,
  rerunPatternFor,
  runner,
  trialEnvironment,
  trialsFrom,
} from "./run";
import {
  envNames,
  groupGuestWay,
  markerLinePattern,
  markerPattern,
  markers,
  runnerHandOver,
} from "./protocol";
import { Target, targetKey } from "./target";
import { Trial } from "./trials";
import { wayEnv, wayInto, withoutKeys, withWayIn } from "./way-in";

export interface ConcurrentRunArgs {
  /** The guests, all on one platform of one server. */
  targets: Target[];
  module: BenchmarkModule;
  params: unknown;
  repeats: number;
  trialTimeoutSeconds: number;
  /** The runs before this one on the same physical server. */
  after?: pulumi.Resource[];
  /** The physical server: the group is started from there. */
  serverConnection?: Target["connection"];
}

const groupScript = withWayIn("group.sh");

/** A guest's section of the group's output: markers.guest I, its runner's output, markers.guestEnd I. */
const guestSection = new RegExp(
  `${markerPattern(markers.guest, "(\\d+)")}\\n([\\s\\S]*?)${markerLinePattern(markers.guestEnd, "\\1")}`,
  "gm",
);
/** In a guest's section: the way in failed (markers.guestFailed), its exit code and the tail of its stderr after. */
const wayInFailed = new RegExp(
  `${markerPattern(markers.guestFailed, "\\d+", "(\\d+)")}\\n([\\s\\S]*)`,
  "m",
);

/** Each guest's section of the group's output, by guest index. */
export function guestSections(out: string): Map<number, string> {
  const sections = new Map<number, string>();
  for (const m of out.matchAll(guestSection)) {
    sections.set(Number(m[1]), m[2]);
  }
  return sections;
}

/**
 * One benchmark in every guest of a platform at once (`concurrent: true`, the
 * 2009 paper's 8 VMs at once): one Command on the physical server starts all
 * the guests' trials together and waits for them. Being one step, the group
 * runs and reruns as a whole: a guest whose trial failed, or an update stopped
 * halfway, reruns every guest, never one alone. Each guest's trials are parsed
 * as a BenchmarkRun's are.
 */
export class ConcurrentRun {
  public readonly command: Command;
  public readonly members: Measured[];

  constructor(name: string, args: ConcurrentRunArgs, opts: { parent: pulumi.Resource }) {
    const { targets, module: m } = args;
    const trial = trialEnvironment(m, args.params, args.repeats, args.trialTimeoutSeconds);
    const ways = Object.assign(
      {},
      ...targets.map((t, i) => {
        const way = wayInto(t);
        if (!way) throw new Error(`${targetKey(t)}: the server cannot enter this guest to run it`);
        return wayEnv(groupGuestWay(i), way);
      }),
    ) as Record<string, pulumi.Input<string>>;
    const env = {
      ...trial,
      ...runnerHandOver(runner, trial, ways),
      [envNames.groupSize]: String(targets.length),
      ...ways,
    };
    const guests = targets.map((t) => t.guest);
    const where = `${targets[0].server}/${targets[0].platform}/{${guests.join(",")}}`;
    // What the group is; keys are left out (they are not what is measured).
    const defined = withoutKeys(env);
    const failures = pulumi.all(targets.map((t) => t.failure ?? ""));
    this.command = new Command(
      `${name}-trials`,
      {
        step: `${where}: ${m.id} (${args.repeats} trials, at once)`,
        // All the guests or none: a group short of a guest is another experiment.
        create: failures.apply((fs) => (fs.some((f) => f) ? notRun : groupScript)),
        environment: env,
        connection: args.serverConnection,
        triggers: [definitionOf([m.id, groupScript, defined, targets.map(targetKey)])],
        timeoutSeconds: commandTimeout(args.repeats, args.trialTimeoutSeconds),
        rerunIfStdoutMatches: rerunPatternFor(args.repeats),
        failSoftly: true,
      },
      {
        parent: opts.parent,
        dependsOn: [...new Set([...targets.flatMap((t) => t.ready), ...(args.after ?? [])])],
        // The environment carries the guests' SSH keys.
        additionalSecretOutputs: ["environment"],
      },
    );
    const all = pulumi.all([this.command.stdout, this.command.failure, failures]);
    this.members = targets.map((t, i) => ({
      params: args.params,
      command: this.command,
      startedAt: this.command.startedAt,
      trials: all.apply(([out, failure, fs]): Trial[] => {
        const down = targets.findIndex((_, j) => fs[j]);
        let why = failure;
        // The same for every guest: said once, for the first.
        let report = !why || i === 0;
        if (down >= 0) {
          why = `not run: ${targetKey(targets[down])} failed: ${fs[down]}`;
          report = i === 0;
        }
        const section = guestSections(out).get(i);
        if (!why && section === undefined) why = "no output from this guest";
        const failed = wayInFailed.exec(section ?? "");
        if (!why && failed) {
          why = `could not enter the guest (exit ${failed[1]}): ${failed[2].trim().split("\n").slice(-3).join(" | ")}`;
        }
        return trialsFrom(
          m,
          section ?? "",
          why,
          args.params,
          `${targetKey(t)}: ${m.id}`,
          this.command,
          report,
          args.repeats,
        );
      }),
    }));
  }
}
