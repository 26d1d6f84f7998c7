import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { startSshd, TestSshd } from "../helpers/sshd";
import { root, TestStack } from "../helpers/stack";

// iperf3 and ab between named targets, for real: a VM guest's client against bare
// metal (guest -> host), one VM guest against another (guest <-> guest), and
// bare metal against a second server (host <-> host), here this same machine
// reached over a loopback sshd, so every address stays on loopback or inside
// QEMU's user network.
const name = "e2epairs";
const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });
const vm = (i: number) => `vtb-${name}-vm-${i}`;

let sshd: TestSshd;
let stack: TestStack;
let upStarted = false;

beforeAll(async () => {
  sshd = await startSshd();
  expect(sshd.user).toBe("root");
  stack = new TestStack(
    name,
    `config:
  testbed:benchmarks:
    - id: iperf3
      profile: quick
      repeats: 3
      pairs:
        - { server: local/baseline/host, client: local/kvm/vm-0 }
        - { server: local/kvm/vm-1, client: local/kvm/vm-0 }
        - { server: other/baseline/host, client: local/baseline/host }
    - id: ab
      profile: quick
      repeats: 1
      pairs:
        - { server: local/kvm/vm-1, client: local/kvm/vm-0 }
        - { server: other/baseline/host, client: local/baseline/host }
  testbed:servers:
    - name: local
      connection:
        type: local
      guestSshPortBase: 22700
      platforms:
        - type: baseline
        - type: kvm
          accel: auto
          guests:
            - { name: vm, count: 2, vcpus: 1, memoryMiB: 768 }
    - name: other
      connection:
        type: ssh
        host: 127.0.0.1
        port: ${sshd.port}
        user: root
      platforms:
        - type: baseline
`,
  );
});

afterAll(() => {
  if (upStarted) {
    const r = stack.run("destroy", "--yes", "--skip-preview");
    if (r.status !== 0) {
      console.error(`cleanup destroy failed; state kept in ${stack.backend}:\n${r.stderr}`);
      sshd?.stop();
      return;
    }
  }
  stack?.remove();
  sshd?.stop();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

interface Outcome {
  status: string;
  client?: string;
  trials: { index: number; error?: string }[];
}

/**
 * Measured from `client`. Under TCG, iperf3's control connection through QEMU's
 * user network is now and then reset mid-run ("unable to receive control
 * message: Connection reset by peer", also seen between the default stack's
 * guest and its host): such a trial is the tool's failure, kept and reported
 * `partial`; anything else failing (the way in, the server's start) is not.
 */
function expectMeasured(at: Outcome, client: string) {
  expect(at.client).toBe(client);
  const failed = at.trials.filter((t) => t.error);
  for (const t of failed) console.log(`from ${client}: trial ${t.index} failed: ${t.error}`);
  expect(failed.length).toBeLessThan(at.trials.length);
  expect(at.status).toBe(failed.length === 0 ? "ok" : "partial");
  for (const t of failed)
    expect(t.error).toMatch(/iperf3 reported an error: .*(reset by peer|control message)/);
}

describe("pair benchmarks between named targets, for real", () => {
  jest.setTimeout(40 * 60 * 1000);

  it("measure guest -> host, guest <-> guest and host <-> host across servers, one run at a time", () => {
    stack.pulumi("stack", "init");
    // From stdin: the key never appears on a command line.
    const set = stack.runWithInput(
      sshd.privateKey,
      "config",
      "set",
      "--secret",
      "--path",
      "testbed:sshKeys.other",
    );
    expect(set.status).toBe(0);
    const t0 = Date.now();
    upStarted = true;
    stack.pulumi("up", "--yes", "--skip-preview");
    console.log(`up: ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    const outputs = JSON.parse(stack.pulumi("stack", "output", "--json"));
    const cases = [
      { at: outputs.results.local.baseline.host.iperf3, client: `local/kvm/${vm(0)}` },
      { at: outputs.results.local.kvm[vm(1)].iperf3, client: `local/kvm/${vm(0)}` },
      { at: outputs.results.other.baseline.host.iperf3, client: "local/baseline/host" },
    ];
    for (const { at, client } of cases) {
      expectMeasured(at, client);
      const med = (way: string) =>
        at.metrics[`throughput[direction=${way},side=receiver]`]?.median?.toFixed(0);
      console.log(
        `iperf3 from ${client}: forward ${med("forward")}, reverse ${med("reverse")} Mbit/s`,
      );
      for (const way of ["forward", "reverse"]) {
        const m = Object.entries(at.metrics).find(
          ([k]) => k.startsWith("throughput[") && k.includes(`direction=${way}`),
        );
        expect(m).toBeDefined();
        expect((m![1] as { median: number }).median).toBeGreaterThan(0);
      }
    }
    // ab's client where the pair says: in a VM guest against the other guest's
    // lighttpd, and on this server against the other server's.
    for (const [at, client] of [
      [outputs.results.local.kvm[vm(1)].ab, `local/kvm/${vm(0)}`],
      [outputs.results.other.baseline.host.ab, "local/baseline/host"],
    ]) {
      expectMeasured(at, client);
      expect(at.metrics.requests_per_second.median).toBeGreaterThan(0);
      console.log(
        `ab from ${client}: ${at.metrics.requests_per_second.median.toFixed(0)} requests/s`,
      );
    }
    // Only the named pairs ran: no VM measured from its host by default.
    expect(outputs.results.local.kvm[vm(0)]).toBeUndefined();

    // Where each client connected, as archived beside the trials: the VM guest
    // through QEMU's alias for the host's loopback (to bare metal, and to the
    // other guest's forward), the other server at its SSH address.
    const params = (server: string, key: string) =>
      JSON.parse(
        fs.readFileSync(
          path.join(outputs.archive[server], "raw", key, "iperf3", "parameters.json"),
          "utf8",
        ),
      );
    expect(params("local", "local/baseline/host")).toMatchObject({
      server: "10.0.2.2",
      port: 5201,
    });
    expect(params("local", `local/kvm/${vm(1)}`).server).toBe("10.0.2.2");
    expect(params("local", `local/kvm/${vm(1)}`).port).not.toBe(5201);
    expect(params("other", "other/baseline/host")).toMatchObject({ server: "127.0.0.1" });

    // One run at a time: the pair across servers waits for the local runs, as
    // both servers' runs would wait for it.
    const trials = stack
      .resources()
      .filter((r) => r.urn.endsWith("-trials"))
      .map((r) => ({
        name: r.urn.split("::").pop()!,
        start: Date.parse(String(r.outputs?.startedAt)),
        seconds: Number(r.outputs?.durationSeconds),
      }))
      .sort((a, b) => a.start - b.start);
    expect(trials.map((t) => t.name)).toEqual([
      "local-baseline-host-iperf3-trials",
      `local-kvm-${vm(1)}-iperf3-trials`,
      "other-baseline-host-iperf3-trials",
      `local-kvm-${vm(1)}-ab-trials`,
      "other-baseline-host-ab-trials",
    ]);
    for (let i = 1; i < trials.length; i++) {
      expect(trials[i].start).toBeGreaterThanOrEqual(
        trials[i - 1].start + trials[i - 1].seconds * 1000 - 1000,
      );
    }

    // A second look changes nothing; no iperf3 server is left running anywhere.
    stack.pulumi("preview", "--expect-no-changes");
    expect(
      sh(
        'ps -eo stat=,pid=,comm= | awk \'$1 !~ /^Z/ && ($3 == "iperf3" || $3 == "lighttpd")\'',
      ).trim(),
    ).toBe("");
    stack.pulumi("destroy", "--yes", "--skip-preview");
    upStarted = false;
    expect(stack.resources()).toEqual([]);
  });
});
