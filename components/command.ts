import * as pulumi from "@pulumi/pulumi";

/**
 * A shell step as a resource: `create` runs when the resource is created (and
 * again whenever `create`, `environment` or `triggers` change, which replace
 * it); `delete` runs when it is destroyed.
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
}

export interface ScriptRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  startedAt: string;
  durationSeconds: number;
}

/** Runs a bash script; rejects with a message naming the step on failure or timeout. */
export function runScript(
  script: string,
  env: Record<string, string>,
  timeoutSeconds: number,
  step: string,
): Promise<ScriptRun> {
  // Required here, not imported: this function is serialized into the dynamic provider.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require("child_process") as typeof import("child_process");
  const limit = 8 * 1024 * 1024;
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = cp.spawn("bash", ["-c", script], {
      env: { ...process.env, ...env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d: Buffer) => {
      if (stdout.length < limit) stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      if (stderr.length < limit) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a script's children must not outlive it.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          child.kill("SIGKILL");
        }
      }
    }, timeoutSeconds * 1000);
    const tail = (s: string) => s.trimEnd().split("\n").slice(-20).join("\n");
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`${step}: could not start bash: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const run = {
        stdout,
        stderr,
        exitCode: code ?? -1,
        startedAt: new Date(started).toISOString(),
        durationSeconds: (Date.now() - started) / 1000,
      };
      if (timedOut) {
        reject(new Error(`${step}: timed out after ${timeoutSeconds}s\n${tail(stderr)}`));
      } else if (code !== 0) {
        const why = code === null ? `killed by ${signal}` : `exited with code ${code}`;
        reject(new Error(`${step}: ${why}\n${tail(stderr) || tail(stdout)}`));
      } else {
        resolve(run);
      }
    });
  });
}

// Inputs whose change reruns `create`.
const replacingKeys = ["create", "environment", "triggers"];

const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    const same = (k: string) => JSON.stringify(olds[k] ?? null) === JSON.stringify(news[k] ?? null);
    const replaces = replacingKeys.filter((k) => !same(k));
    const changes = replaces.length > 0 || !["delete", "timeoutSeconds", "step"].every(same);
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async create(inputs) {
    const run = await runScript(
      inputs.create,
      inputs.environment ?? {},
      inputs.timeoutSeconds ?? 3600,
      inputs.step,
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const id = (require("crypto") as typeof import("crypto")).randomUUID();
    return { id, outs: { ...inputs, ...run } };
  },
  async update(_id, olds, news) {
    // Only non-replacing inputs changed: keep the recorded run.
    const { stdout, stderr, exitCode, startedAt, durationSeconds } = olds;
    return { outs: { ...news, stdout, stderr, exitCode, startedAt, durationSeconds } };
  },
  async delete(_id, props) {
    if (props.delete) {
      await runScript(
        props.delete,
        props.environment ?? {},
        props.timeoutSeconds ?? 3600,
        `${props.step} (delete)`,
      );
    }
  },
};

export class Command extends pulumi.dynamic.Resource {
  declare public readonly stdout: pulumi.Output<string>;
  declare public readonly stderr: pulumi.Output<string>;
  declare public readonly exitCode: pulumi.Output<number>;
  declare public readonly startedAt: pulumi.Output<string>;
  declare public readonly durationSeconds: pulumi.Output<number>;

  constructor(name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        ...args,
        stdout: undefined,
        stderr: undefined,
        exitCode: undefined,
        startedAt: undefined,
        durationSeconds: undefined,
      },
      opts,
      "testbed",
      "Command",
    );
  }
}
