import * as pulumi from "@pulumi/pulumi";
import { keygenOutput, mockStdout } from "../helpers/mock-steps";

// A server that Xen reboots has its bare metal measured first, on the plain
// kernel, in runs of its own that the reboot waits for; its guests are
// measured after, without it. Under Pulumi mocks whose runs stay unregistered
// until the test lets them go. The real run is test/e2e/emulated.test.ts.

const keys = keygenOutput();
const stdoutFor = (name: string) => mockStdout(name, keys);

const registered: string[] = [];
const inputs = new Map<string, Record<string, unknown>>();
const held = new Map<string, () => void>();
// Steps before the reboot that bare metal's runs must not overlap: Xen's
// packages on the server, the guest image built on the emulated server's host.
// Xen's way back first: bare metal's tools depend on it, so destroy removes
// them before it reboots the server.
const heldSteps = ["blade-xen-return", "blade-xen-packages", "blade-image-build-here"];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args.name);
        inputs.set(args.name, args.inputs);
        const result = {
          id: `${args.name}-id`,
          state: { ...args.inputs, stdout: stdoutFor(args.name), stderr: "", failure: "" },
        };
        if (!args.name.endsWith("-trials") && !heldSteps.includes(args.name)) return result;
        return new Promise((resolve) => held.set(args.name, () => resolve(result)));
      },
      call: (args) => args.inputs,
    },
    "virt-testbed",
    "unit",
    false,
  );
  pulumi.runtime.setAllConfig({
    "testbed:servers": JSON.stringify([
      {
        name: "blade",
        connection: { type: "emulated", sshPort: 22101, memoryMiB: 3072 },
        profile: "dual-e5420-blade",
        platforms: [
          { type: "baseline" },
          { type: "xen", guests: [{ name: "para", mode: "para", memoryMiB: 512 }] },
        ],
      },
    ]),
    "testbed:benchmarks": JSON.stringify([
      { id: "openssl-speed", repeats: 2 },
      { id: "iperf3", repeats: 2 },
    ]),
  });
});

const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets a run's registration finish, once it has been asked for (its resources before it can take a while). */
async function release(run: string) {
  for (let i = 0; i < 100 && !held.has(run); i++) await settle(100);
  held.get(run)!();
  await settle();
}
const runs = () => registered.filter((n) => n.endsWith("-trials"));
/** The target keys a run's rounds take turns between. */
const targetsOf = (run: string) => (inputs.get(run)!.rounds as { targets: string[] }).targets;

it("measures bare metal on the plain kernel before the reboot into Xen, and the guests after it", async () => {
  const program = await import("../../index");
  const ssl = "blade-plain-kernel-openssl-speed-trials";
  const iperf = "blade-plain-kernel-iperf3-trials";
  // Not while the steps before the reboot still run.
  for (const step of heldSteps) {
    for (let i = 0; i < 100 && !held.has(step); i++) await settle(100);
    await settle();
    expect(runs()).toEqual([]);
    if (step === "blade-xen-return") expect(registered).not.toContain("blade-benchmark-tools");
    await release(step);
  }
  expect(registered).toContain("blade-benchmark-tools");
  // Bare metal's first run, alone: the reboot waits for it.
  for (let i = 0; i < 100 && runs().length === 0; i++) await settle(100);
  await settle();
  expect(runs()).toEqual([ssl]);
  expect(registered).not.toContain("blade-xen-boot-entry");
  await release(ssl);
  expect(runs()).toEqual([ssl, iperf]);
  expect(registered).not.toContain("blade-xen-boot-entry");
  await release(iperf);
  for (let i = 0; i < 100 && runs().length < 3; i++) await settle(100);
  // Then the reboot, and the guest's runs, bare metal not among their targets.
  expect(registered).toContain("blade-xen-boot-entry");
  expect(registered).toContain("blade-xen-xl-info");
  expect(runs()).toEqual([ssl, iperf, "blade-openssl-speed-trials"]);
  await release("blade-openssl-speed-trials");
  await release("blade-iperf3-trials");

  const results = await new Promise<Record<string, Record<string, Record<string, object>>>>(
    (resolve) => pulumi.output(program.results).apply((r) => resolve(r as never)),
  );
  expect(Object.keys(results.blade.baseline.host).sort()).toEqual(["iperf3", "openssl-speed"]);
  expect(Object.keys(Object.values(results.blade.xen)[0]).sort()).toEqual([
    "iperf3",
    "openssl-speed",
  ]);
  await new Promise((resolve) => pulumi.output(program.archive).apply(resolve));
  const testbed = await new Promise<Record<string, { platforms: Record<string, unknown> }>>(
    (resolve) => pulumi.output(program.testbed).apply((t) => resolve(t as never)),
  );
  expect(testbed.blade.platforms.baseline).toMatchObject({
    info: { measuredIn: expect.stringMatching(/^the plain kernel, before the reboot into Xen/) },
  });
}, 60_000);

it("archives bare metal among the server's targets", () => {
  const files = inputs.get("blade-results-archive")!.files as Record<string, string>;
  const results = JSON.parse(files["results.json"]) as { targets: Record<string, unknown> };
  expect(Object.keys(results.targets)).toContain("blade/baseline/host");
});

it("makes the runs after the reboot without bare metal", () => {
  expect(targetsOf("blade-plain-kernel-openssl-speed-trials")).toEqual(["blade/baseline/host"]);
  const after = targetsOf("blade-openssl-speed-trials");
  expect(after).toHaveLength(1);
  expect(after[0]).toMatch(/^blade\/xen\//);
});
