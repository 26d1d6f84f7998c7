import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { machineState } from "../helpers/machine";
import { defaultStackConfig, root, TestStack } from "../helpers/stack";

// The real thing: the project's Pulumi CLI runs the default stack's
// configuration on this machine, as stack `e2etest` in a throwaway backend and
// with its own guest SSH port, so a user's own `testbed` stack is never touched.
const stack = "e2etest";
const sshPort = 22300;
const testStack = new TestStack(stack, defaultStackConfig(sshPort));
const backend = testStack.backend;
const pulumi = (...args: string[]) => testStack.pulumi(...args);

/** Like pulumi(), but returns everything it printed, stderr included, for the secrets check. */
function pulumiLog(...args: string[]): string {
  const r = testStack.run(...args);
  if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout + r.stderr;
}

/** Every file's text under a directory. */
function readTree(dir: string): string {
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((f) => path.join(dir, f))
    .filter((f) => fs.statSync(f).isFile())
    .map((f) => fs.readFileSync(f, "utf8"))
    .join("\n");
}

const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });

/** What of this stack exists on the machine: libvirt objects, containers, namespaces, processes. */
function leftovers(): string[] {
  const prefix = `vtb-${stack}`;
  return [
    ...sh("virsh -q -c qemu:///system list --all --name 2>/dev/null || true").split("\n"),
    ...sh("virsh -q -c qemu:///system pool-list --all --name 2>/dev/null || true").split("\n"),
    ...sh("lxc-ls -P /var/lib/virt-testbed/lxc 2>/dev/null || true").split(/\s+/),
    ...sh("ps -eo args")
      .split("\n")
      .filter((l) => l.includes("qemu") || l.includes("lxc")),
  ]
    .map((s) => s.trim())
    .filter((s) => s.includes(prefix));
}

function sshBanner(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, "127.0.0.1");
    s.setTimeout(10_000, () => reject(new Error("no banner")));
    s.once("data", (d) => {
      resolve(d.toString());
      s.end();
    });
    s.on("error", reject);
  });
}

let upStarted = false;
let destroyed = false;
let passed = false;

// Other stacks (a user's `npm run testbed`) may share the machine's workspace.
const workspaceBefore = fs.existsSync("/var/lib/virt-testbed");

const hasHardwareVirt = /\b(vmx|svm)\b/.test(fs.readFileSync("/proc/cpuinfo", "utf8"));

afterAll(() => {
  // Whatever happened, nothing of the test stack stays on the machine.
  if (upStarted && !destroyed) {
    try {
      pulumi("destroy", "--yes", "--skip-preview");
    } catch (e) {
      console.error(`cleanup destroy failed; state kept in ${backend}: ${(e as Error).message}`);
      return;
    }
  }
  testStack.remove();
  const results = path.join(root, "results", stack);
  // A failed run's archive is what says why: kept with the suite's other artifacts.
  if (!passed && fs.existsSync(results)) {
    const kept = path.join(root, "test-artifacts", `results-${stack}`);
    fs.rmSync(kept, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(kept), { recursive: true });
    fs.renameSync(results, kept);
    console.error(`the failed run's archive: ${kept}`);
  }
  fs.rmSync(results, { recursive: true, force: true });
});

describe("the default stack, for real", () => {
  jest.setTimeout(30 * 60 * 1000);

  it("up -> facts, platforms and guests in outputs -> no changes -> destroy leaves nothing", async () => {
    pulumi("stack", "init");
    const machineBefore = machineState(stack);
    const t0 = Date.now();
    upStarted = true;
    const upLog = pulumiLog("up", "--yes", "--skip-preview");
    console.log(`up: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    // No daemon a benchmark started (lighttpd, postfix, a pair's server) kept
    // the server's measurement lock: another stack's turns would wait on it.
    expect(
      sh(
        "find /proc/[0-9]*/fd -lname /var/lib/virt-testbed/host/measure.lock 2>/dev/null | " +
          "cut -d/ -f3 | sort -u | xargs -r -I{} cat /proc/{}/cmdline | tr '\\0' ' '",
      ),
    ).toBe("");

    // While it ran, each benchmark's line said how far it was and what it measured
    // last (measure/live.ts), and its raw output streamed to results/<stack>/trials/.
    expect(upLog).toMatch(
      /local-openssl-speed-trials creating \(\d+s\)[^\n]* round 2\/3 · ~\S+ left · last: local\/\S+ throughput aes-128-cbc [\d.]+ [kMG]?B\/s/,
    );
    const streamed = fs
      .readdirSync(path.join(root, "results", stack, "trials"))
      .filter((f) => f.startsWith("local-openssl-speed."));
    expect(streamed).toHaveLength(1);
    const stream = fs.readFileSync(
      path.join(root, "results", stack, "trials", streamed[0]),
      "utf8",
    );
    expect(stream.match(/^@@@ end \d+ rc=0 /gm)).toHaveLength(3 * 3);

    // A first figure while the guests were still being set up: bare metal's
    // pilot (measure/schedule.ts pilotRun), said as not counted, ended before
    // the first measured round began.
    expect(upLog).toMatch(
      /local-baseline-host-openssl-speed-pilot creating \(\d+s\) pilot, not counted · (trial 1\/1|1 of 1 trials ran)/,
    );
    const pilotStream = fs
      .readdirSync(path.join(root, "results", stack, "trials"))
      .filter((f) => f.startsWith("local-baseline-host-openssl-speed-pilot."));
    expect(pilotStream).toHaveLength(1);
    expect(
      fs
        .readFileSync(path.join(root, "results", stack, "trials", pilotStream[0]), "utf8")
        .match(/^@@@ end 1 rc=0 /gm),
    ).toHaveLength(1);
    const steps = (
      JSON.parse(pulumi("stack", "export")).deployment.resources as {
        urn: string;
        outputs?: { startedAt?: string; durationSeconds?: number };
      }[]
    ).filter((r) => /::local-(baseline-host-)?openssl-speed-(pilot|trials)$/.test(r.urn));
    const [pilot, first] = ["pilot", "trials"].map((k) => {
      const o = steps.find((r) => r.urn.endsWith(`-${k}`))!.outputs!;
      return {
        start: Date.parse(o.startedAt!),
        end: Date.parse(o.startedAt!) + o.durationSeconds! * 1000,
      };
    });
    expect(pilot.end).toBeLessThanOrEqual(first.start);
    console.log(
      `first figure (the pilot's): ${((pilot.end - t0) / 1000).toFixed(0)}s after up started; ` +
        `first measured round: ${((first.start - t0) / 1000).toFixed(0)}s`,
    );

    const outputs = JSON.parse(pulumi("stack", "output", "--json"));
    const local = outputs.testbed.local;
    // Facts agree with what Node sees of this same machine.
    expect(local.facts.hostname).toBe(os.hostname());
    expect(local.facts.cpu.logicalCpus).toBe(os.cpus().length);
    expect(local.facts.kernel.release).toBe(os.release());
    expect(Math.abs(local.facts.memory.totalMiB - os.totalmem() / 2 ** 20)).toBeLessThan(64);
    expect(local.profileCheck).toEqual({ profile: "auto", matches: true, mismatches: [] });

    // The probe booted for real and kept within its time bound.
    expect(local.accel.kvm.seconds).toBeLessThanOrEqual(20 + 6);
    expect(local.accel.tcg.result).toBe("boots");
    if (!hasHardwareVirt) {
      // This machine: no VT-x/AMD-V, so a KVM guest cannot boot; TCG must be chosen.
      expect(local.accel.kvm.result).not.toBe("boots");
      expect(local.accel.accel).toBe("tcg");
    }

    const p = local.platforms;
    expect(p.baseline.info).toEqual({ type: "baseline", managed: true });
    const [ct] = p.lxc.guests;
    expect(ct).toMatchObject({ kind: "lxc", name: `vtb-${stack}-ct`, memoryMiB: 2048 });
    expect(["running", "degraded"]).toContain(ct.systemd);
    expect(ct.netns).toMatch(/^vtb-[0-9a-f]{8}$/);
    const [vm] = p.kvm.guests;
    expect(p.kvm.info.accel).toBe(local.accel.accel);
    expect(vm).toMatchObject({
      kind: "kvm",
      name: `vtb-${stack}-vm`,
      domainType: local.accel.accel === "kvm" ? "kvm" : "qemu",
      ssh: `root@127.0.0.1:${sshPort}`,
    });
    expect(vm.kernel).toMatch(/cloud-amd64$/);
    console.log(`guest boot to SSH: ${vm.bootToSshSeconds}s`);

    // Reachable and answering, seen from outside Pulumi.
    expect(await sshBanner(sshPort)).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(
      sh(`lxc-attach -P /var/lib/virt-testbed/lxc -n vtb-${stack}-ct -- cat /proc/1/comm`).trim(),
    ).toBe("systemd");
    expect(sh(`virsh -c qemu:///system domstate vtb-${stack}-vm`).trim()).toBe("running");
    // The guest kernel keeps no TIME_WAIT (slirp's reused ports, guest.ts): asked
    // on its command line, and in effect as the guest read it once booted.
    expect(sh(`virsh -c qemu:///system dumpxml vtb-${stack}-vm`)).toMatch(
      /<cmdline>(?:[^<]* )?sysctl\.net\.ipv4\.tcp_max_tw_buckets=0(?: |<)/,
    );
    expect(vm.sysctls).toEqual({ "net.ipv4.tcp_max_tw_buckets": "0" });
    // Under TCG its virtio-net sends on a timer (domain-xslt.ts), as its info says.
    const nicDevice = vm.domainType === "qemu" ? "virtio-net-pci,tx=timer" : "virtio-net-pci";
    expect(sh(`virsh -c qemu:///system dumpxml vtb-${stack}-vm`)).toMatch(
      new RegExp(`value=['"]${nicDevice},netdev=vtbnet0,`),
    );
    expect(vm.nicDevice).toBe(nicDevice);

    // Every configured benchmark measured every platform, with parsed numbers.
    const configured: Record<string, number> = {
      "openssl-speed": 3,
      bonnie: 3,
      ab: 3,
      iperf3: 3,
      iperf: 3,
      postal: 1,
    };
    const targets = [
      ["baseline", "host"],
      ["lxc", `vtb-${stack}-ct`],
      ["kvm", `vtb-${stack}-vm`],
    ];
    for (const [platform, guest] of targets) {
      for (const [b, trials] of Object.entries(configured)) {
        const o = outputs.results.local[platform][guest][b];
        // Bare metal and the container must be clean; under TCG and QEMU user
        // networking an iperf (2) control connection is sometimes reset, which
        // the result reports as a failed trial ("partial"), never as a number.
        // iperf3 must be clean there too: its reverse run, which came in while
        // the guest's server was between tests and was reset by slirp (issue
        // 22), is now tried again when it never started (benchmarks/iperf3.sh).
        const tcgNet = platform === "kvm";
        const allowed = tcgNet && b === "iperf" ? ["ok", "partial"] : ["ok"];
        // The trials' errors in the failure message: which network error it was.
        const errors = (o.trials as { error?: string }[]).map((t) => t.error).filter(Boolean);
        expect({ target: `${platform}/${guest}`, b, status: o.status, errors }).toEqual({
          target: `${platform}/${guest}`,
          b,
          status: allowed.includes(o.status) ? o.status : allowed.join(" or "),
          errors,
        });
        for (const t of o.trials as { exitCode: number; error?: string }[]) {
          if (o.status !== "ok" && t.error) expect(t.error).toMatch(/^iperf: /);
        }
        expect(o.trials).toHaveLength(trials);
        const medians = Object.values(o.metrics as Record<string, { median: number }>).map(
          (m) => m.median,
        );
        expect(medians.length).toBeGreaterThan(0);
        expect(medians.every(Number.isFinite)).toBe(true);
      }
    }
    // Compared with bare metal, like the papers' "% of bare metal".
    const cmp = outputs.comparison.local.kvm[`vtb-${stack}-vm`]["openssl-speed"];
    const aes = cmp["throughput[algorithm=aes-128-cbc,blockBytes=16384]"];
    expect(aes.percentOfBaseline).toBeGreaterThan(0);
    // Each side's trials and what the host did before each, so a verdict that
    // surprises can be read from the log (the archive goes with the test).
    const key = "throughput[algorithm=aes-128-cbc,blockBytes=16384]";
    const sides = ["baseline", "kvm"].map((p) => {
      const o =
        p === "baseline"
          ? outputs.results.local.baseline.host
          : outputs.results.local.kvm[`vtb-${stack}-vm`];
      const r = o["openssl-speed"];
      const ctx = (
        r.trials as { context?: { round: number; host: Record<string, unknown> } }[]
      ).map(
        (t) =>
          `r${t.context?.round} busy ${t.context?.host.busyCpus} lock ${t.context?.host.lockWaitSeconds}s`,
      );
      return `${p} ${JSON.stringify(r.metrics[key].trials)} (${ctx.join("; ")})`;
    });
    console.log(
      `TCG guest aes-128-cbc 16 KiB blocks: ${aes.percentOfBaseline.toFixed(1)}% of bare metal, ` +
        `95% CI ${aes.ci?.low?.toFixed(1)}-${aes.ci?.high?.toFixed(1)}%\n${sides.join("\n")}`,
    );
    // Archived with raw outputs, tool versions and the targets' facts.
    const archive = outputs.archive.local as string;
    const saved = JSON.parse(fs.readFileSync(path.join(archive, "results.json"), "utf8"));
    // With the configuration and the testbed's description, so a run explains itself.
    expect(saved.config.servers[0].name).toBe("local");
    expect(saved.config.sshKeys).toBeUndefined();
    expect(saved.testbed.local.platforms.kvm.info.accel).toBe(local.accel.accel);
    expect(saved.results.local.baseline.host["openssl-speed"].toolVersion).toMatch(/^OpenSSL /);
    expect(saved.targets["local/baseline/host"].cpu.logicalCpus).toBe(os.cpus().length);
    // The targets took turns, trial by trial, in the recorded order, with the
    // other guests paused: bare metal beside a frozen container and a suspended VM.
    const keys = targets.map(([p, g]) => `local/${p}/${g}`);
    const bare = saved.results.local.baseline.host["openssl-speed"];
    expect(bare.schedule.seed).toBe(stack);
    expect(bare.schedule.rounds).toHaveLength(3);
    for (const round of bare.schedule.rounds) expect([...round].sort()).toEqual([...keys].sort());
    for (const t of bare.trials) {
      expect([...t.context.paused].sort()).toEqual(keys.slice(1).sort());
      expect(t.context.host.kernel).toBe(os.release());
    }
    const ctTrials = saved.results.local.lxc[`vtb-${stack}-ct`]["openssl-speed"].trials;
    expect(ctTrials.map((t: { context: { paused: string[] } }) => t.context.paused)).toEqual(
      Array(3).fill([`local/kvm/vtb-${stack}-vm`]),
    );
    expect(bare.measured.commit).toMatch(/^[0-9a-f]{40}/);
    expect(bare.stopped).toBe("3 rounds, as asked");
    // Nothing is left paused once the benchmarks are done.
    expect(sh(`lxc-info -P /var/lib/virt-testbed/lxc -n vtb-${stack}-ct -s`)).toMatch(/RUNNING/);
    // The TCG guest's distance from bare metal is far beyond its interval.
    expect(aes.verdict).toBe("slower");
    expect(aes.ci.high).toBeLessThan(100);
    // Each trial's raw output, re-parsed by the same parser the run used.
    const trial = path.join(archive, "raw/local/kvm", `vtb-${stack}-vm`, "bonnie", "trial-1.txt");
    const reparsed = JSON.parse(
      execFileSync("npm", ["run", "--silent", "parse", "--", "bonnie", trial], {
        cwd: root,
        encoding: "utf8",
      }),
    );
    expect(reparsed.metrics.length).toBeGreaterThan(0);

    // The guests' SSH private key is a secret: readable with --show-secrets, and
    // nowhere in plain state, the update's log, the outputs or the archive.
    const secretState = pulumi("stack", "export", "--show-secrets");
    // The export holds it JSON-escaped once or twice (a secret's plaintext is JSON in JSON).
    const keyBody = /-----BEGIN OPENSSH PRIVATE KEY-----((?:\\+n|[A-Za-z0-9+/=])+)-----END/
      .exec(secretState)?.[1]
      .replace(/\\+n/g, "");
    expect(keyBody?.length).toBeGreaterThan(200);
    // Most of the body is the same for every ed25519 key, or is the public key;
    // these characters are the private seed's (ahead of the comment and padding).
    const seed = keyBody!.slice(-100, -76);
    const needles = [seed, Buffer.from(seed).toString("base64")];
    // Key text is wrapped in lines, maybe JSON-escaped: search it without line breaks.
    const flat = (text: string) => text.replace(/\\+n|\n/g, "");
    // The search finds the key where it is in the clear.
    expect(needles.some((n) => flat(secretState).includes(n))).toBe(true);
    const stackFiles = path.join(backend, ".pulumi", "stacks");
    const haystacks: Record<string, string> = {
      "plain state export": pulumi("stack", "export"),
      "state files": readTree(stackFiles),
      "log of up": upLog,
      "stack outputs": pulumi("stack", "output", "--json"),
      archive: readTree(archive),
    };
    for (const [where, text] of Object.entries(haystacks)) {
      expect({ where, leaked: needles.some((n) => flat(text).includes(n)) }).toEqual({
        where,
        leaked: false,
      });
    }

    // A second look changes nothing: no benchmark would run again.
    pulumi("preview", "--expect-no-changes");

    // libvirtd dies, as on a restart of a host without systemd: destroy must still
    // work, because the project's CLI brings the daemon back for a state with libvirt objects.
    if (!fs.existsSync("/run/systemd/system")) {
      sh(
        "pkill -x libvirtd; for i in $(seq 50); do pidof libvirtd >/dev/null || break; sleep 0.2; done",
      );
      expect(() => sh("virsh -c qemu:///system version 2>/dev/null")).toThrow();
    }
    const t1 = Date.now();
    pulumi("destroy", "--yes", "--skip-preview");
    destroyed = true;
    console.log(`destroy: ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    const state = JSON.parse(pulumi("stack", "export"));
    expect(state.deployment.resources ?? []).toEqual([]);
    expect(leftovers()).toEqual([]);
    // Packages, libvirt objects, volumes, containers, namespaces: as before the up.
    expect(machineState(stack)).toEqual(machineBefore);
    expect(
      sh("ip netns list")
        .split("\n")
        .filter((l) => l.startsWith(`${ct.netns} `) || l === ct.netns),
    ).toEqual([]);
    expect(fs.existsSync(`/var/lib/virt-testbed/lxc/vtb-${stack}-ct`)).toBe(false);
    expect(fs.existsSync(`/var/lib/virt-testbed/pools/vtb-${stack}`)).toBe(false);
    if (!workspaceBefore) expect(fs.existsSync("/var/lib/virt-testbed")).toBe(false);
    // Nothing measured is lost: the archive outlives the testbed.
    expect(fs.existsSync(path.join(archive, "results.json"))).toBe(true);
    pulumi("stack", "rm", "--yes", "--preserve-config");
    passed = true;
  });
});
