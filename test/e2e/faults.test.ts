import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { freePort, startSshd } from "../helpers/sshd";
import { root, TestStack } from "../helpers/stack";

// Faults provoked for real on this machine: a second update on a locked stack,
// an update stopped by SIGINT and one killed by SIGKILL, each followed by an
// update that completes without redoing finished work or losing a result,
// then a destroy that leaves nothing behind. A small stack keeps it quick:
// bare metal and two containers, two short benchmarks.
const name = "e2efaults";
const config = (bonnieRepeats: number) => `config:
  testbed:benchmarks:
    - id: openssl-speed
      profile: quick
      repeats: 2
      concurrent: true
    - id: bonnie
      profile: quick
      repeats: ${bonnieRepeats}
    - id: ab
      profile: quick
      repeats: 1
      platforms: [baseline]
  testbed:servers:
    - name: local
      connection:
        type: local
      profile: auto
      platforms:
        - type: baseline
        - type: lxc
          guests:
            - name: ct
              count: 2
              cpuShares: 512
              memoryMiB: 512
`;

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });
const stack = new TestStack(name, config(1));
let upStarted = false;

afterAll(() => {
  if (upStarted) {
    const r = stack.run("destroy", "--yes", "--skip-preview");
    if (r.status !== 0) {
      console.error(`cleanup destroy failed; state kept in ${stack.backend}:\n${r.stderr}`);
      return;
    }
  }
  stack.remove();
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

type StateResource = ReturnType<TestStack["resources"]>[number];
const trialsOf = (rs: StateResource[]) =>
  new Map(
    rs
      .filter((r) => r.urn.endsWith("-trials"))
      .map((r) => [r.urn.split("::").pop()!, String(r.outputs?.startedAt ?? "")]),
  );
// One interleaved run per benchmark: bare metal and the containers take turns
// (for the concurrent openssl-speed, both containers at once as one unit). A
// SIGINT lets the running step end (a whole interleaved run) and starts no other.
const runs = ["local-openssl-speed-trials", "local-bonnie-trials", "local-ab-trials"];

/**
 * Benchmark processes this test's pulumi started, still running: they inherit
 * its environment, which names the test's state backend (another stack's
 * benchmarks may be running on the machine).
 */
const benchmarkProcesses = () =>
  sh("ps -eo pid=,args=")
    .split("\n")
    .filter((l) => /\b(openssl speed|bonnie\+\+)/.test(l))
    .filter((l) => {
      try {
        const environ = fs.readFileSync(`/proc/${l.trim().split(/\s+/)[0]}/environ`, "utf8");
        return environ.includes(stack.backend);
      } catch {
        return false; // gone meanwhile
      }
    });

describe("unreachable servers, for real", () => {
  jest.setTimeout(10 * 60 * 1000);

  it("fail within their connect timeout, naming server and step; the others' results are exported and archived", async () => {
    // Three servers that cannot be used, all on loopback: nothing listens; a
    // listener that never speaks SSH; a real sshd that refuses our key.
    const refusing = await freePort();
    const silent = net.createServer(() => {}).listen(0, "127.0.0.1");
    await new Promise((r) => silent.once("listening", r));
    const sshd = await startSshd();
    const other = sh(
      `d="$(mktemp -d)"; ssh-keygen -q -t ed25519 -N "" -f "$d/k"; cat "$d/k"; rm -rf "$d"`,
    );
    const ssh = (n: string, port: number) => `    - name: ${n}
      connection:
        type: ssh
        host: 127.0.0.1
        port: ${port}
        user: ${sshd.user}
        connectTimeoutSeconds: 3
      platforms:
        - type: baseline
`;
    const s = new TestStack(
      "e2eunreachable",
      `config:
  testbed:benchmarks:
    - id: openssl-speed
      profile: quick
      repeats: 1
  testbed:servers:
    - name: local
      connection:
        type: local
      platforms:
        - type: baseline
${ssh("refusing", refusing)}${ssh("silent", (silent.address() as net.AddressInfo).port)}${ssh("wrongkey", sshd.port)}`,
    );
    try {
      s.pulumi("stack", "init");
      for (const n of ["refusing", "silent", "wrongkey"]) {
        // From stdin: the key never appears on a command line.
        const r = s.runWithInput(
          other,
          "config",
          "set",
          "--secret",
          "--path",
          `testbed:sshKeys.${n}`,
        );
        expect(r.status).toBe(0);
      }
      const t0 = Date.now();
      const up = s.run("up", "--yes", "--skip-preview", "--continue-on-error");
      const seconds = (Date.now() - t0) / 1000;
      console.log(`up with three unusable servers: ${seconds.toFixed(1)}s`);
      const printed = up.stdout + up.stderr;
      expect(up.status).not.toBe(0);
      expect(printed).toMatch(
        /server refusing: gather facts: ssh \S+@127\.0\.0\.1:\d+: connect ECONNREFUSED/,
      );
      expect(printed).toMatch(
        /server silent: gather facts: ssh \S+@127\.0\.0\.1:\d+: .*(Timed out|timed out)/,
      );
      expect(printed).toMatch(
        /server wrongkey: gather facts: ssh \S+@127\.0\.0\.1:\d+: .*authentication/i,
      );
      // The server that works is measured, exported and archived all the same.
      const outputs = JSON.parse(s.pulumi("stack", "output", "--json"));
      expect(outputs.results.local.baseline.host["openssl-speed"].status).toBe("ok");
      expect(fs.existsSync(path.join(outputs.archive.local, "results.json"))).toBe(true);
      s.pulumi("destroy", "--yes", "--skip-preview");
    } finally {
      silent.close();
      sshd.stop();
      s.remove();
      fs.rmSync(path.join(root, "results", "e2eunreachable"), { recursive: true, force: true });
    }
  });
});

describe("failing targets and benchmarks, for real", () => {
  jest.setTimeout(30 * 60 * 1000);

  it("a guest not up in its boot timeout, a trial past its timeout, a tool exiting non-zero: each failed with its reason, the rest measured and archived", async () => {
    const s = new TestStack(
      "e2efailing",
      `config:
  testbed:benchmarks:
    - id: bonnie
      profile: quick
      repeats: 1
    # Not a cipher openssl knows: it exits non-zero.
    - id: openssl-speed
      repeats: 1
      platforms: [baseline]
      parameters:
        ciphers: [aes-999-cbc]
        publicKey: []
        seconds: 1
    # 90 s each way, in a trial limited to 60 s: stands for a benchmark that hangs.
    - id: iperf3
      repeats: 1
      trialTimeoutMinutes: 1
      platforms: [baseline]
      parameters:
        duration: 90
  testbed:servers:
    - name: local
      connection:
        type: local
      guestSshPortBase: 22500
      platforms:
        - type: baseline
        - type: kvm
          accel: tcg
          guests:
            # The Debian cloud kernel has no rtl8139 driver: SSH never answers,
            # however fast the host boots a guest (one here answers in ~22 s).
            - name: slow
              memoryMiB: 512
              bootTimeoutSeconds: 10
              network:
                model: rtl8139
`,
    );
    let up = false;
    try {
      s.pulumi("stack", "init");
      up = true;
      const r = s.run("up", "--yes", "--skip-preview");
      const printed = r.stdout + r.stderr;
      expect(r.status).not.toBe(0);
      expect(printed).toMatch(
        /server local: kvm guest vtb-e2efailing-slow: boot until SSH answers/,
      );
      const outputs = JSON.parse(s.pulumi("stack", "output", "--json"));
      const res = outputs.results.local;
      expect(res.baseline.host.bonnie.status).toBe("ok");
      const notRun = res.kvm["vtb-e2efailing-slow"].bonnie;
      expect(notRun.status).toBe("failed");
      expect(notRun.trials[0].error).toMatch(
        /^not run: the target failed: .*boot until SSH answers/,
      );
      expect(res.baseline.host["openssl-speed"].status).toBe("failed");
      expect(res.baseline.host["openssl-speed"].trials[0].error).toMatch(/^exited with code [1-9]/);
      expect(res.baseline.host.iperf3.status).toBe("failed");
      expect(res.baseline.host.iperf3.trials[0].error).toMatch(/^timed out after 6\d(\.\d+)?s/);
      const saved = JSON.parse(
        fs.readFileSync(path.join(outputs.archive.local, "results.json"), "utf8"),
      );
      expect(saved.results.local.baseline.host.bonnie.status).toBe("ok");
      expect(saved.results.local.baseline.host.iperf3.status).toBe("failed");
      s.pulumi("destroy", "--yes", "--skip-preview");
      up = false;
      expect(sh("virsh -q -c qemu:///system list --all --name 2>/dev/null || true")).not.toContain(
        "vtb-e2efailing",
      );
    } finally {
      if (up) s.run("destroy", "--yes", "--skip-preview");
      s.remove();
      fs.rmSync(path.join(root, "results", "e2efailing"), { recursive: true, force: true });
    }
  });
});

describe("faults during updates, for real", () => {
  jest.setTimeout(40 * 60 * 1000);

  it("lock, SIGINT and SIGKILL: later updates complete, keep finished work, and destroy cleans up", async () => {
    stack.pulumi("stack", "init");
    upStarted = true;

    // 1. A second update of the same stack while the first runs: refused by the state lock.
    const first = stack.start("up", "--yes", "--skip-preview");
    await first.waitFor(/local-openssl-speed-trials creating/, 900);
    const second = stack.run("up", "--yes", "--skip-preview");
    expect(second.status).not.toBe(0);
    expect(second.stdout + second.stderr).toMatch(/the stack is currently locked by 1 lock/);

    // 2. SIGINT once the first benchmark has finished: the update stops, what finished stays.
    await first.waitFor(/local-openssl-speed-trials created/, 600);
    const t0 = Date.now();
    first.child.kill("SIGINT");
    const stopped = await first.exited;
    console.log(`SIGINT: update ended after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    expect(stopped.status).not.toBe(0);
    const afterInt = trialsOf(stack.resources());
    const kept = afterInt.get(runs[0]);
    expect(kept).toMatch(/^\d{4}-/);
    expect(afterInt.size).toBeLessThan(runs.length);

    // The next update completes, runs only what had not finished, and the first
    // run's result is the same measurement (same start time).
    stack.pulumi("up", "--yes", "--skip-preview");
    const afterResume = trialsOf(stack.resources());
    expect([...afterResume.keys()].sort()).toEqual([...runs].sort());
    expect(afterResume.get(runs[0])).toBe(kept);
    const outputs1 = JSON.parse(stack.pulumi("stack", "output", "--json"));
    expect(outputs1.results.local.baseline.host["openssl-speed"].trials).toHaveLength(2);
    expect(fs.existsSync(path.join(outputs1.archive.local, "results.json"))).toBe(true);
    // openssl-speed is concurrent: the containers ran as one step (whatever the
    // SIGINT stopped, they never reran one alone), each with its own trials, and their sum is reported.
    for (const i of [0, 1]) {
      expect(
        outputs1.results.local.lxc[`vtb-${name}-ct-${i}`]["openssl-speed"].trials,
      ).toHaveLength(2);
    }
    const agg = outputs1.aggregates.local.lxc["openssl-speed"];
    const k = Object.keys(agg).find((key) => key.startsWith("throughput[algorithm=aes-128-cbc"))!;
    expect(agg[k].guests).toEqual([`vtb-${name}-ct-0`, `vtb-${name}-ct-1`]);
    const per = [0, 1].map(
      (i) => outputs1.results.local.lxc[`vtb-${name}-ct-${i}`]["openssl-speed"].metrics[k].median,
    );
    expect(agg[k].median).toBeCloseTo(per[0] + per[1], 0);
    expect(agg[k].vsBaseline.percentOfBaseline).toBeGreaterThan(0);

    // 3. SIGKILL in the middle of a benchmark (bonnie now repeats twice, so it reruns).
    fs.writeFileSync(stack.configFile, config(2));
    const killed = stack.start("up", "--yes", "--skip-preview");
    await killed.waitFor(/local-bonnie-trials (creating|replacing|creating replacement)/, 600);
    // Kill it while bonnie++ runs (seen running: the check below is not vacuous).
    for (let i = 0; i < 40 && benchmarkProcesses().length === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(benchmarkProcesses().length).toBeGreaterThan(0);
    killed.child.kill("SIGKILL");
    await killed.exited;
    // The benchmark the killed update had started does not run on behind our back
    // (it would overlap the next update's runs).
    for (let i = 0; i < 40 && benchmarkProcesses().length > 0; i++) {
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(benchmarkProcesses()).toEqual([]);
    // The guests paused while another target ran are running again (resumed on the way out).
    for (const i of [0, 1]) {
      expect(sh(`lxc-info -P /var/lib/virt-testbed/lxc -n vtb-${name}-ct-${i} -s`).trim()).toMatch(
        /RUNNING$/,
      );
    }

    // The killed pulumi's lock is gone with it; the next update completes.
    const resumed = stack.run("up", "--yes", "--skip-preview");
    expect({
      status: resumed.status,
      out: resumed.status === 0 ? "" : resumed.stdout + resumed.stderr,
    }).toEqual({
      status: 0,
      out: "",
    });
    expect(resumed.stderr).toMatch(
      /removed the lock of pulumi pid \d+, which is no longer running/,
    );
    const outputs2 = JSON.parse(stack.pulumi("stack", "output", "--json"));
    for (const [platform, guest] of [
      ["baseline", "host"],
      ["lxc", `vtb-${name}-ct-0`],
      ["lxc", `vtb-${name}-ct-1`],
    ]) {
      expect(outputs2.results.local[platform][guest].bonnie.trials).toHaveLength(2);
    }
    // Earlier runs' archives are all still there.
    expect(fs.existsSync(path.join(outputs1.archive.local, "results.json"))).toBe(true);
    expect(fs.existsSync(path.join(outputs2.archive.local, "results.json"))).toBe(true);

    // 4. Destroy after all that leaves nothing of the stack on the machine.
    stack.pulumi("destroy", "--yes", "--skip-preview");
    upStarted = false;
    expect(stack.resources()).toEqual([]);
    expect(sh("lxc-ls -P /var/lib/virt-testbed/lxc 2>/dev/null || true")).not.toContain(name);
    expect(
      sh("ps -eo args")
        .split("\n")
        .filter((l) => l.includes(`vtb-${name}`)),
    ).toEqual([]);
    expect(fs.existsSync(path.join(outputs2.archive.local, "results.json"))).toBe(true);
  });
});
