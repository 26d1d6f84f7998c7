// `npm run measure`: which runs of a stack's state it measures again, and the
// `pulumi up` it makes of them (its real run is in docs and the closing note).
import { outcomeText } from "../../report/document";
import { main, runsOf, select } from "../../scripts/measure";

const command = "pulumi-nodejs:dynamic/testbed:Command";
const urn = (name: string) =>
  `urn:pulumi:testbed::virt-testbed::testbed:server:PhysicalServer$${command}::${name}`;
const exported = {
  deployment: {
    resources: [
      {
        urn: urn("local-openssl-speed-trials"),
        type: command,
        inputs: { step: "local: openssl-speed on 3 targets, interleaved (3 rounds)" },
        outputs: {
          step: "local: openssl-speed on 3 targets, interleaved (3 rounds)",
          rounds: {
            order: ["0 1 2"],
            min: 3,
            targets: ["local/baseline/host", "local/lxc/ct", "local/kvm/vm"],
          },
        },
      },
      {
        urn: urn("local-kvm-vm-iperf3-trials"),
        type: command,
        outputs: { step: "local/kvm/vm: iperf3 from local/baseline/host (3 trials)" },
      },
      {
        urn: urn("blade-plain-kernel-bonnie-trials"),
        type: command,
        outputs: { step: "blade/baseline/host: bonnie (3 trials)" },
      },
      // A pair benchmark's guests at once: a Command each, started after the same step.
      {
        urn: urn("blade-kvm-vm-0-iperf-trials"),
        type: command,
        dependencies: [urn("blade-kvm-vm-0-ssh"), urn("blade-plain-kernel-bonnie-trials")],
        outputs: { step: "blade/kvm/vm-0: iperf from blade/baseline/host (3 trials)" },
      },
      {
        urn: urn("blade-kvm-vm-1-iperf-trials"),
        type: command,
        dependencies: [urn("blade-plain-kernel-bonnie-trials"), urn("blade-kvm-vm-0-ssh")],
        outputs: { step: "blade/kvm/vm-1: iperf from blade/baseline/host (3 trials)" },
      },
      { urn: urn("local-facts"), type: command, outputs: { step: "server local: gather facts" } },
      {
        urn: "urn:pulumi:testbed::virt-testbed::pulumi:pulumi:Stack::x-trials",
        type: "pulumi:pulumi:Stack",
      },
    ],
  },
};

describe("npm run measure", () => {
  const runs = runsOf(exported);

  it("finds the stack's benchmark runs and what each measures", () => {
    expect(runs.map((r) => [r.benchmark, r.targets])).toEqual([
      ["openssl-speed", ["local/baseline/host", "local/lxc/ct", "local/kvm/vm"]],
      ["iperf3", ["local/kvm/vm"]],
      ["bonnie", ["blade/baseline/host"]],
      ["iperf", ["blade/kvm/vm-0"]],
      ["iperf", ["blade/kvm/vm-1"]],
    ]);
  });

  it("measures guests that ran at once again together, never one alone", () => {
    const picked = select(runs, [], ["blade/kvm/vm-1"]).map((r) => r.targets[0]);
    expect(picked.sort()).toEqual(["blade/kvm/vm-0", "blade/kvm/vm-1"]);
  });

  it("selects by benchmark and by target (server, server/platform, server/platform/guest)", () => {
    const names = (only: string[], targets: string[]) =>
      select(runs, only, targets).map((r) => r.benchmark);
    expect(names([], [])).toEqual(["openssl-speed", "iperf3", "bonnie", "iperf", "iperf"]);
    expect(names(["bonnie"], [])).toEqual(["bonnie"]);
    expect(names([], ["local/kvm"])).toEqual(["openssl-speed", "iperf3"]);
    expect(names(["iperf3"], ["local/kvm/vm"])).toEqual(["iperf3"]);
    expect(names([], ["blade/baseline"])).toEqual(["bonnie"]);
    // "local/kv" is not a platform: no prefix match inside a name.
    expect(() => names([], ["local/kv"])).toThrow(
      /no run of any benchmark on local\/kv: the stack's benchmarks are openssl-speed, iperf3, bonnie, iperf; its targets local\/baseline\/host, /,
    );
    expect(() => select([], [], [])).toThrow(/no benchmark run yet/);
  });

  it("replaces exactly those runs, with --continue-on-error and the reason recorded", () => {
    const calls: { args: string[]; env?: Record<string, string> }[] = [];
    let out = "";
    const pulumi = (args: string[], env?: Record<string, string>) => {
      calls.push({ args, env });
      return args[0] === "stack"
        ? { code: 0, out: JSON.stringify(exported) }
        : { code: 0, out: "" };
    };
    const io = { out: (s: string) => (out += s), err: (s: string) => (out += s) };
    expect(main(["--only", "iperf3", "--reason", "reset in trial 2"], io, pulumi)).toBe(0);
    expect(calls[0].args).toEqual(["stack", "export", "--stack", "testbed"]);
    expect(calls[1].args).toEqual([
      "up",
      "--yes",
      "--continue-on-error",
      "--stack",
      "testbed",
      "--replace",
      urn("local-kvm-vm-iperf3-trials"),
    ]);
    expect(calls[1].env).toEqual({ VTB_MEASURE_REASON: "reset in trial 2" });
    expect(out).toMatch(
      /measuring again \(1\):\n {2}local\/kvm\/vm: iperf3 from local\/baseline\/host \(3 trials\)\n/,
    );

    calls.length = 0;
    expect(main(["--target", "local", "--dry-run", "--stack", "other"], io, pulumi)).toBe(0);
    expect(calls.map((c) => c.args[0])).toEqual(["stack"]);
    expect(main(["--stack", "a b"], io, pulumi)).toBe(2);
    expect(main(["--onyl", "x"], io, pulumi)).toBe(2);
  });
});

describe("a run measured again", () => {
  it("says why in the report's line of its trials", () => {
    const o = {
      status: "ok" as const,
      toolVersion: "3.12",
      trials: [{ index: 1, exitCode: 0, seconds: 2 }],
      metrics: {},
      measured: { startedAt: "2026-12-04T00:00:00Z", reason: "reset in trial 2" },
    };
    expect(outcomeText(o)).toMatch(/measured again: reset in trial 2/);
    expect(outcomeText({ ...o, measured: { startedAt: "x" } })).not.toMatch(/measured again/);
  });
});
