import { spawnSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as path from "path";
import { benchmarks } from "../../../benchmarks";
import {
  envNames,
  envReaders,
  groupGuestWay,
  markerFunctions,
  markerLine,
  markers,
  notRunLine,
  runnerHandOver,
  wayFields,
  wayPrefixes,
  wayReaders,
  wayVariable,
} from "../../../components/measure/protocol";
import {
  rerunPattern,
  rerunPatternFor,
  runner,
  trialEnvironment,
} from "../../../components/measure/run";
import { parseTrials } from "../../../components/measure/trials";
import { wayEnv, wayInScript, withWayIn } from "../../../components/measure/way-in";

// The runner protocol (components/measure/protocol.ts) against the bash
// scripts that speak it, and runner_text's allow-list, run for real.

const dir = path.join(__dirname, "..", "..", "..", "components", "measure");
const read = (file: string) => fs.readFileSync(path.join(dir, file), "utf8");
const scripts = fs.readdirSync(dir).filter((f) => f.endsWith(".sh"));

const bash = (script: string, env: Record<string, string>, input?: string) =>
  spawnSync("bash", ["-c", script], {
    // Nothing of this process's environment: only what the test gives (SHLVL: no
    // ~/.bashrc, which bash reads when its stdin is a socket, as node's pipes are).
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SHLVL: "1", ...env },
    input,
    encoding: "utf8",
  });

describe("the markers", () => {
  it("are the lines archived runs hold", () => {
    expect(markerLine(markers.trial, 1)).toBe("@@@ trial 1");
    expect(markerLine(markers.stderr, 2)).toBe("@@@ stderr 2");
    expect(markerLine(markers.end, 2, 0, "1.500")).toBe("@@@ end 2 rc=0 seconds=1.500");
    expect(markerLine(markers.guest, 0)).toBe("@@@ guest 0");
    expect(markerLine(markers.guestFailed, 2, 255)).toBe("@@@ guest-failed 2 rc=255");
    expect(markerLine(markers.guestEnd, 2)).toBe("@@@ guest-end 2");
    expect(notRunLine).toBe("@@@ not run");
  });

  it("make the rerun patterns existing stacks hold (one that matched their outputs otherwise would rerun runs)", () => {
    // An end line is read also after a tool's unterminated last line (afterOutput).
    expect(rerunPattern).toBe("@@@ end \\d+ rc=[1-9]|^@@@ not run|^@@@ guest-failed");
    expect(rerunPatternFor(3)).toBe(
      "@@@ end \\d+ rc=[1-9]|^@@@ not run|^@@@ guest-failed" +
        "|(?<![\\s\\S])(?![\\s\\S]*@@@ end 3 rc=)|^@@@ trial (\\d+)$(?![\\s\\S]*@@@ end \\1 rc=)",
    );
  });

  it("are read where a tool's last line had no newline: its output whole, nothing taken for cut", () => {
    const m = {
      id: "x",
      parse: (raw: string) => {
        if (raw !== "value 1") throw new Error(`not the tool's output: ${JSON.stringify(raw)}`);
        return { benchmark: "x", toolVersion: "1", metrics: [] };
      },
    };
    const run = (script: string) =>
      bash(runner, { VTB_TRIALS: "2", VTB_TRIAL_TIMEOUT: "10", VTB_BENCH_SCRIPT: script }).stdout;
    const ok = run('printf "value 1"');
    expect(ok).toMatch(/^value 1@@@ end 1 rc=0 /m);
    expect(parseTrials(m, ok, {}, 2).map((t) => [t.raw, t.error])).toEqual([
      ["value 1", undefined],
      ["value 1", undefined],
    ]);
    expect(new RegExp(rerunPatternFor(2), "m").test(ok)).toBe(false);
    // A trial that succeeded and wrote on stderr: kept, also without its newline.
    const warned = run('printf "value 1"; printf warning >&2');
    expect(warned).toMatch(/^value 1@@@ stderr 1\nwarning@@@ end 1 rc=0 /m);
    expect(parseTrials(m, warned, {}, 2).map((t) => [t.raw, t.stderr, t.error])).toEqual([
      ["value 1", "warning", undefined],
      ["value 1", "warning", undefined],
    ]);
    expect(new RegExp(rerunPatternFor(2), "m").test(warned)).toBe(false);
    const failed = run('printf "value 1"; printf "no newline" >&2; exit 3');
    expect(parseTrials(m, failed, {}, 2).map((t) => [t.raw, t.error])).toEqual([
      ["value 1", "exited with code 3: no newline"],
      ["value 1", "exited with code 3: no newline"],
    ]);
    expect(new RegExp(rerunPatternFor(2), "m").test(failed)).toBe(true);
  });

  it("are printed in bash by the generated functions exactly as the parsers read them", () => {
    const calls = Object.values(markers).map((m) => {
      const values = m.fields.map((_, i) => `${i + 7}`);
      return {
        call: [m.bashFunction, "3", ...values].join(" "),
        line: markerLine(m, 3, ...values),
      };
    });
    const r = bash(`${markerFunctions}\n${calls.map((c) => c.call).join("\n")}`, {});
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(calls.map((c) => `${c.line}\n`).join(""));
  });

  it("are written by the scripts through those functions only, each function used", () => {
    const used = new Set<string>();
    for (const f of scripts) {
      const text = read(f);
      expect({ f, literal: text.includes("@@@") }).toEqual({ f, literal: false });
      for (const m of text.matchAll(/\bmark_[a-z_]+/g)) used.add(m[0]);
    }
    expect([...used].sort()).toEqual(
      Object.values(markers)
        .map((m) => m.bashFunction)
        .sort(),
    );
  });
});

describe("the scripts and the protocol's names", () => {
  const names = Object.entries(envNames) as [keyof typeof envNames, string][];
  const ways = Object.entries(wayPrefixes) as [keyof typeof wayPrefixes, string][];

  it.each(scripts)("%s reads exactly the variables protocol.ts says it reads", (f) => {
    const text = read(f);
    const found = new Set([...text.matchAll(/\bVTB_[A-Za-z0-9_]*/g)].map((m) => m[0]));
    const reads = names.filter(([k]) => envReaders[k].includes(f)).map(([, n]) => n);
    const goesIn = ways.filter(([k]) => wayReaders[k].includes(f)).map(([, p]) => p);
    // A way's own fields may be named too (pair.sh's message names VTB_CLIENT_VIA).
    const fields = goesIn.flatMap((p) => Object.values(wayFields).map((w) => wayVariable(p, w)));
    expect([...found].filter((n) => ![...reads, ...goesIn, ...fields].includes(n))).toEqual([]);
    expect([...reads, ...goesIn].filter((n) => !found.has(n))).toEqual([]);
  });

  it("names every reader script that exists", () => {
    const all = [...Object.values(envReaders), ...Object.values(wayReaders)].flat();
    expect(all.filter((f) => !scripts.includes(f))).toEqual([]);
  });

  it("has way_in read a way's fields as protocol.ts names them, and refuse its key", () => {
    const text = read("way-in.sh");
    const read1 = new Set([...text.matchAll(/"\$\{1\}_([A-Z_]+)"/g)].map((m) => m[1]));
    expect([...read1].sort()).toEqual(Object.values(wayFields).sort());
    expect(text).toContain(`== *_${wayFields.sshKey} ]]`);
  });

  it("leaves no protocol literal in the TypeScript that speaks it", () => {
    for (const f of [
      "trials.ts",
      "interleaved.ts",
      "interleaved-output.ts",
      "run.ts",
      "way-in.ts",
    ]) {
      const code = read(f).replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
      expect({ f, literals: code.match(/@@@|VTB_|_SSH_KEY/g) }).toEqual({ f, literals: null });
    }
  });
});

describe("runner_text: the runner and exactly the variables it needs", () => {
  // Each benchmark's trial environment, with the parameters a user must give set.
  const userGiven: Record<string, object> = {
    unixbench: { source: { path: "/srv/unixbench.tgz" } },
    hepspec06: { spec2006Path: "/opt/spec2006" },
  };
  const trials = Object.values(benchmarks).map((m) => ({
    id: m.id,
    env: trialEnvironment(
      m,
      m.parameters.parse({ ...(m.quick as object), ...userGiven[m.id] }),
      2,
      30,
    ) as Record<string, string>,
  }));
  // What a value can hold: quotes, a newline, expansions that must not run.
  const tricky = { VTB_TRICKY: "a'b\"c $(echo ran) `echo ran` ${HOME}\nsecond line\\" };

  /** The step's shell, as group.sh or enter.sh makes it: runner_text's text, then what the target sees. */
  const handOver = (env: Record<string, string>) => {
    const r = bash(
      `${wayInScript}\ntext="$(runner_text)" || exit $?\n` +
        `printf '%s\\0' "$text"\nprintf '%s\\n' "$text" | env -i bash -s\n`,
      env,
    );
    const [text, ...inTarget] = r.stdout.split("\0");
    const target = new Map(
      inTarget
        .filter((e) => e)
        .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]),
    );
    return { ...r, text, target };
  };
  const exported = (text: string) =>
    [...text.matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1]).sort();

  it.each(trials)("takes all of $id's variables into the target, and only them", ({ env }) => {
    const trial = { ...env, ...tricky };
    const ways = {
      ...Object.fromEntries(
        [
          wayPrefixes.container,
          wayPrefixes.pairServer,
          wayPrefixes.pairClient,
          groupGuestWay(0),
        ].map((p) => [wayVariable(p, wayFields.via), "ssh"]),
      ),
      [wayVariable(groupGuestWay(0), wayFields.sshKey)]: "-----BEGIN OPENSSH PRIVATE KEY----- g0",
    };
    // runner: the target's shell prints its environment.
    const r = handOver({ ...trial, ...runnerHandOver("env -0", trial, ways), ...ways });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(exported(r.text)).toEqual(Object.keys(trial).sort());
    for (const [k, v] of Object.entries(trial)) expect([k, r.target.get(k)]).toEqual([k, v]);
    expect(r.stdout).not.toContain("PRIVATE KEY");
    expect([...r.target.keys()].filter((k) => k.startsWith("VTB_") && !(k in trial))).toEqual([]);
  });

  it("never takes a <prefix>_SSH_KEY into the target, whatever the prefix, nor any way's variable", () => {
    const trial = { ...trials[0].env, ...tricky };
    const prefix = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,14}$/);
    fc.assert(
      fc.property(fc.uniqueArray(prefix, { minLength: 1, maxLength: 6 }), (random) => {
        const prefixes = [
          ...random,
          wayPrefixes.container,
          groupGuestWay(12),
          "VTB_NEW_WAY",
          "BENCH",
          "VTB",
        ];
        const ways: Record<string, string> = {};
        prefixes.forEach((p, i) => {
          ways[wayVariable(p, wayFields.via)] = "ssh";
          ways[wayVariable(p, wayFields.sshHost)] = `host-of-way-${i}`;
          ways[wayVariable(p, wayFields.sshKey)] = `-----BEGIN OPENSSH PRIVATE KEY-----\nkey-${i}`;
        });
        // A random prefix may name one of the trial's own variables: that one is the trial's.
        for (const k of Object.keys(trial)) delete ways[k];
        const r = handOver({ ...trial, ...runnerHandOver("env -0", trial, ways), ...ways });
        expect(r.status).toBe(0);
        expect(r.stdout).not.toContain("PRIVATE KEY");
        expect(r.stdout).not.toMatch(/key-\d|host-of-way-\d/);
        expect([...r.target.keys()].filter((k) => k in ways)).toEqual([]);
        expect(exported(r.text)).toEqual(Object.keys(trial).sort());
      }),
      { seed: 20090615, numRuns: 20 },
    );
  });

  it("hands enter.sh's target the runner, which runs the trials with the benchmark's variables", () => {
    // A benchmark whose trial prints the environment it was given.
    const printsEnv = {
      ...Object.values(benchmarks)[0],
      id: "env",
      script: 'echo "given: $VTB_GIVEN"; env | cut -d= -f1 | sort',
      environment: () => ({ VTB_GIVEN: "yes" }),
    };
    const trial = trialEnvironment(printsEnv, {}, 2, 30) as Record<string, string>;
    // The way in is this machine (bash -s): a shell that inherits the step's
    // environment anyway, so what runner_text leaves out is checked above.
    const ways = wayEnv(wayPrefixes.container, { via: "host" }) as Record<string, string>;
    const r = bash(withWayIn("enter.sh"), {
      ...trial,
      ...runnerHandOver(runner, trial, ways),
      ...ways,
    });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    const raw = parseTrials({ id: "env", parse: (raw) => ({ raw }) as never }, r.stdout, {}, 2);
    expect(raw.map((t) => [t.index, t.exitCode, t.error])).toEqual([
      [1, 0, undefined],
      [2, 0, undefined],
    ]);
    expect(raw[0].raw).toMatch(/^given: yes\n/);
    expect(raw[0].raw.split("\n").slice(1)).toEqual(expect.arrayContaining(Object.keys(trial)));
  });

  it("refuses a list that names a key or not a variable, before printing anything", () => {
    const base = { VTB_RUNNER: "echo runner", VTB_TRIALS: "2", VTB_G0_SSH_KEY: "PRIVATE KEY" };
    for (const list of ["VTB_TRIALS VTB_G0_SSH_KEY", "ANY_SSH_KEY", "VTB_TRIALS $(id)"]) {
      const r = bash(`${wayInScript}\nrunner_text`, { ...base, VTB_RUNNER_ENV: list });
      expect({ list, status: r.status, stdout: r.stdout }).toEqual({ list, status: 2, stdout: "" });
      expect(r.stderr).toMatch(/^runner_text: not the runner's to take into the target: /);
    }
    const r = bash(`${wayInScript}\nrunner_text`, base);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 2, stdout: "" });
    expect(r.stderr).toBe("runner_text: VTB_RUNNER_ENV is not set\n");
  });

  it("is handed a list built from the trial's environment only (runnerHandOver)", () => {
    const trial = { VTB_TRIALS: "2", UB_TESTS: "index" };
    const ways = { VTB_IN_VIA: "lxc", VTB_IN_NAME: "ct" };
    expect(runnerHandOver("r", trial, ways)).toEqual({
      [envNames.runner]: "r",
      [envNames.runnerEnv]: "VTB_TRIALS UB_TESTS",
    });
    expect(() => runnerHandOver("r", { ...trial, VTB_NEW_SSH_KEY: "k" }, ways)).toThrow(
      /VTB_NEW_SSH_KEY is a way's variable/,
    );
    expect(() => runnerHandOver("r", { ...trial, VTB_IN_NAME: "ct" }, ways)).toThrow(
      /VTB_IN_NAME is a way's variable/,
    );
    expect(() => runnerHandOver("r", { "A B": "x" }, ways)).toThrow(/not a variable name/);
    expect(() => runnerHandOver("r", { [envNames.runnerEnv]: "x" }, ways)).toThrow(
      /hand-over's own/,
    );
  });
});
