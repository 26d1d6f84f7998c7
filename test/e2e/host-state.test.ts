import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { script } from "../../components/scripts";
import { hostStateScript } from "../../components/server/host-state";

// Package installs on a server, for real on this machine (Debian's small
// `hello` package): they wait for the package manager's lock while someone
// else holds it, say so, and fail naming the holder when the time runs out;
// two owners of one package (two stacks, or two logical servers that are this
// one machine) never purge it from under each other.
const dir = path.join(__dirname, "..", "..", "components", "server");
const install = hostStateScript + script(dir, "packages-install.sh");
const remove = hostStateScript + script(dir, "packages-remove.sh");
const owners = ["a", "b"].map((o) => `${o.repeat(8)}${process.pid.toString(16).padStart(8, "0")}`);
const holds = "/var/lib/virt-testbed/host/packages";

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

const purgeHello = () =>
  installed("hello") &&
  spawnSync("apt-get", ["purge", "-y", "-qq", "hello"], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });

beforeAll(() => purgeHello());
afterAll(() => {
  purgeHello();
  for (const o of owners) fs.rmSync(path.join(holds, o), { force: true });
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

  it("refuse a records directory another local user could change", () => {
    // Made by someone else (here: a symlink in its place) before any step ran.
    const base = fs.mkdtempSync("/var/lib/vtb-hs-test-");
    try {
      const body = install.replace(
        "VTB_HOST_STATE=/var/lib/virt-testbed/host",
        `VTB_HOST_STATE=${base}/host`,
      );
      fs.symlinkSync("/tmp", path.join(base, "host"));
      const r = run(body.replace("vtb_owned_dir /var/lib/virt-testbed\n", ""), {
        PACKAGES: "hello",
        VTB_OWNER: owners[0],
      });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`${base}/host is a symbolic link: refusing to use it`);
      fs.rmSync(path.join(base, "host"));
      fs.mkdirSync(path.join(base, "host"), { mode: 0o777 });
      fs.chmodSync(path.join(base, "host"), 0o777);
      const w = run(body.replace("vtb_owned_dir /var/lib/virt-testbed\n", ""), {
        PACKAGES: "hello",
        VTB_OWNER: owners[0],
      });
      expect(w.stderr).toContain(`${base}/host is writable by others (mode 777)`);
      expect(installed("hello")).toBe(false);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
