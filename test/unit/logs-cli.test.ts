// `npm run logs`: which streams it shows, and following them as a step writes
// and the next one starts (the live side writes them: measure/live.test.ts).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseLogsArgs, showLogs, streams, UsageError } from "../../scripts/logs";
import { scratchDir } from "../helpers/scratch";

const root = path.join(__dirname, "..", "..");
const file = (dir: string, name: string, stamp: string, text = "") => {
  const f = path.join(dir, `${name}.${stamp}.log`);
  fs.writeFileSync(f, text);
  return f;
};
const collect = () => {
  const io = { outs: [] as string[], errs: [] as string[] };
  return {
    io,
    sink: { out: (s: string) => io.outs.push(s), err: (s: string) => io.errs.push(s) },
  };
};
const until = async (ok: () => boolean) => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(ok()).toBe(true);
};

describe("npm run logs", () => {
  it("takes a stack, -f and one target, and refuses anything else by name", () => {
    expect(parseLogsArgs([])).toEqual({ stack: "testbed", follow: false, target: undefined });
    expect(parseLogsArgs(["-f", "--stack", "lab", "blade/kvm/vm-0"])).toEqual({
      stack: "lab",
      follow: true,
      target: "blade/kvm/vm-0",
    });
    expect(parseLogsArgs(["--help"])).toBe("help");
    expect(() => parseLogsArgs(["a", "b"])).toThrow(/one target at most, got 2: a b/);
    expect(() => parseLogsArgs(["../etc"])).toThrow(UsageError);
    expect(() => parseLogsArgs(["a/b/c/d"])).toThrow(/not a target/);
    expect(() => parseLogsArgs(["--stack", "../x"])).toThrow(/not a stack name/);
    expect(() => parseLogsArgs(["--tail"])).toThrow(/Unknown option '--tail'/);
  });

  it("finds a target's streams, oldest first, and not another server's whose name starts alike", () => {
    const dir = scratchDir("vtb-logs-");
    const b = file(dir, "local-kvm-vm-iperf3", "2026-12-04T10-00-00-000Z");
    const a = file(dir, "local-baseline-host-openssl-speed", "2026-12-04T09-00-00-000Z");
    const c = file(dir, "local-openssl-speed", "2026-12-04T11-00-00-000Z");
    file(dir, "local2-kvm-vm-iperf3", "2026-12-04T08-00-00-000Z");
    fs.writeFileSync(path.join(dir, "notes.txt"), "");
    expect(streams(dir, "local")).toEqual([a, b, c]);
    expect(streams(dir, "local/kvm")).toEqual([b]);
    expect(streams(dir, "local/kvm/vm")).toEqual([b]);
    expect(streams(path.join(dir, "none"))).toEqual([]);
  });

  it("shows the newest step's output, and says where to look when there is none", async () => {
    const dir = scratchDir("vtb-logs-");
    const { io, sink } = collect();
    expect(await showLogs(dir, { stack: "s", follow: false }, sink)).toBe(1);
    expect(io.errs.join("")).toMatch(/no output of benchmark steps in .* yet/);
    file(dir, "local-a", "2026-12-04T09-00-00-000Z", "old\n");
    file(dir, "local-b", "2026-12-04T10-00-00-000Z", "@@@ trial 1\nnew\n");
    const again = collect();
    expect(await showLogs(dir, { stack: "s", follow: false }, again.sink)).toBe(0);
    expect(again.io.outs.join("")).toBe("@@@ trial 1\nnew\n");
    expect(again.io.errs.join("")).toBe("==> local-b.2026-12-04T10-00-00-000Z.log <==\n");
  });

  it("follows a step as it writes, then the next step, until stopped", async () => {
    const dir = scratchDir("vtb-logs-");
    const first = file(dir, "local-a", "2026-12-04T09-00-00-000Z", "one\n");
    const { io, sink } = collect();
    const stop = new AbortController();
    const done = showLogs(
      dir,
      { stack: "s", follow: true, target: "local" },
      sink,
      stop.signal,
      10,
    );
    await until(() => io.outs.join("") === "one\n");
    fs.appendFileSync(first, "two\n");
    await until(() => io.outs.join("") === "one\ntwo\n");
    file(dir, "local-b", "2026-12-04T10-00-00-000Z", "three\n");
    file(dir, "other-c", "2026-12-04T10-00-00-000Z", "not ours\n");
    await until(() => io.outs.join("").endsWith("three\n"));
    // Both run at once: the older one's output still shows, under its name.
    fs.appendFileSync(first, "four \u00e9");
    await until(() => io.outs.join("").endsWith("four \u00e9"));
    stop.abort();
    expect(await done).toBe(0);
    expect(io.outs.join("")).toBe("one\ntwo\n\nthree\n\nfour \u00e9");
    expect(io.errs).toEqual([
      "==> local-a.2026-12-04T09-00-00-000Z.log <==\n",
      "==> local-b.2026-12-04T10-00-00-000Z.log <==\n",
      "==> local-a.2026-12-04T09-00-00-000Z.log <==\n",
    ]);
  });

  it("answers --help and a wrong option as a command does", () => {
    const run = (...args: string[]) =>
      spawnSync("npx", ["ts-node", "--transpile-only", "scripts/logs.ts", ...args], {
        cwd: root,
        encoding: "utf8",
      });
    const help = run("--help");
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run logs -- /);
    expect(help.stdout).toMatch(/-f, --follow/);
    const bad = run("--nope");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^logs: Unknown option '--nope'/);
  }, 60_000);
});
