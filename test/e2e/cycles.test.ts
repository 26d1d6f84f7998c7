import * as fs from "fs";
import * as path from "path";
import { machineState } from "../helpers/machine";
import { defaultStackConfig, root, TestStack } from "../helpers/stack";

// Up -> destroy of the default stack's testbed (bare metal, an LXC container, a
// QEMU guest) with one short benchmark: it leaves the machine as it was, and
// its archive stays. The default stack's e2e does the same and checks the
// machine the same way, so in a suite run, whichever of the two comes second
// is an up on a machine the default testbed was destroyed on, and finds
// nothing in its way. This file ran 3, then 2 cycles of its own: each after
// the first repeated the one before (3.5 minutes of the suite's time each).
const name = "e2ecycles";
const config = defaultStackConfig(22600).replace(
  / {2}testbed:benchmarks:\n(?: {4}.*\n)+/,
  "  testbed:benchmarks:\n    - id: openssl-speed\n      profile: quick\n      repeats: 1\n",
);

const stack = new TestStack(name, config);
let up = false;

afterAll(() => {
  if (up) stack.run("destroy", "--yes", "--skip-preview");
  stack.remove();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

describe("the default testbed, up again on a machine it has been destroyed on", () => {
  jest.setTimeout(45 * 60 * 1000);

  it("up -> destroy leaves the machine as it was, and the run's archive", () => {
    expect(config).toMatch(
      /- id: openssl-speed\n {6}profile: quick\n {6}repeats: 1\n {2}testbed:servers:/,
    );
    stack.pulumi("stack", "init");
    const before = machineState(name);
    const t0 = Date.now();
    up = true;
    stack.pulumi("up", "--yes", "--skip-preview");
    const outputs = JSON.parse(stack.pulumi("stack", "output", "--json"));
    expect(outputs.results.local.kvm[`vtb-${name}-vm`]["openssl-speed"].status).toBe("ok");
    stack.pulumi("destroy", "--yes", "--skip-preview");
    up = false;
    console.log(`up -> destroy: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(stack.resources()).toEqual([]);
    expect(machineState(name)).toEqual(before);
    const saved = JSON.parse(
      fs.readFileSync(path.join(outputs.archive.local, "results.json"), "utf8"),
    );
    expect(saved.results.local.baseline.host["openssl-speed"].status).toBe("ok");
  });
});
