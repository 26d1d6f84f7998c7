import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, parseCommandLine, UsageError } from "../../../scripts/report";
import { fixtureRun, scratchCopy } from "./fixture";

const noStack = () => {
  throw new Error("no stack in this test");
};

async function run(
  argv: string[],
  root = os.tmpdir(),
  outputs: (s: string) => Record<string, unknown> = noStack,
) {
  let out = "";
  let err = "";
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) }, root, outputs);
  return { code, out, err };
}

describe("command line", () => {
  it("defaults to the testbed stack", () => {
    expect(parseCommandLine([])).toEqual({ mode: "report", specs: ["testbed"], out: undefined });
    expect(parseCommandLine(["--stack", "cnaf"]).specs).toEqual(["cnaf"]);
    expect(parseCommandLine(["--compare", "a", "b"])).toMatchObject({
      mode: "compare",
      specs: ["a", "b"],
    });
  });
  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["--stack"], /argument missing/],
    [["--compare", "a"], /--compare needs two runs or stacks, got 1: a/],
    [["--compare", "a", "b", "c"], /got 3/],
    [["--stack", "x", "--run", "y"], /not both/],
    [["extra"], /unexpected argument 'extra'/],
  ])("refuses %j", async (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/usage: npm run report/);
  });
  it("names a run folder without results.json", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-empty-"));
    const r = await run(["--run", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${dir}: no results.json`);
  });
  it("names the key of a results.json that is not one", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-bad-"));
    fs.writeFileSync(
      path.join(dir, "results.json"),
      JSON.stringify({ stack: "x", results: { s: { p: { g: { b: { status: "meh" } } } } } }),
    );
    const r = await run(["--run", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(path.join(dir, "results.json"));
    expect(r.err).toMatch(/results\.s\.p\.g\.b\.status/);
  });
  it("says when a stack has no archive output", async () => {
    const r = await run(["--stack", "empty"], os.tmpdir(), () => ({ testbed: {} }));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/stack empty: no archive output/);
  });
});

describe("npm run report", () => {
  const fixture = fixtureRun();
  it("writes the report and exports into the stack's archive folder and prints their paths", async () => {
    const dir = scratchCopy(fixture);
    const asked: string[] = [];
    const r = await run(["--stack", "testbed"], os.tmpdir(), (s) => {
      asked.push(s);
      return { archive: dir };
    });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(asked).toEqual(["testbed"]);
    const printed = r.out.trim().split("\n");
    expect(printed).toEqual(
      ["report.html", "report.md", "samples.jsonl", "samples.csv"].map((f) => path.join(dir, f)),
    );
    for (const f of printed) expect(fs.statSync(f).size).toBeGreaterThan(1000);
    const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
    expect(md).toMatch(/## Summary: % of bare metal/);
    expect(md).toMatch(/not recorded in this run/);
    const html = fs.readFileSync(path.join(dir, "report.html"), "utf8");
    // Offline: no address outside the file but the SVG namespaces.
    const external = html.match(/(?:src|href)="(?!#)[^"]*"|url\((?!#)|@import|<script/g);
    expect(external).toBeNull();
  }, 60000);
  it("reads a stack of several servers from its archive output per server, as one report", async () => {
    const a = scratchCopy(fixture);
    const json = JSON.parse(fs.readFileSync(path.join(a, "results.json"), "utf8"));
    const b = scratchCopy(fixture, {
      results: { remote: json.results.local },
      targets: { "remote/baseline/host": json.targets["local/baseline/host"] },
    });
    const r = await run(["--stack", "two"], os.tmpdir(), () => ({
      archive: { local: a, remote: b },
    }));
    expect(r.err).toBe("");
    expect(r.out.split("\n")[0]).toBe(path.join(a, "report.html"));
    const md = fs.readFileSync(path.join(a, "report.md"), "utf8");
    expect(md).toMatch(/## Summary: % of bare metal on local/);
    expect(md).toMatch(/## Summary: % of bare metal on remote/);
  }, 60000);
  it("reports the servers that ran when another failed (its archive output is unknown)", async () => {
    const a = scratchCopy(fixture);
    const r = await run(["--stack", "two"], os.tmpdir(), () => ({
      // What `pulumi stack output --json` prints for an output a failed step left unknown.
      archive: { local: a, ghost: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" },
    }));
    expect(r.err).toBe("");
    expect(r.out.split("\n")[0]).toBe(path.join(a, "report.html"));
  }, 60000);
  it("finds a run by its id under results/<stack>/", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "vtb-root-"));
    const dir = path.join(root, "results", "testbed", fixture.runId);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(fixture.dir, "results.json"), path.join(dir, "results.json"));
    const r = await run(["--compare", fixture.runId, dir], root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 metric\(s\) changed beyond the noise/);
    expect(r.out).toMatch(/configuration was not recorded/);
    expect(fs.existsSync(path.join(dir, "compare-self.md"))).toBe(true);
  }, 60000);
});
