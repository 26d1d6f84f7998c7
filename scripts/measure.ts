// npm run measure -- [--stack <name>] [--only <benchmark>]... [--target <server[/platform[/guest]]>]...
//                    [--reason <text>] [--dry-run]
// Measures again exactly the runs asked for (all by default) with
// `pulumi up --replace` of their Commands, found in the stack's state by what
// they are (components/measure/step-kind.ts); the rest of the stack is left as
// it is. Each new run is a new folder in results/<stack>/, beside the earlier
// ones, and records why it was measured (measuredWith.reason).
import { spawnSync } from "child_process";
import * as path from "path";
import { parseArgs } from "util";
import { benchmarkStep, interleavedStep } from "../components/measure/step-kind";
import type { Rounds } from "../components/command-provider";

export const usage =
  "usage: npm run measure -- [--stack <name>] [--only <benchmark>]... [--target <server[/platform[/guest]]>]...\n" +
  "                          [--reason <text>] [--dry-run]\n";

export const help = `${usage}
Measures again the stack's benchmark runs you name, and nothing else: a plain
\`up\` measures nothing that has not changed. Without --only and --target, every
run. Earlier runs stay in results/<stack>/; the new one records --reason.

  --stack <name>     the stack (default: testbed)
  --only <id>        runs of this benchmark (repeatable), e.g. --only openssl-speed
  --target <t>       runs on this target: a server, server/platform or
                     server/platform/guest (repeatable), e.g. --target local/kvm
  --reason <text>    why, recorded with the run (default: the command line)
  --dry-run          say which runs, measure nothing

An interleaved run (a server's targets taking turns with bare metal) is
measured again whole: its targets only compare with bare metal inside it.
Then: npm run report -- --stack <name>, or --compare it with the run before.
`;

/** A benchmark run of the stack, as its state has it. */
export interface RunResource {
  urn: string;
  step: string;
  benchmark: string;
  /** The targets it measures ("server/platform/guest"). */
  targets: string[];
  /**
   * Runs started together, as guests at once are when the server cannot take
   * turns into them: the same benchmark on one platform, after the same steps.
   */
  together?: string;
}

interface Resource {
  urn: string;
  type: string;
  dependencies?: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** The benchmark runs in `pulumi stack export`'s deployment. */
export function runsOf(exported: unknown): RunResource[] {
  const resources =
    (exported as { deployment?: { resources?: Resource[] } }).deployment?.resources ?? [];
  return resources
    .filter((r) => r.type === "pulumi-nodejs:dynamic/testbed:Command" && r.urn.endsWith("-trials"))
    .flatMap((r) => {
      const o = { ...(r.inputs ?? {}), ...(r.outputs ?? {}) } as {
        step?: unknown;
        rounds?: Rounds;
      };
      if (typeof o.step !== "string") return [];
      if (o.rounds) {
        // An interleaved run: one Command for all the server's targets, which take turns.
        const m = interleavedStep.exec(o.step);
        return m
          ? [{ urn: r.urn, step: o.step, benchmark: m[1], targets: o.rounds.targets ?? [] }]
          : [];
      }
      try {
        const b = benchmarkStep({ step: o.step });
        if (b.kind !== "alone") return [];
        const [server, platform] = b.target.split("/");
        const after = [...(r.dependencies ?? [])].sort().join(" ");
        return [
          {
            urn: r.urn,
            step: o.step,
            benchmark: b.benchmark,
            targets: [b.target],
            together: `${server}/${platform} ${b.benchmark} after ${after}`,
          },
        ];
      } catch {
        return [];
      }
    });
}

/** A target matches a --target given as a server, server/platform or server/platform/guest. */
const within = (target: string, spec: string) => target === spec || target.startsWith(`${spec}/`);

/** The runs that --only and --target select (all when neither is given), or why none. */
export function select(
  runs: readonly RunResource[],
  only: readonly string[],
  targets: readonly string[],
): RunResource[] {
  const picked: RunResource[] = runs.filter(
    (r) =>
      (only.length === 0 || only.includes(r.benchmark)) &&
      (targets.length === 0 || r.targets.some((t) => targets.some((s) => within(t, s)))),
  );
  // Guests that ran at once are measured again at once: one alone would be summed with the others' old trials.
  for (const r of [...picked]) {
    const group = runs.filter((x) => r.together !== undefined && x.together === r.together);
    if (group.length > 1) for (const x of group) if (!picked.includes(x)) picked.push(x);
  }
  if (picked.length === 0) {
    const known = [...new Set(runs.map((r) => r.benchmark))].join(", ") || "none";
    const on = [...new Set(runs.flatMap((r) => r.targets))].join(", ") || "none";
    throw new Error(
      runs.length === 0
        ? "the stack has no benchmark run yet: run `up` first (npm run testbed for the default stack)"
        : `no run of ${only.length ? only.join(", ") : "any benchmark"}${targets.length ? ` on ${targets.join(", ")}` : ""}: ` +
            `the stack's benchmarks are ${known}; its targets ${on}`,
    );
  }
  return picked;
}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** Runs scripts/pulumi.sh with these arguments: its exit code and stdout (stderr shown as it comes). */
export type Pulumi = (
  args: string[],
  env?: Record<string, string>,
  show?: boolean,
) => { code: number; out: string };

const root = path.join(__dirname, "..");
const realPulumi: Pulumi = (args, env = {}, show = false) => {
  const r = spawnSync("bash", [path.join(root, "scripts", "pulumi.sh"), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    maxBuffer: 1024 * 1024 * 1024,
    stdio: ["ignore", show ? "inherit" : "pipe", "inherit"],
  });
  return { code: r.status ?? 1, out: r.stdout ?? "" };
};

export function main(argv: string[], io: Io, pulumi: Pulumi = realPulumi): number {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", default: "testbed" },
        only: { type: "string", multiple: true, default: [] },
        target: { type: "string", multiple: true, default: [] },
        reason: { type: "string" },
        "dry-run": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    io.err(`measure: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (o.help) {
    io.out(help);
    return 0;
  }
  const stack = o.stack!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(stack)) {
    io.err(`measure: --stack ${JSON.stringify(stack)}: not a stack name\n`);
    return 2;
  }
  const exported = pulumi(["stack", "export", "--stack", stack]);
  if (exported.code !== 0) {
    io.err(
      `measure: could not read stack ${stack}'s state (does it exist? npm run pulumi -- stack ls)\n`,
    );
    return 1;
  }
  let picked: RunResource[];
  try {
    picked = select(runsOf(JSON.parse(exported.out)), o.only!, o.target!);
  } catch (e) {
    io.err(`measure: ${(e as Error).message}\n`);
    return 1;
  }
  io.out(`measuring again (${picked.length}):\n${picked.map((r) => `  ${r.step}\n`).join("")}`);
  if (o["dry-run"]) return 0;
  const reason = (o.reason ?? `npm run measure -- ${argv.join(" ")}`.trim())
    .replace(/\p{Cc}/gu, " ")
    .slice(0, 500);
  const up = pulumi(
    [
      "up",
      "--yes",
      "--continue-on-error",
      "--stack",
      stack,
      ...picked.flatMap((r) => ["--replace", r.urn]),
    ],
    { VTB_MEASURE_REASON: reason },
    true,
  );
  if (up.code === 0) io.out(`then: npm run report -- --stack ${stack}\n`);
  return up.code === 0 ? 0 : 1;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
