import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { freePort } from "../helpers/sshd";
import { root, TestStack } from "../helpers/stack";

// Xen's real flow on an emulated physical server, for real: the project
// builds the server's disk (cached by content), boots it under QEMU TCG shaped
// after the dual E5420 blade, and treats it as any server reached over SSH:
// facts and the profile check, the Xen packages, the boot entry, the reboot
// into Xen, dom0's `xl info`, a para guest from the guest image, a benchmark
// on bare metal (dom0) and in the guest. Then Xen is destroyed alone and the
// server inspected (plain kernel, nothing of Xen left), then the rest: the
// server itself leaves nothing on this machine. Faults on the way, made by
// stopping the server's QEMU (SIGSTOP: it neither answers nor refuses): the
// reboot into Xen not back within rebootTimeoutMinutes; a server that no
// longer answers when the stack is destroyed; then the same server gone
// (its QEMU killed). The server sits behind a second emulated server, its
// jump host (connection.jump): a private link between the two QEMUs, no port
// of its own here, so every step on it and on its guest goes through that one.
const name = "e2eemu";
const sh = (cmd: string) => execFileSync("bash", ["-c", cmd], { encoding: "utf8" });
const dir = "/var/lib/virt-testbed/emulated/emu";
const gwDir = "/var/lib/virt-testbed/emulated/gw";
const qemuRunning = (n = "emu") => sh(`pgrep -f -- '-name vtb-emu-${n}( |$)' || true`).trim();
const qemu = (signal: "STOP" | "CONT") => {
  const pid = qemuRunning();
  expect(pid).toMatch(/^\d+$/);
  sh(`kill -${signal} ${pid}`);
};

let stack: TestStack;
let port: number;
let upStarted = false;

beforeAll(async () => {
  port = await freePort();
  stack = new TestStack(
    name,
    `config:
  testbed:benchmarks:
    - id: openssl-speed
      profile: quick
      repeats: 2
  testbed:servers:
    - name: gw
      connection:
        type: emulated
        sshPort: ${port}
        memoryMiB: 512
        maxVcpus: 1
      platforms: []
    - name: emu
      connection:
        type: emulated
        jump: gw
        memoryMiB: 3072
        maxVcpus: 2
      profile: dual-e5420-blade
      platforms:
        - type: baseline
        - type: xen
          dom0MemoryMiB: 1024
          rebootTimeoutMinutes: 1
          guests:
            - name: para
              mode: para
              memoryMiB: 512
              disk: { sizeGiB: 4, bus: xen }
`,
  );
});

afterAll(() => {
  stack?.finish({ created: upStarted, keep: false, say: (s) => console.error(s) });
  fs.rmSync(path.join(root, "results", name), { recursive: true, force: true });
});

/** A command on the emulated server through its jump host, each with its own key and pinned host key. */
const onServer = (cmd: string) => {
  const strict = "-o StrictHostKeyChecking=yes -o BatchMode=yes";
  const via = `ssh -i ${gwDir}/id_ed25519 -o UserKnownHostsFile=${gwDir}/known_hosts ${strict} -p ${port} -W %h:%p root@127.0.0.1`;
  return execFileSync(
    "ssh",
    [
      ...["-i", `${dir}/id_ed25519`, "-o", `UserKnownHostsFile=${dir}/known_hosts`],
      ...["-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes", "-o", `ProxyCommand=${via}`],
      "root@10.223.0.2",
      cmd,
    ],
    { encoding: "utf8" },
  );
};

describe("Xen on an emulated server, for real", () => {
  jest.setTimeout(45 * 60 * 1000);

  it("measures bare metal, boots Xen, measures a para guest, and goes back to the plain kernel on destroy", async () => {
    stack.pulumi("stack", "init");
    const t0 = Date.now();
    upStarted = true;
    // The server reboots into Xen and stops answering: the wait ends at its limit, saying so.
    const first = stack.start("up", "--yes", "--skip-preview");
    await first.waitFor(/emu-xen-boot-entry created/, 40 * 60);
    qemu("STOP");
    const stopped = Date.now();
    const r = await first.exited;
    qemu("CONT");
    const said = r.stdout + r.stderr;
    expect(r.status).not.toBe(0);
    expect(said).toMatch(
      /server emu: xen: wait up to 1 min \(rebootTimeoutMinutes\) for the reboot into Xen, then xl info \(its console: \/var\/lib\/virt-testbed\/emulated\/emu\/console\.log\): ssh root@10\.223\.0\.2:22 through 127\.0\.0\.1: /,
    );
    expect(said).toMatch(/\(gave up after \d+ tries in [67]\d s; the limit was 60 s\)/);
    console.log(`reboot not back: up ended ${((Date.now() - stopped) / 1000).toFixed(1)}s after`);
    // Back, and given longer: the next up waits it out and goes on.
    fs.writeFileSync(
      stack.configFile,
      fs
        .readFileSync(stack.configFile, "utf8")
        .replace("rebootTimeoutMinutes: 1", "rebootTimeoutMinutes: 10"),
    );
    stack.pulumi("up", "--yes", "--skip-preview");
    console.log(`up: ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    const outputs = JSON.parse(stack.pulumi("stack", "output", "--json"));

    // The server the steps reached is the emulated one, not this machine.
    const tb = outputs.testbed.emu;
    expect(tb.emulated.cpu).toBe("qemu64,+svm,+npt sockets=2 cores=1 memory=3072MiB");
    expect(tb.emulated.qemu).toMatch(/^QEMU emulator version \d/);
    expect(tb.facts.hostname).toBe("vtb-server");
    expect(tb.facts.cpu.sockets).toBe(2);
    // The profile check says what differs from the real blade.
    const mismatched = tb.profileCheck.mismatches.map((m: { field: string }) => m.field);
    expect(mismatched).toEqual(expect.arrayContaining(["cpu.model", "memory.totalMiB"]));
    expect(mismatched).not.toContain("cpu.sockets");
    // Xen booted, through the server's GRUB, with the dom0 memory asked for.
    expect(tb.platforms.xen.info.xen).toMatch(/^4\.\d+/);
    expect(tb.platforms.baseline.info.measuredIn).toMatch(
      /^the plain kernel, before the reboot into Xen/,
    );
    const [guest] = tb.platforms.xen.guests;
    expect(guest).toMatchObject({ kind: "xen", mode: "para" });
    console.log(`para guest: ${guest.name}, SSH after ${guest.bootToSshSeconds}s, ${guest.kernel}`);

    // The benchmark ran on bare metal before the reboot, then in the guest, and
    // one is compared with the other, saying they did not take turns.
    const ssl = outputs.results.emu;
    for (const at of [ssl.baseline.host["openssl-speed"], ssl.xen[guest.name]["openssl-speed"]]) {
      expect(at.status).toBe("ok");
      expect(at.trials).toHaveLength(2);
    }
    const metric = "sign_rate[algorithm=rsa2048]";
    const [host, para] = [ssl.baseline.host, ssl.xen[guest.name]].map(
      (t) => t["openssl-speed"].metrics[metric].median as number,
    );
    console.log(`openssl speed ${metric}: plain kernel ${host}, para guest ${para}`);
    const vs = outputs.comparison.emu.xen[guest.name]["openssl-speed"][metric];
    expect(vs).toMatchObject({ interleaved: false, verdict: expect.any(String) });
    const [bare, inGuest] = [ssl.baseline.host, ssl.xen[guest.name]].map(
      (t) => t["openssl-speed"].measured,
    );
    expect(Date.parse(bare.startedAt) + bare.seconds * 1000).toBeLessThan(
      Date.parse(inGuest.startedAt),
    );

    // Its keys are the server's alone, readable by root only; SSH on loopback only.
    expect(sh(`stat -c %a ${dir} ${dir}/id_ed25519 ${dir}/seed.iso`).trim().split("\n")).toEqual([
      "700",
      "600",
      "600",
    ]);
    // The jump host's SSH on loopback only; the server behind it has no port here.
    expect(sh(`ss -Hltn 'sport = :${port}' | awk '{print $4}'`).trim()).toBe(`127.0.0.1:${port}`);
    expect(sh(`tr '\\0' ' ' </proc/${qemuRunning()}/cmdline`)).not.toContain("hostfwd");
    expect(outputs.testbed.gw.facts.hostname).toBe("vtb-server");
    // Their private keys are secrets: in no plain output, state or archive.
    // The key's last base64 line: its first lines are the same for every ed25519 key.
    const [shown, state] = [
      stack.pulumi("stack", "output", "--json"),
      stack.pulumi("stack", "export"),
    ];
    for (const d of [dir, gwDir]) {
      const lines = fs.readFileSync(`${d}/id_ed25519`, "utf8").trim().split("\n");
      const body = lines[lines.length - 2];
      expect(body.length).toBeGreaterThan(20);
      expect(shown).not.toContain(body);
      expect(state).not.toContain(body);
      expect(
        sh(`grep -rlF -- ${JSON.stringify(body)} ${root}/results/${name} || true`).trim(),
      ).toBe("");
    }

    // A second look changes nothing.
    stack.pulumi("preview", "--expect-no-changes");

    // Bare metal measured again once the server runs Xen: refused, not dom0's
    // figures archived as the plain kernel's.
    const plainRun = stack
      .resources()
      .find((r) => r.urn.endsWith("::emu-plain-kernel-openssl-speed-trials"));
    expect(plainRun).toBeDefined();
    const again = stack.run("up", "--yes", "--skip-preview", "--replace", plainRun!.urn);
    expect(again.stdout + again.stderr).toMatch(
      /not measured: bare metal is measured on the plain kernel, before the reboot into Xen, and the server runs Xen now/,
    );
    const refused = JSON.parse(stack.pulumi("stack", "output", "--json")).results.emu.baseline.host[
      "openssl-speed"
    ];
    expect(refused.status).toBe("failed");
    expect(refused.trials.length).toBeGreaterThan(0);
    expect(
      refused.trials.every((t: { error?: string }) => /not measured/.test(t.error ?? "")),
    ).toBe(true);

    // Xen alone first (and what depends on it): the server stays, to be inspected.
    const xen = stack
      .resources()
      .filter((r) => r.urn.includes("testbed:platform:Xen"))
      .flatMap((r) => ["--target", r.urn]);
    expect(xen.length).toBeGreaterThan(4);
    const t1 = Date.now();
    stack.pulumi("destroy", "--yes", "--skip-preview", "--target-dependents", ...xen);
    console.log(`destroy of Xen and its guest: ${((Date.now() - t1) / 1000).toFixed(1)}s`);
    const after = onServer(
      [
        'echo "hypervisor: $(cat /sys/hypervisor/type 2>/dev/null || echo none)"',
        'echo "xen packages: $(dpkg-query -W -f="\\${Package} \\${Status}\\n" "xen-*" "qemu-system-xen" 2>/dev/null | grep -c "ok installed" || true)"',
        'echo "boot entry: $(ls /etc/default/grub.d/virt-testbed-xen.cfg 2>/dev/null || echo none)"',
        'echo "xen in /boot: $(ls /boot | grep -c "^xen" || true)"',
        'echo "bridge: $(ip -br link show vtbxen0 2>/dev/null || echo none)"',
        'echo "guests dir: $(ls -d /var/lib/virt-testbed/xen 2>/dev/null || echo none)"',
      ].join("; "),
    );
    console.log(`the server after Xen's destroy:\n${after}`);
    expect(after).toContain("hypervisor: none\n");
    expect(after).toContain("xen packages: 0\n");
    expect(after).toContain("boot entry: none\n");
    expect(after).toContain("xen in /boot: 0\n");
    expect(after).toContain("bridge: none\n");
    expect(after).toContain("guests dir: none\n");

    // The server stops answering (its QEMU stopped, not gone): destroy fails, saying what to do.
    qemu("STOP");
    const t2 = Date.now();
    let silent;
    try {
      silent = stack.run("destroy", "--yes", "--skip-preview");
    } finally {
      // Done as the error says, whatever it said: what was on the server goes with its disk.
      sh(`kill -KILL ${qemuRunning()}`);
    }
    expect(silent.status).not.toBe(0);
    expect(silent.stdout + silent.stderr).toMatch(
      /Its emulated server's QEMU still runs\. If the server is hung, stop it \(kill the pid in \/var\/lib\/virt-testbed\/emulated\/emu\/qemu\.pid\) and destroy again/,
    );
    // Each step still on it: not undone, with a warning.
    const gone = stack.run("destroy", "--yes", "--skip-preview");
    upStarted = gone.status !== 0;
    console.log(
      `destroy of the rest, the server silent: ${((Date.now() - t2) / 1000).toFixed(1)}s`,
    );
    expect(gone.status).toBe(0);
    expect(gone.stdout + gone.stderr).toMatch(
      /warning: server emu: [^\n]*: not undone: its emulated server's QEMU no longer runs, and what was on the server went with its disk/,
    );
    expect(qemuRunning()).toBe("");
    expect(qemuRunning("gw")).toBe("");
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.existsSync(gwDir)).toBe(false);
    expect(sh(`ss -Hltn 'sport = :${port}'`).trim()).toBe("");
    expect(
      // Its own claims only: another stack may have an emulated server meanwhile.
      sh(
        "ls /var/lib/virt-testbed/host/objects 2>/dev/null | grep -E '^emulated-(emu|gw)$' || true",
      ),
    ).toBe("");
    // The results outlive the server.
    expect(fs.readdirSync(path.join(root, "results", name)).length).toBeGreaterThan(0);
  });
});
