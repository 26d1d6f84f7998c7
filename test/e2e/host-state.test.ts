import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { script } from "../../components/bash";
import { hostStateScript } from "../../components/server/host-state";
import { freePort } from "../helpers/sshd";

// Package installs on a server, for real on this machine (Debian's small
// `hello` package): they wait for the package manager's lock while someone
// else holds it, say so, and fail naming the holder when the time runs out;
// two owners of one package (two stacks, or two logical servers that are this
// one machine) never purge it from under each other.
const dir = path.join(__dirname, "..", "..", "components", "server");
const install = hostStateScript + script(dir, "packages-install.sh");
const remove = hostStateScript + script(dir, "packages-remove.sh");
const owners = ["a", "b"].map((o) => `${o.repeat(8)}${process.pid.toString(16).padStart(8, "0")}`);

const installed = (p: string) =>
  spawnSync("dpkg-query", ["-W", "-f=${Status}", p], { encoding: "utf8" }).stdout.includes(
    "ok installed",
  );

function run(body: string, env: Record<string, string>) {
  const t0 = Date.now();
  const r = spawnSync("bash", ["-c", body], {
    env: { ...process.env, VTB_PACKAGE_LOCK_TIMEOUT: "120", ...env },
    encoding: "utf8",
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Holds dpkg's front-end lock as apt does (an fcntl lock) for `seconds`; resolves once held. */
function holdAptLock(seconds: number): Promise<{ pid: number; done: Promise<void> }> {
  const perl = spawn("perl", [
    "-e",
    'use Fcntl; open(my $f, ">>", "/var/lib/dpkg/lock-frontend") or die "open: $!";' +
      'my $l = pack("s s x4 q q l x4", F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLKW, $l) or die "lock: $!";' +
      '$| = 1; print "locked\\n"; sleep($ARGV[0]);',
    String(seconds),
  ]);
  const done = new Promise<void>((resolve) => perl.on("close", () => resolve()));
  return new Promise((resolve, reject) => {
    perl.stdout.on("data", (d) => /locked/.test(String(d)) && resolve({ pid: perl.pid!, done }));
    perl.on("close", (code) => reject(new Error(`the lock holder exited ${code}`)));
  });
}

const purge = (...packages: string[]) =>
  packages.some(installed) &&
  spawnSync("apt-get", ["purge", "-y", "-qq", ...packages.filter(installed)], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });

const purgeHello = () =>
  installed("hello") &&
  spawnSync("apt-get", ["purge", "-y", "-qq", "hello"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });

beforeAll(() => purgeHello());
afterAll(() => {
  purgeHello();
  for (const o of owners) {
    for (const kind of ["packages", "libvirtd"]) {
      fs.rmSync(path.join("/var/lib/virt-testbed/host", kind, o), { force: true });
    }
  }
});

describe("package installs on a shared host", () => {
  jest.setTimeout(10 * 60 * 1000);

  it("wait for the package manager's lock, and say who held it and for how long", async () => {
    expect(installed("hello")).toBe(false);
    const lock = await holdAptLock(8);
    const r = run(install, { PACKAGES: "hello", VTB_OWNER: owners[0] });
    await lock.done;
    expect({ status: r.status, err: r.status === 0 ? "" : r.stderr }).toEqual({
      status: 0,
      err: "",
    });
    expect(r.stderr).toMatch(
      new RegExp(
        `waiting up to \\d+ s for the package manager's lock, held by pid ${lock.pid} \\(perl`,
      ),
    );
    const waited =
      /^waited: (\d+) s for the package manager's lock \(held by pid (\d+) \(perl.*lock-frontend\)$/m.exec(
        r.stdout,
      );
    expect(waited?.[2]).toBe(String(lock.pid));
    expect(Number(waited?.[1])).toBeGreaterThanOrEqual(5);
    expect(r.stdout).toMatch(/^installed: hello$/m);
    expect(installed("hello")).toBe(true);
    // Undo, so the next case installs again.
    const u = run(remove, { VTB_OWNER: owners[0], CREATE_STDOUT: r.stdout });
    expect(u.stdout).toMatch(/^purged: hello$/m);
    expect(installed("hello")).toBe(false);
  });

  it("fail when the lock is held past the time allowed, naming the holder", async () => {
    const lock = await holdAptLock(40);
    const r = run(install, {
      PACKAGES: "hello",
      VTB_OWNER: owners[0],
      VTB_PACKAGE_LOCK_TIMEOUT: "4",
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(
        `the package manager's lock is still held by pid ${lock.pid} \\(perl .*\\) on /var/lib/dpkg/lock-frontend after \\d+ s \\(set the server's packageLockTimeoutSeconds`,
      ),
    );
    expect(r.seconds).toBeLessThan(20);
    expect(installed("hello")).toBe(false);
    spawnSync("kill", [String(lock.pid)]);
    await lock.done;
  });

  it("purge a package only when the last of its owners is gone", () => {
    const a = run(install, { PACKAGES: "hello", VTB_OWNER: owners[0] });
    const b = run(install, { PACKAGES: "hello", VTB_OWNER: owners[1] });
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(a.stdout).toMatch(/^installed: hello$/m);
    expect(b.stdout).toMatch(/^installed: $/m);
    // The one that installed it leaves first: the other still needs it.
    const ua = run(remove, { VTB_OWNER: owners[0], CREATE_STDOUT: a.stdout });
    expect(ua.status).toBe(0);
    expect(ua.stdout).toMatch(
      /^kept: hello \(held on this host by another owner, which purges it when it leaves\)$/m,
    );
    expect(installed("hello")).toBe(true);
    // The last one purges it, though it did not install it itself.
    const ub = run(remove, { VTB_OWNER: owners[1], CREATE_STDOUT: b.stdout });
    expect(ub.status).toBe(0);
    expect(ub.stdout).toMatch(/^purged: hello$/m);
    expect(installed("hello")).toBe(false);
  });

  it("keep what another owner's package depends on, and hand it over, in one look at apt", () => {
    // Owner a installs a library; owner b a package that depends on it. When a
    // leaves, purging the library would take b's package along: it is kept and
    // handed to b, which purges both when it leaves.
    const [lib, dev] = ["libutf8proc2", "libutf8proc-dev"];
    purge(lib, dev);
    try {
      const a = run(install, { PACKAGES: lib, VTB_OWNER: owners[0] });
      const b = run(install, { PACKAGES: dev, VTB_OWNER: owners[1] });
      expect([a.status, b.status]).toEqual([0, 0]);
      expect(a.stdout).toMatch(new RegExp(`^installed: ${lib}$`, "m"));
      expect(b.stdout).toMatch(new RegExp(`^installed: ${dev}$`, "m"));
      const ua = run(remove, { VTB_OWNER: owners[0], CREATE_STDOUT: a.stdout });
      expect(ua.status).toBe(0);
      expect(ua.stdout).toContain(`kept: ${lib} (purging it would also remove: ${dev})`);
      expect([installed(lib), installed(dev)]).toEqual([true, true]);
      // To b, whose package needs it: not to some other owner on this host.
      const record = (o: string) =>
        fs.readFileSync(path.join("/var/lib/virt-testbed/host/packages", o), "utf8");
      expect(record(owners[1])).toMatch(new RegExp(`^installed: .*\\b${lib}\\b`, "m"));
      const ub = run(remove, { VTB_OWNER: owners[1], CREATE_STDOUT: b.stdout });
      expect(ub.status).toBe(0);
      expect(ub.stdout).toMatch(/^purged: /m);
      expect([installed(lib), installed(dev)]).toEqual([false, false]);
    } finally {
      purge(lib, dev);
    }
  });

  it("refuse a records directory another local user could change", () => {
    // Made by someone else (here: a symlink in its place) before any step ran.
    const base = fs.mkdtempSync("/var/lib/vtb-hs-test-");
    try {
      const body = install.replace(
        "VTB_HOST_STATE=/var/lib/virt-testbed/host",
        `VTB_HOST_STATE=${base}/host`,
      );
      fs.symlinkSync("/tmp", path.join(base, "host"));
      const r = run(body, {
        PACKAGES: "hello",
        VTB_OWNER: owners[0],
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`${base}/host is a symbolic link: refusing to use it`);
      fs.rmSync(path.join(base, "host"));
      fs.mkdirSync(path.join(base, "host"), { mode: 0o777 });
      fs.chmodSync(path.join(base, "host"), 0o777);
      const w = run(body, {
        PACKAGES: "hello",
        VTB_OWNER: owners[0],
      });
      expect(w.stderr).toContain(`${base}/host is writable by others (mode 777)`);
      expect(installed("hello")).toBe(false);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("make a records directory once when many steps on a fresh server make it at once", () => {
    // Found on an emulated server's first `up`: two steps raced to create
    // /var/lib/virt-testbed, and the one that lost failed ("File exists").
    const base = fs.mkdtempSync("/var/lib/vtb-hs-test-");
    try {
      for (let round = 0; round < 5; round++) {
        const d = `${base}/d${round}`;
        const r = run(
          `${hostStateScript}\nfor i in $(seq 16); do (vtb_owned_dir "$D" 0755 && echo ok) & done; wait`,
          { D: d },
        );
        expect(r.stderr).toBe("");
        expect(r.stdout.split("\n").filter((l) => l === "ok")).toHaveLength(16);
        expect((fs.statSync(d).mode & 0o777).toString(8)).toBe("755");
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("never replace or destroy a container another stack made, or one no stack made", () => {
    const guests = path.join(__dirname, "..", "..", "components", "platforms", "lxc");
    const create = hostStateScript + script(guests, "lxc-create.sh");
    const destroy = hostStateScript + script(guests, "lxc-destroy.sh");
    const lxcpath = fs.mkdtempSync("/var/lib/vtb-hs-lxc-");
    const name = `vtb-hs-test-${process.pid}`;
    const claim = path.join("/var/lib/virt-testbed/host/objects", `lxc-${name}`);
    const env = (owner: string) => ({
      NAME: name,
      LXCPATH: lxcpath,
      NETNS: `vtb-hs-${process.pid}`,
      VETH_CT: "vtbhsct",
      VETH_NS: "vtbhsns",
      VTB_OWNER: owner,
    });
    try {
      // Another stack's container of the same name (say, a stack `Testbed` beside `testbed`).
      fs.mkdirSync(path.join(lxcpath, name));
      fs.writeFileSync(path.join(lxcpath, name, "config"), "theirs\n");
      fs.mkdirSync(path.dirname(claim), { recursive: true });
      fs.writeFileSync(claim, `${owners[1]}\n`);
      const c = run(create, env(owners[0]));
      expect(c.status).not.toBe(0);
      expect(c.stderr).toContain(`lxc ${name} belongs to another stack on this host: refusing`);
      const d = run(destroy, env(owners[0]));
      expect(d.stdout).toContain(`kept: ${name} (another stack's container of the same name)`);
      expect(fs.readFileSync(path.join(lxcpath, name, "config"), "utf8")).toBe("theirs\n");
      // One no stack claimed: an admin's, or another tool's.
      fs.rmSync(claim);
      const u = run(create, env(owners[0]));
      expect(u.stderr).toContain(
        `lxc ${name} is in use on this host but was not made by this stack`,
      );
      expect(fs.readFileSync(path.join(lxcpath, name, "config"), "utf8")).toBe("theirs\n");
      expect(fs.existsSync(claim)).toBe(false);
    } finally {
      fs.rmSync(lxcpath, { recursive: true, force: true });
      fs.rmSync(claim, { force: true });
    }
  });

  it("give a KVM guest's loopback ports to one stack: another's overlapping range, or a port in use, is refused", async () => {
    const guests = path.join(__dirname, "..", "..", "components", "platforms", "kvm");
    const claimPorts = hostStateScript + script(guests, "kvm-ports-claim.sh");
    const release = hostStateScript + script(guests, "kvm-ports-release.sh");
    // A port something listens on (no stack's), and two free ones.
    const busy = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => busy.once("listening", r));
    const inUse = (busy.address() as net.AddressInfo).port;
    const [p1, p2] = await Promise.all([freePort(), freePort()]);
    const claims = [inUse, p1, p2].map((p) => `/var/lib/virt-testbed/host/objects/port-${p}`);
    const env = (owner: string, ports: number[]) => ({
      PORTS: ports.join(" "),
      VTB_OWNER: owner,
      DOMAIN: "vtb-hs-none",
    });
    const waitListening = async (port: number) => {
      for (let i = 0; i < 100; i++) {
        const ok = await new Promise<boolean>((r) => {
          const c = net.connect(port, "127.0.0.1");
          c.once("connect", () => (c.destroy(), r(true)));
          c.once("error", () => r(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nothing listens on ${port}`);
    };
    try {
      const a = run(claimPorts, env(owners[0], [p1, p2]));
      expect(a.stderr).toBe("");
      expect(a.stdout).toContain(`claimed: ${p1} ${p2}`);
      // The same stack again (an update): still its own.
      expect(run(claimPorts, env(owners[0], [p1, p2])).status).toBe(0);
      // A second stack whose range overlaps the first's.
      const b = run(claimPorts, env(owners[1], [p2]));
      expect(b.status).not.toBe(0);
      expect(b.stderr).toContain(`port ${p2} belongs to another stack on this host: refusing`);
      expect(b.stderr).toContain("guestSshPortBase");
      const c = run(claimPorts, env(owners[1], [inUse]));
      expect(c.status).not.toBe(0);
      expect(c.stderr).toContain(
        `port ${inUse} is in use on this host but was not made by this stack`,
      );
      // The second stack's release leaves the first's claims alone; the first's frees them.
      run(release, env(owners[1], [p1, p2]));
      expect(fs.readFileSync(claims[1], "utf8").trim()).toBe(owners[0]);
      run(release, env(owners[0], [p1, p2]));
      expect(fs.existsSync(claims[1]) || fs.existsSync(claims[2])).toBe(false);
      expect(run(claimPorts, env(owners[1], [p2])).status).toBe(0);
      run(release, env(owners[1], [p2]));
      // The guest's own QEMU, started before ports were claimed (a stack made
      // by an older checkout), listens on its port: claimed, not refused.
      const qemu = spawn(process.execPath, [
        "-e",
        `require("net").createServer().listen(${p1}, "127.0.0.1")`,
        "--",
        "-name",
        "guest=vtb-hs-dom,debug-threads=on",
      ]);
      try {
        await waitListening(p1);
        const own = run(claimPorts, { ...env(owners[0], [p1]), DOMAIN: "vtb-hs-dom" });
        expect({ status: own.status, stderr: own.stderr }).toEqual({ status: 0, stderr: "" });
        const other = run(claimPorts, { ...env(owners[1], [p1]), DOMAIN: "vtb-hs-other" });
        expect(other.stderr).toContain(`port ${p1} belongs to another stack on this host`);
        run(release, env(owners[0], [p1]));
        const unclaimed = run(claimPorts, { ...env(owners[1], [p1]), DOMAIN: "vtb-hs-other" });
        expect(unclaimed.stderr).toContain(
          `port ${p1} is in use on this host but was not made by this stack`,
        );
      } finally {
        qemu.kill();
      }
    } finally {
      busy.close();
      for (const f of claims) fs.rmSync(f, { force: true });
    }
  });

  it("start libvirtd for the first user, keep it for the next, and never hand it the host lock", () => {
    const platforms = path.join(__dirname, "..", "..", "components", "platforms", "kvm");
    const start = hostStateScript + script(platforms, "libvirtd.sh");
    const stop = hostStateScript + script(platforms, "libvirtd-stop.sh");
    // Which live processes have the host lock open: none, once no step runs.
    const lockHolders = () =>
      fs
        .readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return fs
              .readdirSync(`/proc/${p}/fd`)
              .some(
                (fd) =>
                  fs.readlinkSync(`/proc/${p}/fd/${fd}`) === "/var/lib/virt-testbed/host/lock",
              );
          } catch {
            return false;
          }
        });
    // libvirt's QEMU, its own user, passes through the project's directory to
    // the pools below it: left 0700 (by an earlier version), it is opened again.
    fs.chmodSync("/var/lib/virt-testbed", 0o700);
    // Users there before the test (a stack's) stay users after it.
    const usersDir = "/var/lib/virt-testbed/host/libvirtd";
    const others = fs.existsSync(usersDir)
      ? fs.readdirSync(usersDir).filter((f) => !f.startsWith(".")).length
      : 0;
    const a = run(start, { VTB_OWNER: owners[0] });
    expect(fs.statSync("/var/lib/virt-testbed").mode & 0o777).toBe(0o755);
    expect({ status: a.status, err: a.status === 0 ? "" : a.stderr }).toEqual({
      status: 0,
      err: "",
    });
    const b = run(start, { VTB_OWNER: owners[1] });
    expect(b.stdout).toMatch(/^started: $/m);
    expect(lockHolders()).toEqual([]);
    const sa = run(stop, { VTB_OWNER: owners[0], CREATE_STDOUT: a.stdout });
    expect(sa.stdout).toContain(`kept: libvirtd (${others + 1} other users on this host)`);
    const sb = run(stop, { VTB_OWNER: owners[1], CREATE_STDOUT: b.stdout });
    expect(sb.status).toBe(0);
    // Stopped only if the first one started it (it may have been running before the test).
    const started = /^started: (.+)$/m.exec(a.stdout)?.[1] ?? "";
    if (started.includes("libvirtd") && others === 0) {
      expect(sb.stdout).toMatch(/^stopped: libvirtd$/m);
    } else expect(sb.stdout).not.toMatch(/stopped/);
  });
});
