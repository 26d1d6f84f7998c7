import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main, parseCommandLine, UsageError } from "../../../scripts/report";
import { fixtureRun, scratchCopy } from "./fixture";
import { scratchDir } from "../../helpers/scratch";

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
    expect(parseCommandLine([])).toEqual({
      mode: "report",
      specs: ["testbed"],
      kind: "stack",
      out: undefined,
    });
    expect(parseCommandLine(["--stack", "cnaf"])).toMatchObject({ specs: ["cnaf"], kind: "stack" });
    expect(parseCommandLine(["--run", "r1"])).toMatchObject({ specs: ["r1"], kind: "run" });
    expect(parseCommandLine(["--compare", "a", "b"])).toMatchObject({
      mode: "compare",
      specs: ["a", "b"],
      kind: "either",
    });
  });
  it.each([[["--help"]], [["-h"]], [["--stack", "x", "--help"]]])(
    "%j prints the usage and what each option does on stdout, and exits 0",
    async (argv) => {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.err).toBe("");
      expect(r.out).toMatch(/^usage: npm run report -- /);
      for (const o of [
        "--stack <name>",
        "--run <run>",
        "--compare A B",
        "--out <dir>",
        "-h, --help",
      ]) {
        expect(r.out).toContain(o);
      }
      expect(r.out).toMatch(/results\.json is read up to 64 MiB/);
      expect(r.out.split("\n").length).toBeGreaterThan(10);
    },
  );
  it("says what run was not found and everywhere it looked", async () => {
    const root = scratchDir("vtb-root-");
    fs.mkdirSync(path.join(root, "results", "testbed", "2026-01-01T00-00-00-000Z-aaaa"), {
      recursive: true,
    });
    const cwd = process.env.INIT_CWD ?? process.cwd();
    const asked: string[] = [];
    const r = await run(["--run", "nope"], root, (s) => {
      asked.push(s);
      return {};
    });
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `report: run "nope" not found: no folder ${path.join(cwd, "nope")}, ` +
        `no run of that id in ${root}/results/<stack>/ (stacks: testbed)\n`,
    );
    // --run names a run: no stack of that name is asked for.
    expect(asked).toEqual([]);
    const none = await run(["--run", "nope"], path.join(root, "elsewhere"));
    expect(none.err).toMatch(/no run of that id in .*elsewhere\/results \(no such folder\)\n$/);
  });
  it("says where it looked for a run or a stack that --compare names", async () => {
    const root = scratchDir("vtb-root-");
    const r = await run(["--compare", "nope", "other"], root, (s) => {
      throw new Error(
        `stack ${s}: could not read its outputs from file:///x: no stack named '${s}' found`,
      );
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^report: "nope" not found: no folder .*\/nope, no run of that id in .*\/results \(no such folder\), stack nope: could not read its outputs from file:\/\/\/x: no stack named 'nope' found\n$/,
    );
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
    const dir = scratchDir("vtb-empty-");
    const r = await run(["--run", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${dir}: no results.json`);
  });
  it("names the key of a results.json that is not one", async () => {
    const dir = scratchDir("vtb-bad-");
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
  it("refuses a run folder whose report.md is a link, and leaves what it points to alone", async () => {
    const dir = scratchCopy(fixture);
    const script = path.join(scratchDir("vtb-home-"), "deploy.sh");
    fs.writeFileSync(script, "#!/bin/sh\necho deploy\n");
    fs.symlinkSync(script, path.join(dir, "report.md"));
    const r = await run(["--run", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `report: ${dir}/report.md: a symbolic link (to "${script}"): not written through; remove it to write the report\n`,
    );
    expect(fs.readFileSync(script, "utf8")).toBe("#!/bin/sh\necho deploy\n");
  }, 60000);
  it("refuses an archive with a negative median instead of printing NaN%", async () => {
    const json = JSON.parse(fs.readFileSync(path.join(fixture.dir, "results.json"), "utf8"));
    json.results.local.lxc["vtb-testbed-ct"].ab.metrics.requests_per_second.median = -1;
    const dir = scratchCopy(fixture, { results: json.results });
    const r = await run(["--run", dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${dir}/results.json: not a results file:\n  results.local.lxc.vtb-testbed-ct.ab.metrics.requests_per_second.median: negative (-1)`,
    );
    expect(fs.readdirSync(dir)).toEqual(["results.json"]);
  });
  it("finds a run by its id under results/<stack>/", async () => {
    const root = scratchDir("vtb-root-");
    const dir = path.join(root, "results", "testbed", fixture.runId);
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(fixture.dir, "results.json"), path.join(dir, "results.json"));
    const r = await run(["--compare", fixture.runId, dir], root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/0 metric\(s\) changed \(0 slower, 0 faster\), \d+ no difference found/);
    expect(r.out).toMatch(/configuration was not recorded/);
    expect(fs.existsSync(path.join(dir, "compare-self.md"))).toBe(true);
  }, 60000);
});
