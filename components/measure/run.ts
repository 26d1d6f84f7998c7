import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { BenchmarkModule } from "../../benchmarks/types";
import { reportFailure } from "../failure";
import { Command, exportLines } from "../command";
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
  /** The runs before this one on the same physical server: runs there never overlap (unless concurrent). */
  after?: pulumi.Resource[];
  /** For benchmarks between two sides: the server runs in the target, the client on its server's side. */
  pair?: PairSpec;
  /** How to reach the physical server the target is on (a pair's client runs there). */
  serverConnection?: Target["connection"];
}

export interface PairSpec {
  serverScript: string;
  /** The port the server listens on in the target, for these parameters. */
  port(params: unknown): number;
  /** The parameters with another server address and port. */
  withAddress(params: unknown, host: string, port: number): unknown;
}

const runner = script(__dirname, "runner.sh");
const enter = script(__dirname, "enter.sh");
const pairScript = script(__dirname, "pair.sh");
const notRun = "echo '@@@ not run'";

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
export class BenchmarkRun {
  public readonly trials: pulumi.Output<Trial[]>;
  public readonly command: Command;
  public readonly startedAt: pulumi.Output<string>;
  public readonly params: unknown;

  constructor(name: string, args: BenchmarkRunArgs, opts: { parent: pulumi.Resource }) {
    const { target, module: m, pair } = args;
    let params = args.params;
    let serverEnv: Record<string, string> | undefined;
    if (pair) {
      if (!target.peer)
        throw new Error(
          `${targetKey(target)}: ${m.id} needs a server in the target, which it cannot have`,
        );
      const port = pair.port(params);
      const c = target.peer.connect(port);
      serverEnv = m.environment(pair.withAddress(params, target.peer.bind, port));
      params = pair.withAddress(params, c.host, c.port);
    }
    this.params = params;
    const env: Record<string, pulumi.Input<string>> = {
      ...m.environment(params),
      VTB_TRIALS: String(args.repeats),
      VTB_TRIAL_TIMEOUT: String(args.trialTimeoutSeconds),
      VTB_BENCH_SCRIPT: m.script,
    };
    let create = runner;
    if (pair && target.peer && serverEnv) {
      const p = target.peer;
      Object.assign(env, {
        VTB_RUNNER: runner,
        VTB_PAIR_VIA: p.via,
        VTB_SERVER_SCRIPT: pair.serverScript,
        VTB_SERVER_EXPORTS: exportLines(serverEnv),
        VTB_LXC: p.lxc?.name ?? "",
        VTB_LXCPATH: p.lxc?.lxcpath ?? "",
        VTB_NETNS: p.netns ?? "",
        VTB_SSH_HOST: p.ssh?.host ?? "",
        VTB_SSH_PORT: String(p.ssh?.port ?? ""),
        VTB_SSH_KEY: p.ssh ? pulumi.secret(p.ssh.privateKey) : "",
      });
      create = pairScript;
    } else if (target.enter?.kind === "lxc") {
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
    // What the run is; the SSH key is left out (it is not what is measured).
    const { VTB_SSH_KEY: _key, ...defined } = env;
    const definition = crypto
      .createHash("sha256")
      .update(JSON.stringify([m.id, create, defined, targetKey(target)]))
      .digest("hex")
      .slice(0, 16);
    this.command = new Command(
      `${name}-trials`,
      {
        step: `${targetKey(target)}: ${m.id} (${args.repeats} trials)`,
        // A target that failed to come up is not measured; when it comes up, this reruns.
        create: target.failure ? target.failure.apply((f) => (f ? notRun : create)) : create,
        environment: env,
        // A pair runs from the physical server's side; anything else in the target.
        connection: pair ? args.serverConnection : target.connection,
        triggers: [definition],
        timeoutSeconds: args.repeats * (args.trialTimeoutSeconds + 30) + 120,
        rerunIfStdoutMatches: "^@@@ end \\d+ rc=[1-9]|^@@@ not run",
        // A hang past the timeout or a lost connection fails this run, not the runs after it.
        failSoftly: true,
      },
      {
        parent: opts.parent,
        dependsOn: [...target.ready, ...(args.after ?? [])],
        // The environment carries a guest's SSH key for pairs with a VM.
        additionalSecretOutputs: pair ? ["environment"] : [],
      },
    );
    const step = `${targetKey(target)}: ${m.id}`;
    this.trials = pulumi
      .all([this.command.stdout, this.command.failure, target.failure ?? ""])
      .apply(([out, failure, targetFailure]) => {
        const why = targetFailure ? `not run: the target failed: ${targetFailure}` : failure;
        if (!why) {
          const trials = parseTrials(m, out, params);
          // A failed trial is a result (kept, with its output): a warning, not a failed update.
          for (const t of trials.filter((t) => t.error)) {
            pulumi.log.warn(`${step}: trial ${t.index} failed: ${t.error}`, this.command);
          }
          return trials;
        }
        reportFailure(`${step}: ${why}`, this.command);
        return [{ index: 1, exitCode: -1, seconds: 0, raw: "", error: why }];
      });
    this.startedAt = this.command.startedAt;
  }
}
