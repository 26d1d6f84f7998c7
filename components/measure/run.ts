import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { BenchmarkModule } from "../../benchmarks/types";
import { Command } from "../command";
import { script } from "../scripts";
import { Target, targetKey } from "./target";
import { parseTrials, Trial } from "./trials";

export interface BenchmarkRunArgs {
  target: Target;
  module: BenchmarkModule;
  /** Parameters already validated by the module's schema. */
  params: unknown;
  repeats: number;
  trialTimeoutSeconds: number;
  /** The run before this one on the same physical server: runs there never overlap. */
  after?: pulumi.Resource;
}

const runner = script(__dirname, "runner.sh");
const enter = script(__dirname, "enter.sh");

/**
 * One benchmark on one target: `repeats` trials one after another, each
 * parsed by the benchmark's own parser. Reruns only when the benchmark's
 * script, its parameters, the target or the repeat count change, or when a
 * trial failed last time.
 */
export class BenchmarkRun extends pulumi.ComponentResource {
  public readonly trials: pulumi.Output<Trial[]>;
  public readonly command: Command;
  public readonly startedAt: pulumi.Output<string>;
  public readonly params: unknown;

  constructor(name: string, args: BenchmarkRunArgs, opts?: pulumi.ComponentResourceOptions) {
    super("testbed:measure:BenchmarkRun", name, {}, opts);
    const { target, module: m } = args;
    this.params = args.params;
    const env: Record<string, string> = {
      ...m.environment(args.params),
      VTB_TRIALS: String(args.repeats),
      VTB_TRIAL_TIMEOUT: String(args.trialTimeoutSeconds),
      VTB_BENCH_SCRIPT: m.script,
    };
    let create = runner;
    if (target.enter?.kind === "lxc") {
      Object.assign(env, {
        VTB_RUNNER: runner,
        VTB_ENTER: "lxc",
        VTB_LXC: target.enter.name,
        VTB_LXCPATH: target.enter.lxcpath,
      });
      create = enter;
    } else if (target.enter?.kind === "openvz") {
      Object.assign(env, {
        VTB_RUNNER: runner,
        VTB_ENTER: "openvz",
        VTB_CTID: String(target.enter.ctid),
      });
      create = enter;
    }
    const definition = crypto
      .createHash("sha256")
      .update(JSON.stringify([m.id, create, env, targetKey(target)]))
      .digest("hex")
      .slice(0, 16);
    this.command = new Command(
      `${name}-trials`,
      {
        step: `${targetKey(target)}: ${m.id} (${args.repeats} trials)`,
        create,
        environment: env,
        connection: target.connection,
        triggers: [definition],
        timeoutSeconds: args.repeats * (args.trialTimeoutSeconds + 30) + 120,
        rerunIfStdoutMatches: "^@@@ end \\d+ rc=[1-9]",
      },
      { parent: this, dependsOn: [...target.ready, ...(args.after ? [args.after] : [])] },
    );
    this.trials = this.command.stdout.apply((out) => parseTrials(m, out, args.params));
    this.startedAt = this.command.startedAt;
    this.registerOutputs({ trials: this.trials });
  }
}
