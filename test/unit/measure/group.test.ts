import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { BenchmarkModule, ParseError } from "../../../benchmarks/types";
import { runScript } from "../../../components/command";
import { ConcurrentRun, guestSections } from "../../../components/measure/group";
import { runnerHandOver } from "../../../components/measure/protocol";
import { runner } from "../../../components/measure/run";
import { Target } from "../../../components/measure/target";
import { withWayIn } from "../../../components/measure/way-in";
import { freePort, startSshd, TestSshd } from "../../helpers/sshd";

// A benchmark whose trial prints when it started and ended, on this machine's clock.
const clock: BenchmarkModule = {
  id: "clock",
  description: "start and end of a one-second sleep",
  packages: [],
  parameters: z.object({}),
  quick: {},
  script: 'echo "start $(date +%s.%N)"; sleep 1; echo "end $(date +%s.%N)"',
  environment: () => ({}),
  parse(raw) {
    const m = /^start ([\d.]+)\nend ([\d.]+)$/m.exec(raw);
    if (!m) throw new ParseError("clock", "no start and end");
    return {
      benchmark: "clock",
      toolVersion: "date",
      metrics: [
        { name: "start", value: +m[1], unit: "s", direction: "lower", labels: {} },
        { name: "end", value: +m[2], unit: "s", direction: "lower", labels: {} },
      ],
    };
  },
};

// A failed run is reported as a resource error (an unhandled rejection the Pulumi runtime shows): recorded here.
const mockReported: string[] = [];
jest.mock("../../../components/failure", () => ({
  reportFailure: (message: string) => mockReported.push(message),
}));

let sshd: TestSshd;
let recorded = "";
beforeAll(async () => {
  sshd = await startSshd();
  expect(sshd.user).toBe("root"); // the group enters VMs as root, as the guests are built
  const closed = await freePort();
  const guest = (i: number, port: number) => ({
    [`VTB_G${i}_VIA`]: "ssh",
    [`VTB_G${i}_SSH_HOST`]: "127.0.0.1",
    [`VTB_G${i}_SSH_PORT`]: String(port),
    [`VTB_G${i}_SSH_KEY`]: sshd.privateKey,
  });
  const trial = { VTB_TRIALS: "2", VTB_TRIAL_TIMEOUT: "30", VTB_BENCH_SCRIPT: clock.script };
  const ways = {
    ...guest(0, sshd.port),
    ...guest(1, sshd.port),
    ...guest(2, closed), // a guest the server cannot reach
  };
  const run = await runScript(
    withWayIn("group.sh"),
    { ...trial, ...runnerHandOver(runner, trial, ways), VTB_GROUP_SIZE: "3", ...ways },
    120,
    "group test",
  );
  recorded = run.stdout;
}, 60_000);
afterAll(() => sshd?.stop());

describe("group.sh, for real over SSH", () => {
  it("prints one section per guest, and says which guest it could not enter", () => {
    const s = guestSections(recorded);
    expect([...s.keys()]).toEqual([0, 1, 2]);
    expect(s.get(0)).toMatch(/^@@@ trial 1\n[\s\S]*^@@@ end 2 rc=0 /m);
    expect(s.get(2)).toMatch(/^@@@ guest-failed 2 rc=255$/m);
    expect(s.get(2)).not.toMatch(/@@@ trial/);
  });

  it("runs the guests' trials at the same time, each guest's one after another", () => {
    const s = guestSections(recorded);
    const times = [0, 1].map((i) =>
      [...s.get(i)!.matchAll(/^(start|end) ([\d.]+)$/gm)].map((m) => Number(m[2])),
    );
    // Trial 1 of both guests overlaps; trial 2 starts after trial 1 ended.
    expect(Math.abs(times[0][0] - times[1][0])).toBeLessThan(0.9);
    expect(times[0][2]).toBeGreaterThanOrEqual(times[0][1]);
  });

  it("keeps the guests' keys out of what runs in the guests", () => {
    expect(recorded).not.toContain("PRIVATE KEY");
  });
});

describe("ConcurrentRun", () => {
  const names: string[] = [];
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          names.push(args.name);
          return {
            id: `${args.name}-id`,
            state: { ...args.inputs, stdout: recorded, failure: "", startedAt: "t0" },
          };
        },
        call: (args) => args.inputs,
      },
      "virt-testbed",
      "unit",
      false,
    );
  });

  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
  const target = (guest: string, failure = ""): Target => ({
    server: "local",
    platform: "kvm",
    guest,
    ready: [],
    info: pulumi.output({}),
    failure: pulumi.output(failure),
    peer: {
      way: { via: "ssh", host: "127.0.0.1", port: 22, privateKey: "key" },
      bind: "10.0.2.15",
      connect: (port) => ({ host: "127.0.0.1", port }),
    },
  });
  const parent = new pulumi.ComponentResource("test:index:Parent", "p");
  const make = (name: string, targets: Target[]) =>
    new ConcurrentRun(
      name,
      { targets, module: clock, params: {}, repeats: 2, trialTimeoutSeconds: 30 },
      { parent },
    );

  it("is one command for the group; each guest gets its own trials, parsed", async () => {
    const group = make("g", [target("vm-0"), target("vm-1"), target("vm-2")]);
    const [t0, t1, t2] = await Promise.all(group.members.map((m) => value(m.trials)));
    expect(names.filter((n) => n.startsWith("g"))).toEqual(["g-trials"]);
    expect(t0.map((t) => t.result?.metrics[0].name)).toEqual(["start", "start"]);
    expect(t1).toHaveLength(2);
    expect(t1[0].result?.metrics[0].value).not.toBe(t0[1].result?.metrics[0].value);
    // Each of the repeats asked for is a failed trial of its own.
    expect(t2).toHaveLength(2);
    expect(t2[0].error).toMatch(/^could not enter the guest \(exit 255\)/);
    expect(mockReported).toContainEqual(
      expect.stringMatching(/^local\/kvm\/vm-2: clock: could not enter/),
    );
  });

  it("runs no guest when one is down, and says which", async () => {
    const group = make("h", [target("vm-0"), target("vm-1", "boot timed out")]);
    const [t0, t1] = await Promise.all(group.members.map((m) => value(m.trials)));
    expect(t1[0].error).toBe(t0[0].error);
    expect(t0[0].error).toBe("not run: local/kvm/vm-1 failed: boot timed out");
    // Said once for the group, not once per guest.
    expect(mockReported.filter((r) => r.includes("not run: local/kvm/vm-1"))).toHaveLength(1);
  });
});
