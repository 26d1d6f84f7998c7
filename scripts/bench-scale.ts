// npm run bench:scale -- [--sizes 1,8,64,256] [--repeats 3] [--benchmarks ab,bonnie,...]
//                        [--guests 8] [--max-memory-mib M] [--timeout-minutes 60]
//                        [--label name] [--keep]
//
// The harness's own cost at scale: `pulumi preview` of synthetic testbeds of
// N servers, each with bare metal and a kvm platform (accel forced, so no
// probe is waited for) of 8 guests, measured with every benchmark, 3 trials
// each. The servers are SSH hosts under the reserved .invalid TLD and a
// preview connects to nothing. Each size is previewed R times; for each run
// the wall time and the peak memory of the whole process tree (the CLI, the
// Node.js language host, the dynamic provider and the libvirt provider
// plugins) are recorded. Prints a table and writes the figures as JSON to
// results/bench-scale/<timestamp>.json. A benchmark of the harness, not a
// test: it prints figures and asserts nothing.
//
// Memory: every 100 ms the RSS of every process under the preview is read
// from /proc (and every 500 ms the PSS) and summed; the peak of that sum is
// the figure. RSS counts shared pages once per process (an upper bound); PSS
// splits them (the tree's real share). `/usr/bin/time -v`'s "Maximum resident set size" is the
// largest single process only, kept as `largestProcessMiB`.
import { spawn, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { benchmarkIds } from "../benchmarks";
import { median } from "../components/results/stats";
import { resourceSteps, textTable } from "./figures";

const root = path.join(__dirname, "..");
const pulumiSh = path.join(root, "scripts", "pulumi.sh");

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,8,64,256" },
    repeats: { type: "string", default: "3" },
    guests: { type: "string", default: "8" },
    benchmarks: { type: "string", default: benchmarkIds.join(",") },
    "timeout-minutes": { type: "string", default: "60" },
    // A preview past this much memory (the tree's RSS) is stopped, so it cannot
    // push the machine into swap or the OOM killer; default 70% of MemAvailable.
    "max-memory-mib": { type: "string" },
    label: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
  },
});
const sizes = values.sizes.split(",").map((s) => Number(s.trim()));
const repeats = Number(values.repeats);
const guestCount = Number(values.guests);
const benchIds = values.benchmarks.split(",").filter((b) => b !== "");
const timeoutMs = Number(values["timeout-minutes"]) * 60_000;
const memAvailableMiB =
  Number(/^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) /
  1024;
const maxMemoryMiB = Number(values["max-memory-mib"] ?? Math.floor(memAvailableMiB * 0.7));
if (
  sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 999) ||
  !Number.isInteger(repeats) ||
  repeats < 1 ||
  !Number.isInteger(guestCount) ||
  guestCount < 1 ||
  guestCount > 64
) {
  process.stderr.write("bench-scale: --sizes n,n,... (1-999), --repeats >= 1, --guests 1-64\n");
  process.exit(2);
}
for (const b of benchIds) {
  if (!benchmarkIds.includes(b)) {
    process.stderr.write(`bench-scale: unknown benchmark '${b}' (${benchmarkIds.join(", ")})\n`);
    process.exit(2);
  }
}
if (!fs.existsSync("/usr/bin/time")) {
  process.stderr.write("bench-scale: /usr/bin/time is missing: apt-get install time\n");
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-bench-scale-"));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  PULUMI_BACKEND_URL: `file://${path.join(tmp, "state")}`,
  PULUMI_CONFIG_PASSPHRASE: "",
  PULUMI_SKIP_UPDATE_CHECK: "true",
};
delete env.PULUMI_CONFIG_PASSPHRASE_FILE;

function pulumi(args: string[], input?: string): string {
  return execFileSync("bash", [pulumiSh, ...args], {
    cwd: root,
    env,
    encoding: "utf8",
    input,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

// Parameters the benchmarks cannot do without; placeholders are enough for a preview.
const required: Record<string, Record<string, unknown>> = {
  unixbench: { source: { path: "/opt/byte-unixbench.tar.gz" } },
  hepspec06: { spec2006Path: "/opt/spec2006" },
};

function testbedConfig(n: number) {
  return {
    benchmarks: benchIds.map((id) => ({
      id,
      repeats: 3,
      ...(required[id] ? { parameters: required[id] } : {}),
    })),
    // One group of identical blades, as a blade farm is configured: a list of
    // 256 servers would pass Linux's 128 KiB limit on one environment variable,
    // which is how Pulumi hands the config to the program (pulumi/pulumi#8680).
    servers: [
      {
        name: "blade",
        count: n,
        // Reserved by RFC 2606: never resolves, and a preview does not try.
        connection: { type: "ssh", host: n > 1 ? "blade-{n}.invalid" : "blade.invalid" },
        profile: "dual-e5420-blade",
        platforms: [
          { type: "baseline" },
          {
            type: "kvm",
            accel: "kvm",
            guests: [{ name: "vm", count: guestCount, vcpus: 1, memoryMiB: 1792 }],
          },
        ],
      },
    ],
  };
}

/** A throwaway stack whose config lives in tmp; only its (empty) stack file touches the project, briefly. */
function makeStack(n: number, privateKey: string): { stack: string; configFile: string } {
  const stack = `scale-${n}-${process.pid}`;
  pulumi(["stack", "init", stack, "--no-select"]);
  // stack init writes Pulumi.<stack>.yaml with a salt we do not use: the config file below has its own.
  fs.rmSync(path.join(root, `Pulumi.${stack}.yaml`), { force: true });
  const configFile = path.join(tmp, `Pulumi.${stack}.yaml`);
  fs.writeFileSync(configFile, "config: {}\n");
  pulumi(
    [
      "config",
      "set",
      "--secret",
      "--path",
      "testbed:sshKeys.blade",
      "--config-file",
      configFile,
      "--stack",
      stack,
    ],
    privateKey,
  );
  // The group's one key: its ciphertext, under the file's salt.
  const written = fs.readFileSync(configFile, "utf8");
  const secure = /secure: '?(v1:[A-Za-z0-9+/=:]+)/.exec(written)?.[1];
  const salt = /^encryptionsalt: (.*)$/m.exec(written)?.[1];
  if (!secure || !salt) throw new Error(`bench-scale: no secret in ${configFile}:\n${written}`);
  const cfg = testbedConfig(n);
  const sshKeys = { blade: { secure } };
  // JSON is YAML: one flow-style value per key.
  fs.writeFileSync(
    configFile,
    [
      "config:",
      `  testbed:benchmarks: ${JSON.stringify(cfg.benchmarks)}`,
      `  testbed:servers: ${JSON.stringify(cfg.servers)}`,
      `  testbed:sshKeys: ${JSON.stringify(sshKeys)}`,
      `encryptionsalt: ${salt}`,
      "",
    ].join("\n"),
  );
  return { stack, configFile };
}

// ---- the process tree's memory, from /proc ----

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid ...; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = kids.get(ppid) ?? [];
    list.push(Number(d));
    kids.set(ppid, list);
  }
  return kids;
}

function tree(pid: number): number[] {
  const kids = children();
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    const p = todo.pop() as number;
    out.push(p);
    todo.push(...(kids.get(p) ?? []));
  }
  return out;
}

/** RSS of a process in KiB (0 when it is gone): cheap, from statm. */
function rssKiB(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * (pageSize / 1024);
  } catch {
    return 0;
  }
}
const pageSize = 4096;

/** PSS of a process in KiB (0 when it is gone): the kernel walks its pages, so less often. */
function pssKiB(pid: number): number {
  try {
    const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(s)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const ticks = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far, or undefined when it is gone. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / ticks;
  } catch {
    return undefined;
  }
}

/** What a process of the preview is, from its command line. */
function role(pid: number): string {
  let cmd = "";
  try {
    cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "other";
  }
  if (/pulumi\/cmd\/run\b/.test(cmd)) return "program (node)";
  if (/dynamic-provider/.test(cmd)) return "dynamic provider (node)";
  if (/pulumi-resource-libvirt/.test(cmd)) return "libvirt providers";
  if (/pulumi-language-nodejs/.test(cmd)) return "language host";
  if (/\/pulumi (preview|up)\b/.test(cmd)) return "engine (pulumi CLI)";
  return "other";
}

interface Run {
  servers: number;
  repeat: number;
  ok: boolean;
  exitCode: number | null;
  wallSeconds: number;
  /** Peak of the summed RSS of every process in the tree. */
  peakTreeRssMiB: number;
  /** Peak of the summed PSS (shared pages split between the processes). */
  peakTreePssMiB: number;
  /** /usr/bin/time -v: the largest single process's peak RSS. */
  largestProcessMiB: number;
  /** Most processes seen at once in the tree. */
  processes: number;
  /** CPU seconds by role (the last value seen of each process, summed). */
  cpuSeconds: Record<string, number>;
  /** Each role's summed RSS at the moment the tree's RSS peaked. */
  atPeakRssMiB: Record<string, number>;
  /** Steps in the preview by operation (create, same, ...). */
  steps: Record<string, number>;
  resources: number;
  error?: string;
  /** Why the preview was stopped, if it was. */
  stopped?: string;
}

function preview(n: number, repeat: number, stack: string, configFile: string): Promise<Run> {
  const timeFile = path.join(tmp, "time.txt");
  const started = process.hrtime.bigint();
  const child = spawn(
    "/usr/bin/time",
    [
      "-v",
      "-o",
      timeFile,
      "bash",
      pulumiSh,
      "preview",
      "--non-interactive",
      "--stack",
      stack,
      "--config-file",
      configFile,
    ],
    { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => {
    // The summary is at the end; keep the tail only.
    out = (out + d.toString()).slice(-64 * 1024);
  });
  child.stderr.on("data", (d: Buffer) => {
    err = (err + d.toString()).slice(-64 * 1024);
  });
  let peakRss = 0;
  let peakPss = 0;
  let processes = 0;
  let atPeak: Record<string, number> = {};
  const cpu = new Map<number, { role: string; seconds: number }>();
  // Every 100 ms the RSS of the known processes; every 500 ms the process tree
  // again and the PSS. The sampler itself must stay light: it shares the cores.
  let tick = 0;
  let pids: number[] = [];
  const sample = () => {
    if (child.pid === undefined) return;
    const full = tick++ % 5 === 0;
    // The time process itself is left out: it is the measuring tool.
    if (full) pids = tree(child.pid).filter((p) => p !== child.pid);
    let rss = 0;
    let pss = 0;
    const byRole: Record<string, number> = {};
    for (const p of pids) {
      const r = rssKiB(p);
      rss += r;
      if (full) pss += pssKiB(p);
      const seen = cpu.get(p) ?? { role: role(p), seconds: 0 };
      seen.seconds = cpuSeconds(p) ?? seen.seconds;
      cpu.set(p, seen);
      byRole[seen.role] = (byRole[seen.role] ?? 0) + r / 1024;
    }
    if (rss > peakRss) atPeak = byRole;
    peakRss = Math.max(peakRss, rss);
    if (rss / 1024 > maxMemoryMiB) {
      stop(`stopped at ${(rss / 1024).toFixed(0)} MiB, past --max-memory-mib ${maxMemoryMiB}`);
    }
    peakPss = Math.max(peakPss, pss);
    processes = Math.max(processes, pids.length);
  };
  const timer = setInterval(sample, 100);
  let stopped: string | undefined;
  const stop = (why: string) => {
    if (stopped !== undefined || child.pid === undefined) return;
    stopped = why;
    for (const p of tree(child.pid).reverse()) {
      try {
        process.kill(p, "SIGKILL");
      } catch {
        // gone already
      }
    }
  };
  const killer = setTimeout(
    () => stop(`timed out after ${values["timeout-minutes"]} min`),
    timeoutMs,
  );
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearInterval(timer);
      clearTimeout(killer);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const timeOut = fs.existsSync(timeFile) ? fs.readFileSync(timeFile, "utf8") : "";
      const maxKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(timeOut)?.[1] ?? 0);
      const steps = resourceSteps(out);
      const ok = stopped === undefined && code === 0 && Object.keys(steps).length > 0;
      resolve({
        servers: n,
        repeat,
        ok,
        exitCode: code,
        wallSeconds,
        peakTreeRssMiB: peakRss / 1024,
        peakTreePssMiB: peakPss / 1024,
        largestProcessMiB: maxKiB / 1024,
        processes,
        cpuSeconds: [...cpu.values()].reduce<Record<string, number>>((acc, c) => {
          acc[c.role] = (acc[c.role] ?? 0) + c.seconds;
          return acc;
        }, {}),
        atPeakRssMiB: atPeak,
        steps,
        resources: Object.values(steps).reduce((a, b) => a + b, 0),
        ...(stopped ? { stopped } : {}),
        ...(ok
          ? {}
          : { error: `${stopped ?? ""}\n${err}${out}`.trim().split("\n").slice(-15).join("\n") }),
      });
    });
  });
}

// ---- figures ----

const describe = (m: Record<string, number>, digits: number) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v.toFixed(digits)}`)
    .join(", ");

const spread = (xs: number[]) => ({
  min: Math.min(...xs),
  median: median(xs),
  max: Math.max(...xs),
});
const fmt = (x: { min: number; median: number; max: number }, digits: number) =>
  `${x.min.toFixed(digits)}/${x.median.toFixed(digits)}/${x.max.toFixed(digits)}`;

type Spread = ReturnType<typeof spread>;
interface Summary {
  servers: number;
  /** Successful runs. */
  runs: number;
  figures?: {
    resources: number;
    wallSeconds: Spread;
    peakTreeRssMiB: Spread;
    peakTreePssMiB: Spread;
    largestProcessMiB: Spread;
    secondsPer100Resources: number;
    /** Medians over the runs, by role. */
    cpuSeconds: Record<string, number>;
    atPeakRssMiB: Record<string, number>;
  };
}

/** Per key, the median over the records that have it. */
function medians(records: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(
    keys.map((k) => [k, median(records.flatMap((r) => (k in r ? [r[k]] : [])))]),
  );
}

async function main(): Promise<void> {
  const keyFile = path.join(tmp, "id_ed25519");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "bench-scale", "-f", keyFile]);
  const privateKey = fs.readFileSync(keyFile, "utf8");
  const version = pulumi(["version"]).trim();
  const runs: Run[] = [];
  const stacks: string[] = [];
  process.stderr.write(
    `bench-scale: sizes ${sizes.join(",")}, ${repeats} repeat(s), ${guestCount} guests per server, ` +
      `benchmarks ${benchIds.join(",")}; pulumi ${version}; memory limit ${maxMemoryMiB} MiB; work dir ${tmp}\n`,
  );
  try {
    let tooBig: number | undefined;
    for (const n of sizes) {
      // A size that ran out of memory: larger ones would too.
      if (tooBig !== undefined && n >= tooBig) {
        process.stderr.write(`  ${n} servers: skipped (${tooBig} servers ran out of memory)\n`);
        continue;
      }
      const { stack, configFile } = makeStack(n, privateKey);
      stacks.push(stack);
      for (let r = 1; r <= repeats; r++) {
        const run = await preview(n, r, stack, configFile);
        runs.push(run);
        process.stderr.write(
          `  ${n} servers, run ${r}: ${run.ok ? "ok" : `FAILED (exit ${run.exitCode})`}, ` +
            `${run.resources} resources, ${run.wallSeconds.toFixed(1)} s, ` +
            `tree RSS ${run.peakTreeRssMiB.toFixed(0)} MiB, PSS ${run.peakTreePssMiB.toFixed(0)} MiB, ` +
            `largest process ${run.largestProcessMiB.toFixed(0)} MiB, ${run.processes} processes\n` +
            `    CPU s: ${describe(run.cpuSeconds, 1)}\n    RSS MiB at the peak: ${describe(run.atPeakRssMiB, 0)}\n`,
        );
        if (!run.ok) process.stderr.write(`${run.error}\n`);
        if (run.stopped?.includes("max-memory")) {
          tooBig = n;
          break;
        }
        // A preview that failed on its own fails the same way again.
        if (!run.ok) break;
      }
    }
  } finally {
    for (const s of stacks) {
      try {
        pulumi(["stack", "rm", "--yes", "--force", "--stack", s]);
      } catch {
        // best effort: the backend is in tmp anyway
      }
      fs.rmSync(path.join(root, `Pulumi.${s}.yaml`), { force: true });
    }
    if (!values.keep) fs.rmSync(tmp, { recursive: true, force: true });
  }

  const summary = sizes.map((n): Summary => {
    const rs = runs.filter((r) => r.servers === n && r.ok);
    if (rs.length === 0) return { servers: n, runs: 0 };
    const resources = median(rs.map((r) => r.resources));
    const wall = spread(rs.map((r) => r.wallSeconds));
    return {
      servers: n,
      runs: rs.length,
      figures: {
        resources,
        wallSeconds: wall,
        peakTreeRssMiB: spread(rs.map((r) => r.peakTreeRssMiB)),
        peakTreePssMiB: spread(rs.map((r) => r.peakTreePssMiB)),
        largestProcessMiB: spread(rs.map((r) => r.largestProcessMiB)),
        secondsPer100Resources: (wall.median / resources) * 100,
        cpuSeconds: medians(rs.map((r) => r.cpuSeconds)),
        atPeakRssMiB: medians(rs.map((r) => r.atPeakRssMiB)),
      },
    };
  });
  const failure = (n: number) => {
    const r = runs.find((x) => x.servers === n);
    if (r === undefined) return "skipped";
    if (r.stopped) return r.stopped;
    // The engine's one-line reason, e.g. "fork/exec /usr/bin/node: argument list too long".
    const why = /error: (?:an unhandled error occurred: )?(.*)$/m.exec(r.error ?? "")?.[1] ?? "";
    return `failed (exit ${r.exitCode}${why ? `: ${why.replace(/^.*: (?=[^:]+$)/, "")}` : ""})`;
  };
  const rows = [
    [
      "servers",
      "resources",
      "wall s min/med/max",
      "tree RSS MiB min/med/max",
      "tree PSS MiB min/med/max",
      "s/100 res",
    ],
    ...summary.map((s) =>
      s.figures
        ? [
            String(s.servers),
            String(s.figures.resources),
            fmt(s.figures.wallSeconds, 1),
            fmt(s.figures.peakTreeRssMiB, 0),
            fmt(s.figures.peakTreePssMiB, 0),
            s.figures.secondsPer100Resources.toFixed(2),
          ]
        : [String(s.servers), "-", failure(s.servers), "-", "-", "-"],
    ),
  ];
  process.stdout.write(`${textTable(rows)}\n`);
  process.stdout.write("\nwhere it goes (medians):\n");
  for (const s of summary) {
    if (!s.figures) continue;
    process.stdout.write(
      `  ${s.servers} servers: CPU s: ${describe(s.figures.cpuSeconds, 1)}\n` +
        `  ${" ".repeat(String(s.servers).length)}          RSS MiB at the peak: ${describe(s.figures.atPeakRssMiB, 0)}\n`,
    );
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dir = path.join(root, "results", "bench-scale");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp}${values.label ? `-${values.label}` : ""}.json`);
  const commit = (() => {
    try {
      const git = (...args: string[]) =>
        execFileSync("git", args, {
          cwd: root,
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        });
      return (
        git("rev-parse", "--short", "HEAD").trim() +
        (git("status", "--porcelain") ? " (dirty)" : "")
      );
    } catch {
      return "unknown";
    }
  })();
  fs.writeFileSync(
    file,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        label: values.label,
        commit,
        pulumi: version,
        node: process.version,
        cpus: os.cpus().length,
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        loadAverage: os.loadavg(),
        heavyLock: fs.existsSync("/tmp/vtb-heavy.lock"),
        sizes,
        repeats,
        guestsPerServer: guestCount,
        benchmarks: benchIds,
        memoryMethod:
          "peak of the summed RSS (/proc/<pid>/statm, every 100 ms) and PSS (/proc/<pid>/smaps_rollup, every 500 ms) of every process under the preview",
        summary,
        runs,
      },
      null,
      2,
    ) + "\n",
  );
  process.stdout.write(`figures: ${path.relative(root, file)}\n`);
  if (runs.some((r) => !r.ok)) process.exitCode = 1;
}

main().catch((e: unknown) => {
  process.stderr.write(`bench-scale: ${(e as Error).message}\n`);
  process.exit(1);
});
