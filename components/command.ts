import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { Rounds, SshConnection } from "./command-provider";
import { redactor, secretValues } from "./secrets";
import type { Progress, StreamTo } from "./measure/live";

export { exportLines, runRemoteScript, runScript } from "./command-provider";
export type { Rounds, ScriptRun, SshConnection } from "./command-provider";

/**
 * A shell step as a resource: `create` runs when the resource is created (and
 * again whenever `create`, `environment` or `triggers` change, which replace
 * it); `delete` runs when it is destroyed.
 *
 * With a `connection` the scripts run over SSH on that host.
 *
 * Our own dynamic provider stands in for @pulumi/command: the command
 * provider's Go module is not served by the module proxy this project can
 * reach (see toolchain/README.md).
 */
export interface CommandArgs {
  /** Bash script run on create. */
  create: pulumi.Input<string>;
  /** Bash script run on delete. */
  delete?: pulumi.Input<string>;
  /**
   * Shell functions both scripts start with (a library, such as the host's
   * shared-state functions): a change to it alone updates the step, and does
   * not rerun `create` (a container is not made again for it).
   */
  prelude?: pulumi.Input<string>;
  /**
   * Values handed to the scripts as environment variables. Config reaches a
   * script only this way, never spliced into its text, so no value is ever
   * parsed by the shell.
   */
  environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Any change to these replaces the resource, i.e. reruns `create`. */
  triggers?: pulumi.Input<pulumi.Input<unknown>[]>;
  /** The script is killed after this many seconds (default 3600). */
  timeoutSeconds?: pulumi.Input<number>;
  /** What this step is, for error messages, e.g. "server local: gather facts". */
  step: pulumi.Input<string>;
  /** Run over SSH on this host instead of locally. */
  connection?: pulumi.Input<SshConnectionInput>;
  /**
   * Try `create` again, retryDelaySeconds apart, until it succeeds or this many
   * seconds have passed since the first try (default 0: once), e.g. while a
   * host reboots. A time, not a count: a try may fail in a millisecond
   * (refused) or after its connect timeout (silent), and the limit the user set
   * is in seconds.
   */
  retryForSeconds?: pulumi.Input<number>;
  /** Seconds between tries (default 10). */
  retryDelaySeconds?: pulumi.Input<number>;
  /**
   * The same for `delete`: tried again while the server does not answer or the
   * script says "not yet" (exit 75), for up to this many seconds: a step that
   * reboots the server and waits until it is back as it should be.
   */
  deleteRetryForSeconds?: pulumi.Input<number>;
  /** A regex: when the recorded stdout matches it (say, a failed trial), the next update reruns `create`. */
  rerunIfStdoutMatches?: pulumi.Input<string>;
  /**
   * When `create` fails (after its retries), record the failure in `failure`
   * instead of failing the resource: steps after it still run (a guest that
   * never boots must not stop the other targets' benchmarks), and the next
   * update runs it again.
   */
  failSoftly?: pulumi.Input<boolean>;
  /**
   * Run `create` once per round, until the rounds' stop rule is satisfied (an
   * interleaved benchmark run, command-provider.ts Rounds); `timeoutSeconds`
   * is then a round's. A change to them reruns the step.
   */
  rounds?: pulumi.Input<Rounds>;
  /**
   * What the step is measured with (the project's commit, Pulumi's version, ...):
   * recorded as `measuredWith` when `create` runs, and kept as it was by a
   * later update. Not part of what the step is.
   */
  provenance?: pulumi.Input<Record<string, string>>;
  /** The step's output appended, as it comes, to <dir>/<name>.<start>.log (not part of what the step is). */
  streamTo?: pulumi.Input<StreamTo>;
  /**
   * A benchmark step's progress, shown in its row of `pulumi up`'s display
   * while it runs: trial n/N, time left, the last trial's headline figure
   * (measure/live.ts). Not part of what the step is.
   */
  progress?: Omit<Progress, "urn">;
}

export type SshConnectionInput = {
  [K in keyof SshConnection]: pulumi.Input<SshConnection[K]>;
};

// Where the provider's implementation is. Only this stub is serialized into
// each resource; the dynamic provider's process loads the module once.
const implementation = path.join(__dirname, "command-provider");

function load(): pulumi.dynamic.ResourceProvider {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const fs = require("fs") as typeof import("fs");
  const p = require("path") as typeof import("path");
  // The project the engine runs in first: a state written from a checkout
  // that has since moved or gone can still be updated and destroyed.
  const candidates = [p.join(process.cwd(), "components", "command-provider"), implementation];
  const file = candidates.find((f) => fs.existsSync(`${f}.ts`) || fs.existsSync(`${f}.js`));
  if (!file) {
    throw new Error(`testbed Command: no provider module at ${candidates.join(".ts or ")}.ts`);
  }
  if (!fs.existsSync(`${file}.js`) && !require.extensions[".ts"]) {
    // The provider's process is plain Node.js: compile the TypeScript as the program is.
    const root = p.dirname(p.dirname(file));
    const tsNode = require(
      require.resolve("ts-node", { paths: [root] }),
    ) as typeof import("ts-node");
    tsNode.register({ transpileOnly: true, project: p.join(root, "tsconfig.json") });
  }
  return require(file).provider;
  /* eslint-enable @typescript-eslint/no-require-imports */
}

/** Exported for tests only. */
export const commandProvider: pulumi.dynamic.ResourceProvider = {
  check: (olds, news) => load().check!(olds, news),
  diff: (id, olds, news) => load().diff!(id, olds, news),
  create: (inputs) => load().create(inputs),
  update: (id, olds, news) => load().update!(id, olds, news),
  delete: (id, props) => load().delete!(id, props),
};

/** The type Pulumi gives a Command ("pulumi-nodejs:dynamic/<module>:<type>"). */
const commandType = "pulumi-nodejs:dynamic/testbed:Command";

/**
 * `progress` with the step's own URN, which the engine's display needs and
 * the dynamic provider is not told. A Promise, not an Output of the parent's
 * URN: an Output would make the step depend on its parent component, that is
 * on every resource under it, itself included.
 */
function withUrn(
  progress: Omit<Progress, "urn">,
  name: string,
  parent: pulumi.Resource | undefined,
): Promise<Progress> {
  // Parameters that hold a secret stay out: the headline figures are then not shown.
  const p = redactor(secretValues()).found(progress)
    ? {
        ...progress,
        params: {},
        units: progress.units?.map((u) => ({ ...u, params: {} })),
      }
    : progress;
  return new Promise((resolve) => {
    pulumi.createUrn(name, commandType, parent).apply((urn) => resolve({ ...p, urn }));
  });
}

export class Command extends pulumi.dynamic.Resource {
  declare public readonly stdout: pulumi.Output<string>;
  declare public readonly stderr: pulumi.Output<string>;
  declare public readonly exitCode: pulumi.Output<number>;
  declare public readonly startedAt: pulumi.Output<string>;
  declare public readonly durationSeconds: pulumi.Output<number>;
  /** Why `create` failed, for a step that fails softly; "" when it ran. */
  declare public readonly failure: pulumi.Output<string>;
  /** A step in rounds: why its rounds stopped, and how many ran. */
  declare public readonly stopped: pulumi.Output<string | undefined>;
  declare public readonly roundsRun: pulumi.Output<number | undefined>;
  /** `provenance` as it was when `create` ran, and when it ended. */
  declare public readonly measuredWith: pulumi.Output<Record<string, string> | undefined>;

  constructor(name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions) {
    // The connection carries the private key: never store it in plain state.
    const secretOuts = args.connection ? ["connection"] : [];
    // The provider puts [secret] for each value set as a secret in what the step prints.
    const redact = secretValues();
    if (redact.length > 0) secretOuts.push("redact");
    opts = {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), ...secretOuts],
    };
    super(
      commandProvider,
      name,
      {
        ...args,
        ...(args.progress ? { progress: withUrn(args.progress, name, opts.parent) } : {}),
        ...(redact.length > 0 ? { redact: pulumi.secret([...redact]) } : {}),
        stdout: undefined,
        stderr: undefined,
        exitCode: undefined,
        startedAt: undefined,
        durationSeconds: undefined,
        failure: undefined,
        stopped: undefined,
        roundsRun: undefined,
        measuredWith: undefined,
      },
      opts,
      "testbed",
      "Command",
    );
  }
}
