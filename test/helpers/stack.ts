import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const root = path.join(__dirname, "..", "..");

/**
 * The default stack's config (Pulumi.testbed.yaml) for a throwaway stack: its
 * own guest SSH ports, so it never collides with a user's `testbed` stack, and
 * no salt (the throwaway stack makes its own).
 */
export function defaultStackConfig(guestSshPortBase: number): string {
  return fs
    .readFileSync(path.join(root, "Pulumi.testbed.yaml"), "utf8")
    .replace(/^encryptionsalt:.*$/m, "")
    .replace(
      "      profile: auto\n",
      `      profile: auto\n      guestSshPortBase: ${guestSshPortBase}\n`,
    );
}

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A throwaway stack of this project, run through the project's own CLI wrapper
 * (scripts/pulumi.sh) in a backend of its own, so a user's stacks are never touched.
 */
export class TestStack {
  readonly backend = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-e2e-state-"));
  readonly configFile: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly name: string,
    configYaml: string,
  ) {
    this.configFile = path.join(root, `Pulumi.${name}.yaml`);
    fs.writeFileSync(this.configFile, configYaml);
    this.env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${this.backend}`,
      PULUMI_CONFIG_PASSPHRASE: "",
    };
  }

  private args(args: string[]): string[] {
    return [path.join(root, "scripts", "pulumi.sh"), ...args, "--stack", this.name];
  }

  /** Runs the CLI to the end; whatever it exits with. */
  run(...args: string[]): Result {
    return this.runWithInput("", ...args);
  }

  /** Like run(), with `input` on its stdin (a secret for `config set`). */
  runWithInput(input: string, ...args: string[]): Result {
    const r = spawnSync("bash", this.args(args), {
      cwd: root,
      env: this.env,
      input,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs the CLI and returns its stdout; throws with everything it printed if it fails. */
  pulumi(...args: string[]): string {
    const r = this.run(...args);
    if (r.status !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
    }
    return r.stdout;
  }

  /** Starts the CLI without waiting: the pid is the pulumi process itself (pulumi.sh execs it). */
  start(...args: string[]): Running {
    const child = spawn("bash", this.args(args), { cwd: root, env: this.env });
    return new Running(child);
  }

  /**
   * The state's resources, secrets left encrypted; with showSecrets, a secret
   * reads {<signature>, plaintext: "<its value as JSON>"}.
   */
  resources(
    showSecrets = false,
  ): { urn: string; type: string; parent?: string; outputs?: Record<string, unknown> }[] {
    const args = ["stack", "export", ...(showSecrets ? ["--show-secrets"] : [])];
    return JSON.parse(this.pulumi(...args)).deployment.resources ?? [];
  }

  remove(): void {
    fs.rmSync(this.backend, { recursive: true, force: true });
    fs.rmSync(this.configFile, { force: true });
  }

  /**
   * A benchmark script's throwaway stack, done with: destroyed and removed
   * (its results archive stays), kept when asked (saying how to tear it down),
   * or only removed when it was never created.
   */
  finish(o: { created: boolean; keep: boolean; say: (s: string) => void }): void {
    if (!o.created) return this.remove();
    if (o.keep) {
      o.say(
        `kept: stack ${this.name} in ${this.backend}; tear it down with\n` +
          `  PULUMI_BACKEND_URL=file://${this.backend} PULUMI_CONFIG_PASSPHRASE= npm run pulumi -- destroy --yes -s ${this.name}`,
      );
      return;
    }
    o.say("tearing the stack down (the results archive stays)");
    const d = this.run("destroy", "--yes", "--skip-preview");
    if (d.status !== 0) {
      o.say(
        `destroy failed, stack kept in ${this.backend}:\n${d.stdout.slice(-2000)}${d.stderr.slice(-2000)}`,
      );
    } else this.remove();
  }
}

export class Running {
  stdout = "";
  stderr = "";
  readonly exited: Promise<Result>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => (this.stdout += d));
    child.stderr!.on("data", (d) => (this.stderr += d));
    this.exited = new Promise((resolve) =>
      child.on("close", (status, signal) =>
        resolve({ status, signal, stdout: this.stdout, stderr: this.stderr }),
      ),
    );
  }

  /** Waits until the output matches, failing after the timeout with what was printed. */
  async waitFor(pattern: RegExp, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    while (!pattern.test(this.stdout + this.stderr)) {
      if (this.child.exitCode !== null) {
        throw new Error(`exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`no ${pattern} within ${timeoutSeconds}s:\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
