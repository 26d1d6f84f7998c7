import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { commandProvider, runScript } from "../../components/command";
import { retryPlan } from "../../components/command-provider";
import { emulatorRunning } from "../../components/server/emulated/alive";
import { scratchDir } from "../helpers/scratch";

describe("runScript", () => {
  it("hands values to the script as environment, never as script text", async () => {
    const hostile = "$(touch /tmp/should-not-exist); `id`";
    const run = await runScript('printf %s "$VALUE"', { VALUE: hostile }, 10, "echo step");
    expect(run.stdout).toBe(hostile);
    expect(run.exitCode).toBe(0);
  });

  it("names the step and shows stderr when a script fails", async () => {
    await expect(runScript("echo boom >&2; exit 3", {}, 10, "server x: facts")).rejects.toThrow(
      /^server x: facts: exited with code 3\nboom/,
    );
  });

  it("fails a step whose stdout is over the limit, naming the step and the size, never cutting it", async () => {
    const big = "head -c 3000 /dev/zero | tr '\\0' x";
    await expect(runScript(big, {}, 10, "local/baseline/host: iperf3", 2999)).rejects.toThrow(
      /^local\/baseline\/host: iperf3: printed 3000 bytes \(0\.0 MiB\) on stdout, more than the 2999 bytes \(0\.0 MiB\) a step may print: its output would be cut/,
    );
    expect((await runScript(big, {}, 10, "at the limit", 3000)).stdout).toBe("x".repeat(3000));
    // A long stderr is no failure: it is only read for messages, and its cut is said.
    const noisy = await runScript("head -c 9000000 /dev/zero >&2; echo done", {}, 30, "noisy");
    expect(noisy.stdout).toBe("done\n");
    expect(noisy.stderr).toMatch(/\n\[611392 more bytes not kept\]$/);
  });

  it("keeps a character whole when the pipe splits it between two reads", async () => {
    // 3-byte characters over 64 KiB pipe reads: some fall across two of them.
    const run = await runScript(
      "for i in $(seq 4); do printf '€%.0s' $(seq 20000); done",
      {},
      30,
      "utf8",
    );
    expect(run.stdout).toBe("€".repeat(80000));
  });

  it("kills the whole process group on timeout", async () => {
    const marker = `vtb-timeout-${process.pid}-${Date.now()}`;
    const started = Date.now();
    await expect(
      runScript(`(exec -a ${marker} sleep 300) & exec -a ${marker} sleep 300`, {}, 1, "slow step"),
    ).rejects.toThrow(/^slow step: timed out after 1s/);
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 200));
    const left = execFileSync("ps", ["-eo", "args"]).toString();
    expect(left).not.toContain(marker);
  });

  it("kills what the script started in a process group of its own, as `timeout` makes one", async () => {
    const marker = `vtb-tree-${process.pid}-${Date.now()}`;
    await expect(
      runScript(
        `timeout 300 bash -c 'exec -a ${marker} sleep 300' & sleep 300`,
        {},
        1,
        "grouped step",
      ),
    ).rejects.toThrow(/^grouped step: timed out after 1s/);
    await new Promise((r) => setTimeout(r, 200));
    const left = execFileSync("ps", ["-eo", "stat=,args="]).toString().split("\n");
    expect(left.filter((l) => !l.startsWith("Z") && l.includes(marker))).toEqual([]);
  });

  it("stops the script when the pulumi engine that started it is gone (SIGKILLed)", async () => {
    // The engine's address is the provider's argument; here a listener stands in for it.
    const engine = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => engine.once("listening", r));
    const address = `127.0.0.1:${(engine.address() as net.AddressInfo).port}`;
    process.argv.push(address);
    const marker = `vtb-orphan-${process.pid}-${Date.now()}`;
    try {
      const run = runScript(
        `timeout 600 bash -c 'exec -a ${marker} sleep 300' & exec -a ${marker} sleep 300`,
        {},
        600,
        "long step",
      );
      await new Promise((r) => setTimeout(r, 2500));
      expect(execFileSync("ps", ["-eo", "args"]).toString()).toContain(marker);
      const t0 = Date.now();
      engine.close();
      await expect(run).rejects.toThrow(
        /^long step: stopped: the pulumi engine that started it is gone/,
      );
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(execFileSync("ps", ["-eo", "args"]).toString()).not.toContain(marker);
    } finally {
      process.argv.splice(process.argv.indexOf(address), 1);
      engine.close();
    }
  });
});

describe("a step's delete with a time to retry in (a server that reboots and must come back)", () => {
  it("tries again while the delete script says 'not yet' (exit 75), within its time", async () => {
    const dir = scratchDir("vtb-delete-");
    try {
      const props = {
        step: "test: back",
        create: "true",
        // Fails twice (the server is still rebooting), then succeeds.
        delete:
          'n=$(cat "$D/n" 2>/dev/null || echo 0); echo $((n + 1)) >"$D/n"; [ "$n" -ge 2 ] || exit 75',
        environment: { D: dir },
        retryDelaySeconds: 0.1,
      };
      await expect(
        commandProvider.delete!("id", { ...props, deleteRetryForSeconds: 0.05 }),
      ).rejects.toThrow(
        /^test: back \(delete\): exited with code 75[\s\S]*\(gave up after [12] tries in 0 s; the limit was 0.05 s\)$/,
      );
      fs.rmSync(path.join(dir, "n"));
      await commandProvider.delete!("id", { ...props, deleteRetryForSeconds: 5 });
      expect(fs.readFileSync(path.join(dir, "n"), "utf8")).toBe("3\n");
      // Any other failure is the answer: not tried again.
      fs.rmSync(path.join(dir, "n"));
      const broken = { ...props, delete: props.delete.replace("exit 75", "exit 3") };
      await expect(
        commandProvider.delete!("id", { ...broken, deleteRetryForSeconds: 5 }),
      ).rejects.toThrow(/^test: back \(delete\): exited with code 3(?![\s\S]*gave up)/);
      expect(fs.readFileSync(path.join(dir, "n"), "utf8")).toBe("1\n");
      // A stack's state from before the limit was a time: its count of tries.
      fs.rmSync(path.join(dir, "n"));
      await commandProvider.delete!("id", { ...props, deleteAttempts: 5 });
      expect(fs.readFileSync(path.join(dir, "n"), "utf8")).toBe("3\n");
      // Without a time: once, as before.
      fs.rmSync(path.join(dir, "n"));
      await expect(commandProvider.delete!("id", props)).rejects.toThrow(
        /^test: back \(delete\): exited with code 75(?![\s\S]*gave up)/,
      );
      expect(fs.readFileSync(path.join(dir, "n"), "utf8")).toBe("1\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a step's target", () => {
  const conn = {
    host: "127.0.0.1",
    port: 22100,
    user: "root",
    privateKey: "k1",
    connectTimeoutSeconds: 10,
  };
  const step = { step: "test: target", create: "true", connection: conn };
  it("is another one when the machine at its address is another instance (an emulated server made again)", async () => {
    const d = (a: object, b: object) => commandProvider.diff!("id", a, b);
    const at = (c: object) => ({ ...step, connection: { ...conn, ...c } });
    expect((await d(at({ instance: "a" }), at({ instance: "b" }))).replaces).toContain(
      "connection",
    );
    expect(
      (await d(at({ instance: "a" }), at({ instance: "a", privateKey: "k2" }))).replaces,
    ).toEqual([]);
    // A new key or host key alone is the same target.
    expect(
      (await d(at({ hostKey: "ssh-ed25519 A" }), at({ hostKey: "ssh-ed25519 B" }))).replaces,
    ).toEqual([]);
  });
});

describe("a step's create with a time to retry in (a server or guest still booting)", () => {
  it("is tried until that time has passed, however fast each try fails, then says how it gave up", async () => {
    const dir = scratchDir("vtb-retry-");
    const props = {
      step: "test: boot",
      create: 'echo x >>"$D/tries"; exit 1',
      environment: { D: dir },
      retryDelaySeconds: 0.2,
      retryForSeconds: 1.5,
    };
    const t0 = Date.now();
    await expect(commandProvider.create!(props)).rejects.toThrow(
      /^test: boot: exited with code 1[\s\S]*\(gave up after \d+ tries in [12] s; the limit was 1.5 s\)$/,
    );
    const spent = (Date.now() - t0) / 1000;
    // A try fails in milliseconds: a count of tries would have ended in a fraction of the time.
    expect(spent).toBeGreaterThanOrEqual(1.5);
    expect(spent).toBeLessThan(3);
    const tries = fs.readFileSync(path.join(dir, "tries"), "utf8").split("\n").length - 1;
    expect(tries).toBeGreaterThanOrEqual(3);
    // Failing softly: the same words in its recorded failure.
    fs.rmSync(path.join(dir, "tries"));
    const soft = await commandProvider.create!({ ...props, failSoftly: true });
    expect(soft.outs.failure).toMatch(/gave up after \d+ tries in [12] s; the limit was 1.5 s/);
  });

  it("waits no longer than the time left", () => {
    expect(retryPlan(0, 3, 10, 15, 8000)).toEqual({ waitMs: 2000 });
    expect(retryPlan(0, 3, 10, 15, 1000)).toEqual({ waitMs: 9000 });
    expect(retryPlan(0, 3, 10, 5, 1000)).toEqual({ waitMs: 5000 });
    expect(retryPlan(0, 4, 10, 5, 10000)).toEqual({
      gaveUp: "\n(gave up after 4 tries in 10 s; the limit was 10 s)",
    });
    expect(retryPlan(0, 1, 0, 5, 10)).toEqual({ gaveUp: "" });
  });
});

describe("a step's delete on an emulated server that does not answer", () => {
  it("is not undone once the server's QEMU is gone, and fails, saying what to do, while it runs", async () => {
    const dir = scratchDir("vtb-lost-");
    const server = path.join(dir, "lostone");
    fs.mkdirSync(server);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, "k")]);
    // A port nothing listens on: the server does not answer.
    const free = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => free.once("listening", r));
    const port = (free.address() as net.AddressInfo).port;
    await new Promise((r) => free.close(r));
    const connection = {
      host: "127.0.0.1",
      port,
      user: "root",
      privateKey: fs.readFileSync(path.join(dir, "k"), "utf8"),
      connectTimeoutSeconds: 1,
      instance: "machine-1",
      emulator: server,
    };
    const props = { step: "test: on it", create: "true", delete: "true", connection };
    // Its QEMU, real, named as emulated-start.sh names it, doing nothing (-S).
    const qemu = spawn(
      "qemu-system-x86_64",
      ["-name", "vtb-emu-lostone", "-machine", "none", "-display", "none", "-S"],
      { stdio: "ignore" },
    );
    const said: string[] = [];
    const spy = jest.spyOn(console, "error").mockImplementation((m: string) => void said.push(m));
    try {
      for (let i = 0; i < 50 && !emulatorRunning(server); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(emulatorRunning(server)).toBe(true);
      await expect(commandProvider.delete!("id", props)).rejects.toThrow(
        new RegExp(
          `ECONNREFUSED [\\d.:]+\\nIts emulated server's QEMU still runs\\. If the server is hung, stop it \\(kill the pid in ${server}/qemu\\.pid\\) and destroy again`,
        ),
      );
      expect(said).toEqual([]);
      qemu.kill("SIGKILL");
      await new Promise((r) => qemu.once("exit", r));
      expect(emulatorRunning(server)).toBe(false);
      await commandProvider.delete!("id", props);
      expect(said.join("\n")).toMatch(
        /^warning: test: on it: not undone: its emulated server's QEMU no longer runs, and what was on the server went with its disk\n.*ECONNREFUSED/,
      );
      // A server the project did not make: its not answering is the answer.
      const real = {
        ...props,
        connection: { ...connection, instance: undefined, emulator: undefined },
      };
      await expect(commandProvider.delete!("id", real)).rejects.toThrow(/ECONNREFUSED [\d.:]+$/);
    } finally {
      qemu.kill("SIGKILL");
      spy.mockRestore();
    }
  });
});
