import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { iperf3 } from "../../../benchmarks/iperf";
import { pairs } from "../../../benchmarks";
import { BenchmarkModule } from "../../../benchmarks/types";
import { runScript } from "../../../components/command";
import { pairUp } from "../../../components/measure/pairing";
import { BenchmarkRun } from "../../../components/measure/run";
import { Target } from "../../../components/measure/target";
import { Trial } from "../../../components/measure/trials";
import { freePort, startSshd, TestSshd } from "../../helpers/sshd";
import { scratchDir } from "../../helpers/scratch";

// A run's failures are reported as resource errors; recorded here.
const mockReported: string[] = [];
jest.mock("../../../components/failure", () => ({
  reportFailure: (message: string) => mockReported.push(message),
}));

const t = (platform: string, guest: string, more: Partial<Target> = {}): Target => ({
  server: "local",
  platform,
  guest,
  ready: [],
  info: pulumi.output({}),
  ...more,
});
const host = t("baseline", "host", {
  peer: {
    way: { via: "host" },
    bind: "127.0.0.1",
    connect: (port) => ({ host: "127.0.0.1", port }),
  },
});
const ct = t("lxc", "ct", {
  peer: {
    way: { via: "lxc", name: "ct", lxcpath: "/x" },
    bind: "10.199.0.2",
    connect: (port) => ({ host: "10.199.0.2", port }),
    netns: "ns",
  },
});
const vm = (i: number) =>
  t("kvm", `vm-${i}`, {
    peer: {
      way: { via: "ssh", host: "127.0.0.1", port: 22200 + i, privateKey: "key" },
      bind: "10.0.2.15",
      connect: () => ({ host: "127.0.0.1", port: 22200 + i + 1000 }),
    },
    hostLoopback: "10.0.2.2",
  });

describe("pairUp: what reaches what", () => {
  it("pairs a target with its own host, in the container's namespace for a container", () => {
    expect(pairUp(host, 5201)).toMatchObject({
      server: { via: "host" },
      client: { via: "host" },
      bind: "127.0.0.1",
      connect: { host: "127.0.0.1", port: 5201 },
    });
    expect(pairUp(ct, 5201)).toMatchObject({
      server: { via: "lxc" },
      client: { via: "netns", netns: "ns" },
      connect: { host: "10.199.0.2", port: 5201 },
    });
    expect(pairUp(ct, 5201).clientKey).toBeUndefined();
    expect(pairUp(ct, 5201, host).clientKey).toBe("local/baseline/host");
  });

  it("lets a VM guest's client reach bare metal and another guest through the host's loopback", () => {
    expect(pairUp(host, 5201, vm(0))).toMatchObject({
      server: { via: "host" },
      client: { via: "ssh", port: 22200 },
      bind: "127.0.0.1",
      connect: { host: "10.0.2.2", port: 5201 },
      clientKey: "local/kvm/vm-0",
    });
    expect(pairUp(vm(1), 5201, vm(0))).toMatchObject({
      server: { via: "ssh", port: 22201 },
      client: { via: "ssh", port: 22200 },
      bind: "10.0.2.15",
      connect: { host: "10.0.2.2", port: 23201 },
    });
  });

  it("refuses what does not reach, saying why", () => {
    // The rule config validation applies (reach.ts), with the two sides named.
    expect(() => pairUp(ct, 5201, vm(0))).toThrow(
      /^local\/lxc\/ct served to local\/kvm\/vm-0: a kvm guest reaches its host's loopback, .*a container's namespace is reached from its host only/,
    );
    expect(() => pairUp(host, 5201, ct)).toThrow(
      /a client runs on a server's host or in a kvm guest, not in lxc/,
    );
    expect(() => pairUp(vm(0), 5201, vm(0))).toThrow(/a pair needs two targets/);
    const far = { ...host, server: "far" };
    expect(() => pairUp(far, 5201, host)).toThrow(
      /server far is reached from local at its SSH address: it needs connection type ssh with an IPv4 host and no jump host/,
    );
    expect(() => pairUp({ ...vm(0), server: "far" }, 5201, host)).toThrow(
      /across two servers a pair runs between their hosts/,
    );
  });

  it("reaches another server's host at its SSH address", () => {
    const way = { via: "ssh" as const, host: "192.0.2.7", port: 22, privateKey: "k" };
    const far = { ...host, server: "far", remote: { address: "192.0.2.7", way } };
    expect(pairUp(far, 5201, host)).toEqual({
      server: way,
      client: { via: "host" },
      bind: "192.0.2.7",
      connect: { host: "192.0.2.7", port: 5201 },
      clientKey: "local/baseline/host",
    });
  });
});

// The run's step as index.ts makes it, run for real: the mocked engine runs
// each command's script on this machine, against a loopback sshd standing in
// for a VM guest and for a second server. Real iperf3, real parser.
describe("a pair run, for real over SSH", () => {
  let sshd: TestSshd;
  const tmps = new Map<string, string>();
  const ran: { name: string; env: Record<string, string>; stdout: string; stderr: string }[] = [];
  beforeAll(async () => {
    sshd = await startSshd();
    expect(sshd.user).toBe("root");
    await pulumi.runtime.setMocks(
      {
        newResource: async (args) => {
          // The environment is a secret (it carries SSH keys): the mock sees it wrapped.
          const raw = args.inputs.environment as { value?: Record<string, string> };
          const env = (pulumi.runtime.specialSigKey in raw ? raw.value : raw) as Record<
            string,
            string
          >;
          // Its own TMPDIR, to see what the step leaves behind there.
          const tmp = scratchDir("vtb-pair-test-");
          tmps.set(args.name, tmp);
          const r = await runScript(
            args.inputs.create as string,
            { ...env, TMPDIR: tmp },
            120,
            args.name,
          ).catch((e: Error) => ({ stdout: "", stderr: e.message }));
          ran.push({ name: args.name, env, stdout: r.stdout, stderr: r.stderr });
          return {
            id: `${args.name}-id`,
            state: {
              ...args.inputs,
              stdout: r.stdout,
              stderr: r.stderr,
              failure: "",
              startedAt: "t0",
            },
          };
        },
        call: (args) => args.inputs,
      },
      "virt-testbed",
      "unit",
      false,
    );
  }, 30_000);
  afterAll(() => {
    sshd?.stop();
    for (const d of tmps.values()) fs.rmSync(d, { recursive: true, force: true });
  });

  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
  const parent = new pulumi.ComponentResource("test:index:Parent", "p");
  const sshWay = () => ({
    via: "ssh" as const,
    host: "127.0.0.1",
    port: sshd.port,
    privateKey: sshd.privateKey,
  });
  const run = (
    name: string,
    target: Target,
    client: Target,
    module = iperf3 as BenchmarkModule,
    port = 5201,
  ) =>
    new BenchmarkRun(
      name,
      {
        target,
        client,
        module,
        params: iperf3.parameters.parse({ ...iperf3.quick, duration: 1, port }),
        repeats: 1,
        trialTimeoutSeconds: 60,
        pair: pairs.iperf3,
      },
      { parent },
    );
  const throughputs = (trials: Trial[]) =>
    trials.flatMap((tr) => tr.result?.metrics ?? []).filter((m) => m.name === "throughput");

  it("runs the client in a guest it enters over SSH, the server on the host", async () => {
    // The "guest" is this machine over SSH: its host's loopback is its own.
    const guest = t("kvm", "vm-0", {
      peer: { ...vm(0).peer!, way: sshWay() },
      hostLoopback: "127.0.0.1",
    });
    const r = run("guest-client", host, guest);
    const trials = await value(r.trials);
    const rec = ran.find((x) => x.name === "guest-client-trials")!;
    expect({ error: trials[0].error, stderr: rec.stderr }).toEqual({
      error: undefined,
      stderr: "",
    });
    expect(throughputs(trials).length).toBeGreaterThanOrEqual(2);
    expect(throughputs(trials).every((m) => m.value > 0)).toBe(true);
    expect(r.client).toBe("local/kvm/vm-0");
    // The client was handed the runner's environment, not the ways in or their keys.
    expect(rec.env.VTB_CLIENT_VIA).toBe("ssh");
    expect(rec.stdout).not.toContain("PRIVATE KEY");
  }, 60_000);

  it("starts the server on another server's host over SSH and runs the client here", async () => {
    const far = {
      ...host,
      server: "far",
      remote: { address: "127.0.0.1", way: sshWay() },
    };
    const r = run("far-host", far, host);
    const trials = await value(r.trials);
    const rec = ran.find((x) => x.name === "far-host-trials")!;
    expect({ error: trials[0].error, stderr: rec.stderr }).toEqual({
      error: undefined,
      stderr: "",
    });
    expect(rec.env).toMatchObject({ VTB_SERVER_VIA: "ssh", VTB_CLIENT_VIA: "host" });
    expect(throughputs(trials).every((m) => m.value > 0)).toBe(true);
    expect(r.client).toBe("local/baseline/host");
    // The server is gone (a zombie aside: nothing reaps orphans here) and the key file with it.
    const { execFileSync } = await import("child_process");
    expect(
      execFileSync("bash", ["-c", "ps -eo stat=,pid=,comm= | awk '$1 !~ /^Z/ && $3 == \"iperf3\"'"])
        .toString()
        .trim(),
    ).toBe("");
    expect(fs.readdirSync(tmps.get("far-host-trials")!)).toEqual([]);
  }, 60_000);

  // Seen once on a QEMU guest: its network stalled through a trial and past it,
  // so the kill over SSH failed, the server kept its port, and every later start
  // of the pair failed ("something already listens") until the guest was made again.
  it("says when it cannot stop the server, and the pair's next start stops it", async () => {
    const far = { ...host, server: "far", remote: { address: "127.0.0.1", way: sshWay() } };
    // A process still running (a zombie is not: nothing reaps orphans here).
    const running = (pid: string) => {
      try {
        return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
      } catch {
        return false;
      }
    };
    // The way in stalls during the trial, as a stalled guest's forward does: the
    // port still accepts, and nothing answers. The server was started; the stop
    // cannot reach it, and must not wait for it for ever.
    const silent = path.join(scratchDir("vtb-pair-silent-"), "pid");
    const listen = `require("net").createServer(() => {}).listen(${sshd.port}, "127.0.0.1")`;
    const cut = {
      ...(iperf3 as BenchmarkModule),
      script:
        `kill ${sshd.pid}; while kill -0 ${sshd.pid} 2>/dev/null; do sleep 0.1; done\n` +
        `setsid node -e '${listen}' </dev/null >/dev/null 2>&1 & echo $! >${silent}\n` +
        iperf3.script,
    };
    // A port of its own: other test files' iperf3 servers may be running.
    const port = await freePort();
    let left: RegExpExecArray | null = null;
    const warned = jest.spyOn(pulumi.log, "warn");
    try {
      const t0 = Date.now();
      const first = run("far-cut", far, host, cut, port);
      const trials = await value(first.trials);
      const rec = ran.find((x) => x.name === "far-cut-trials")!;
      expect(trials[0].error).toBeUndefined();
      left =
        /^could not stop the pair's server \(PID (\d+) in its target\): the way in failed twice; its next start stops it$/m.exec(
          rec.stderr,
        );
      expect(left).not.toBeNull();
      expect(running(left![1])).toBe(true);
      expect(warned).toHaveBeenCalledWith(
        expect.stringMatching(
          /^far\/baseline\/host: iperf3 from local\/baseline\/host: could not stop /,
        ),
        expect.anything(),
      );
      // Two tries of at most 10 s each to answer, 5 s apart, and a 1-s trial.
      expect(Date.now() - t0).toBeLessThan(45_000);
    } catch (e) {
      // Nothing of a failed test left running as root.
      if (left && running(left[1])) process.kill(Number(left[1]));
      throw e;
    } finally {
      warned.mockRestore();
      if (fs.existsSync(silent)) process.kill(Number(fs.readFileSync(silent, "utf8")));
      fs.rmSync(path.dirname(silent), { recursive: true, force: true });
    }
    await sshd.restart();
    // The same pair again: its leftover stopped, a server of its own started and stopped.
    const second = run("far-again", far, host, iperf3 as BenchmarkModule, port);
    const again = await value(second.trials);
    const rec2 = ran.find((x) => x.name === "far-again-trials")!;
    expect(again[0].error).toBeUndefined();
    expect(rec2.stderr).toContain(
      `iperf-server: stopped the server an earlier run of this pair left running (PID ${left![1]})\n`,
    );
    expect(running(left![1])).toBe(false);
    expect(throughputs(again).every((m) => m.value > 0)).toBe(true);
  }, 90_000);
});
