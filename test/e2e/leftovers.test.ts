import { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { root, TestStack } from "../helpers/stack";

// A pulumi killed or stopped from outside (CI, a test's time limit, a closed
// terminal) leaves nothing of ours running: not its language host, the
// program, the providers, nor a benchmark a step had started. Everything the
// CLI starts carries the session mark scripts/pulumi.sh gives it, so the
// process table says exactly what is left.
const name = "e2eleftovers";
const config = `config:
  testbed:benchmarks:
    - id: openssl-speed
      repeats: 1
      parameters:
        ciphers: [aes-128-cbc]
        publicKey: []
        seconds: 5
  testbed:servers:
    - name: local
      connection:
        type: local
      platforms:
        - type: baseline
`;
const stack = new TestStack(name, config);
let upStarted = false;

afterAll(() => {
  if (upStarted) {
    const r = stack.run("destroy", "--yes", "--skip-preview");
    if (r.status !== 0) console.error(`cleanup destroy failed:\n${r.stdout}\n${r.stderr}`);
  }
  stack.remove();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

/** Live processes started by the pulumi whose pid is given (its session mark), with their command lines. */
function session(pid: number): string[] {
  const mark = `VTB_PULUMI_SESSION=${pid}.`;
  const found: string[] = [];
  for (const p of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const env = fs.readFileSync(`/proc/${p}/environ`, "latin1").split("\0");
      if (!env.some((e) => e.startsWith(mark))) continue;
      if (/^\S+ \(.*\) Z /.test(fs.readFileSync(`/proc/${p}/stat`, "latin1"))) continue;
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "latin1").replace(/\0/g, " ").trim();
      found.push(`${p}: ${cmd.slice(0, 160)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: () => boolean, seconds: number): Promise<boolean> {
  for (const t0 = Date.now(); Date.now() - t0 < seconds * 1000; await sleep(250)) {
    if (what()) return true;
  }
  return what();
}

/** Stops the CLI with `signal` once `ready` holds, and returns what of it is left after `grace` seconds. */
async function stopAndCount(
  child: ChildProcess,
  ready: (procs: string[]) => boolean,
  signal: NodeJS.Signals,
  exited: Promise<unknown>,
): Promise<{ before: string[]; left: string[]; seconds: number }> {
  const pid = child.pid!;
  expect(await until(() => ready(session(pid)), 300)).toBe(true);
  const before = session(pid);
  child.kill(signal);
  await exited;
  const t0 = Date.now();
  await until(() => session(pid).length === 0, 60);
  return { before, left: session(pid), seconds: (Date.now() - t0) / 1000 };
}

const has = (re: RegExp) => (procs: string[]) => procs.some((p) => re.test(p));

describe("what a stopped pulumi leaves running", () => {
  jest.setTimeout(20 * 60 * 1000);
  beforeAll(() => stack.pulumi("stack", "init"));

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`nothing, after ${signal} during a preview`, async () => {
      const run = stack.start("preview");
      const r = await stopAndCount(run.child, has(/dynamic-provider/), signal, run.exited);
      console.log(`preview, ${signal}: ${r.before.length} processes, gone in ${r.seconds} s`);
      expect(r.before.join("\n")).toMatch(/pulumi-language-nodejs/);
      expect(r.left).toEqual([]);
      expect(r.seconds).toBeLessThan(20);
    });
  }

  for (const signal of ["SIGKILL", "SIGTERM"] as const) {
    it(`nothing, after ${signal} while a benchmark runs in an up`, async () => {
      upStarted = true;
      const run = stack.start("up", "--yes", "--skip-preview");
      // openssl runs under the trial runner's `timeout`, in a process group of its own.
      const r = await stopAndCount(run.child, has(/^\d+: openssl speed/), signal, run.exited);
      console.log(`up, ${signal}: ${r.before.length} processes, gone in ${r.seconds} s`);
      expect(r.before.join("\n")).toMatch(/dynamic-provider/);
      expect(r.left).toEqual([]);
      expect(r.seconds).toBeLessThan(20);
    });
  }
});
