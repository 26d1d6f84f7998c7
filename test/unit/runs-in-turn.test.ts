import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

// index.ts makes a server's run of one benchmark (all its targets, interleaved) only once
// its runs of the benchmark before are registered (at `up`: have run), not all
// at once: a resource waiting on its dependencies holds the SDK's promises for
// each of its outputs. Under Pulumi mocks whose runs stay unregistered until
// the test lets them go, one by one.

const fixture = (name: string) =>
  fs.readFileSync(path.join(__dirname, "..", "fixtures", name), "utf8");

const registered: string[] = [];
const made: string[] = [];
/** What each resource made depends on, by name. */
const dependsOn = new Map<string, string[]>();
const held = new Map<string, () => void>();

function stdoutFor(name: string): string {
  if (name.endsWith("-facts")) return fixture("facts-go-firecracker.txt");
  if (name.endsWith("-accel-probe")) return fixture("accel-probe-go-firecracker.txt");
  if (name.endsWith("-image-build")) {
    const d = "/var/cache/virt-testbed/images/k";
    return `image: ${d}\nrootfs: ${d}/rootfs\ndisk: ${d}/disk.qcow2\nkernel: ${d}/vmlinuz\ninitrd: ${d}/initrd.img\nbuilt: now\n`;
  }
  if (name.endsWith("-container")) return "address: 10.199.0.2\nsystemd: running\n";
  return "";
}

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push(args.name);
        const result = {
          id: `${args.name}-id`,
          state: { ...args.inputs, stdout: stdoutFor(args.name), failure: "" },
        };
        if (!args.name.endsWith("-trials")) return result;
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
        name: "a",
        connection: { type: "local" },
        platforms: [{ type: "baseline" }, { type: "lxc", guests: [{ name: "ct" }] }],
      },
      { name: "b", connection: { type: "local" } },
    ]),
    "testbed:benchmarks": JSON.stringify([
      { id: "openssl-speed", profile: "quick", repeats: 1 },
      { id: "iperf3", repeats: 1 },
    ]),
  });
});

// Called by a resource's constructor, before the resource waits on anything.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/pulumi/runtime/resource") as {
  registerResource(...a: unknown[]): void;
};
const original = sdk.registerResource;
jest.spyOn(sdk, "registerResource").mockImplementation((...a: unknown[]) => {
  made.push(a[3] as string);
  const deps = (a[8] as { dependsOn?: unknown } | undefined)?.dependsOn;
  dependsOn.set(
    a[3] as string,
    (Array.isArray(deps) ? deps : []).map((r) => (r as { __name: string }).__name),
  );
  return original(...a);
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
const runs = () => registered.filter((n) => n.endsWith("-trials"));
const madeRuns = () => made.filter((n) => n.endsWith("-trials"));

it("makes a server's runs of the next benchmark once those of the one before are registered", async () => {
  const program = await import("../../index");
  const onA = () => ({ made: madeRuns().filter(a), registered: runs().filter(a) });
  const a = (n: string) => n.startsWith("a-");
  await settle();
  // Both servers start at once; each makes its first benchmark's run only: one
  // for all its targets, which take turns trial by trial (interleaved).
  expect(madeRuns().filter((n) => !a(n))).toEqual(["b-openssl-speed-trials"]);
  const ssl = "a-openssl-speed-trials";
  const iperf = "a-iperf3-trials";
  expect(onA()).toEqual({ made: [ssl], registered: [ssl] });

  // The next benchmark's run is made once the one before is registered, and waits for it.
  held.get(ssl)!();
  await settle();
  expect(onA()).toEqual({ made: [ssl, iperf], registered: [ssl, iperf] });
  held.get(iperf)!();

  // Server b went on at its own pace.
  held.get("b-openssl-speed-trials")!();
  await settle();
  expect(madeRuns().filter((n) => !a(n))).toEqual(["b-openssl-speed-trials", "b-iperf3-trials"]);
  held.get("b-iperf3-trials")!();

  // A pilot: server a's first benchmark once on bare metal, as soon as bare
  // metal is up, not waiting for the container; the measured run waits for it.
  // Server b has nothing else to set up: no pilot.
  const pilot = "a-baseline-host-openssl-speed-pilot";
  expect(made.filter((n) => n.endsWith("-pilot"))).toEqual([pilot]);
  expect(dependsOn.get(pilot)).toEqual(["a-benchmark-tools"]);
  expect(dependsOn.get(ssl)).toContain(pilot);
  expect(dependsOn.get(ssl)).toContain("a-lxc-ct-container");

  // Every run made is part of the results: nothing was made after they were gathered.
  const results = await new Promise<Record<string, Record<string, Record<string, object>>>>(
    (resolve) => pulumi.output(program.results).apply((r) => resolve(r as never)),
  );
  const measured = (server: string, platform: string, guest: string) =>
    Object.keys(results[server][platform][guest]).sort();
  expect(measured("a", "baseline", "host")).toEqual(["iperf3", "openssl-speed"]);
  expect(measured("a", "lxc", "vtb-unit-ct")).toEqual(["iperf3", "openssl-speed"]);
  expect(measured("b", "baseline", "host")).toEqual(["iperf3", "openssl-speed"]);
  expect(runs()).toHaveLength(4);
  expect(madeRuns()).toHaveLength(4);
}, 60_000);
