import { execFileSync } from "child_process";
import * as net from "net";
import { runScript } from "../../components/command";

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
