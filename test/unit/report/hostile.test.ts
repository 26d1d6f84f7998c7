// Archives and run folders made to break the report: names every object
// inherits, impossible values, strings that would be Markdown or HTML, links
// planted where the report writes.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { configDiff, formatConfigChange } from "../../../report/compare";
import { reportBlocks } from "../../../report/document";
import { renderHtml } from "../../../report/html";
import { own } from "../../../report/input";
import { readRun } from "../../../report/load";
import { mdCode, mdEscape, renderMarkdown } from "../../../report/markdown";
import { formatNumber, formatPercent, summaryTables } from "../../../report/tables";
import { writeComparison, writeFiles, writeReport } from "../../../report/write";
import { fixtureDir } from "./fixture";
import { scratchDir } from "../../helpers/scratch";

/* eslint-disable @typescript-eslint/no-explicit-any */
const fixtureJson = () =>
  JSON.parse(fs.readFileSync(path.join(fixtureDir, "results.json"), "utf8"));
const scratch = () => scratchDir("vtb-hostile-");

/** A run folder whose results.json is the real run's, edited as an object and then as text. */
function archive(edit: (j: any) => void, text: (s: string) => string = (s) => s): string {
  const dir = path.join(scratch(), "run-1");
  fs.mkdirSync(dir);
  const j = fixtureJson();
  edit(j);
  fs.writeFileSync(path.join(dir, "results.json"), text(JSON.stringify(j)));
  return dir;
}

const vm = (j: any) => j.results.local.kvm["vtb-testbed-vm"];
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));
const markdownOf = (dir: string) => renderMarkdown(reportBlocks(readRun(dir), []));

describe("names every object inherits", () => {
  it("are benchmarks, metrics and servers like any other", () => {
    const dir = archive((j) => {
      // Where bare metal lacks the name, a plain lookup would find Object.prototype's.
      vm(j).hasOwnProperty = clone(vm(j).ab);
      j.results.local.lxc["vtb-testbed-ct"].constructor = clone(vm(j).ab);
      j.results.local.baseline.host.toString = clone(vm(j).ab);
      vm(j).ab.metrics.constructor = clone(vm(j).ab.metrics.time_per_request);
      j.testbed = { valueOf: { profile: "piii-800-testbed" } };
      j.config = { servers: [] };
    });
    const md = markdownOf(dir);
    for (const b of ["hasOwnProperty", "constructor", "toString"]) expect(md).toContain(`### ${b}`);
    expect(md).toContain("**Server valueOf: Hardware profile**");
    expect(md).toMatch(/^\| constructor \| lower \|/m);
    expect(md).not.toMatch(/NaN|undefined|function/);
  });

  it("do not land on Object or Function.prototype.toString when a table is keyed by them", () => {
    const run = readRun(
      archive((j) => {
        for (const t of [j.results.local.baseline.host, j.results.local.lxc["vtb-testbed-ct"]]) {
          t.constructor = clone(t.ab);
          t.toString = clone(t.ab);
        }
        // Compared with bare metal as the run would have: the same numbers as ab's.
        const c = j.comparison.local.lxc["vtb-testbed-ct"];
        c.constructor = clone(c.ab);
        c.toString = clone(c.ab);
      }),
    );
    const [t] = summaryTables(run);
    expect(Object.hasOwn(t.cells, "constructor")).toBe(true);
    expect(own(t.cells, "constructor")!["local/lxc/vtb-testbed-ct"].metrics).toBeGreaterThan(0);
    expect((Object as any)["local/lxc/vtb-testbed-ct"]).toBeUndefined();
    expect((Function.prototype.toString as any)["local/lxc/vtb-testbed-ct"]).toBeUndefined();
  });

  it("are keys of a configuration like any other in the diff", () => {
    expect(configDiff({ a: 1 }, { a: 1, constructor: "x" }).map(formatConfigChange)).toEqual([
      "+ constructor: x",
    ]);
    expect(configDiff({ toString: 1 }, {}).map(formatConfigChange)).toEqual(["- toString: 1"]);
  });

  it("refuses a key named __proto__, which zod would drop without a word", () => {
    const dir = archive(
      () => {},
      (s) => s.replace('"vtb-testbed-vm":{', '"vtb-testbed-vm":{"__proto__":{},'),
    );
    expect(() => readRun(dir)).toThrow(
      `${dir}/results.json: not a results file:\n  results.local.kvm.vtb-testbed-vm.__proto__: a key named __proto__`,
    );
  });
});

describe("impossible values", () => {
  const key = "results.local.kvm.vtb-testbed-vm.ab.metrics.time_per_request";
  it("refuses a negative median rather than print NaN%, naming the file and the key path", () => {
    const dir = archive((j) => {
      const m = vm(j).ab.metrics.time_per_request;
      m.trials = m.trials.map((x: number) => -x);
      [m.median, m.min, m.max] = [-m.median, -m.max, -m.min];
    });
    expect(() => readRun(dir)).toThrow(`${dir}/results.json: not a results file:\n`);
    expect(() => readRun(dir)).toThrow(
      `  ${key}.median: negative (-36.845): no metric (a rate, time, count or score) is below 0`,
    );
    expect(() => readRun(dir)).toThrow(`  ${key}.trials[0]: negative (-42.131)`);
  });

  it("refuses Infinity (1e999 in JSON) and a median that is not its trials'", () => {
    const inf = archive(
      (j) => (vm(j).ab.metrics.time_per_request.stdev = 123.25),
      (s) => s.replace("123.25", "1e999"),
    );
    expect(() => readRun(inf)).toThrow(
      `  ${key}.stdev: Invalid input: expected number, received Infinity`,
    );
    const edited = archive((j) => (vm(j).ab.metrics.time_per_request.median = 20));
    expect(() => readRun(edited)).toThrow(
      `  ${key}.median: 20 is not the median of the trials (36.845)`,
    );
    const empty = archive((j) => (vm(j).ab.metrics.time_per_request.trials = []));
    expect(() => readRun(empty)).toThrow(`  ${key}.trials: Too small`);
  });

  it("refuses an aggregate whose median is outside its range", () => {
    const dir = archive((j) => {
      j.aggregates = {
        local: {
          kvm: {
            ab: {
              requests_per_second: {
                ...vm(j).ab.metrics.requests_per_second,
                median: 1e9,
                guests: ["a", "b"],
              },
            },
          },
        },
      };
    });
    expect(() => readRun(dir)).toThrow(
      /aggregates\.local\.kvm\.ab\.requests_per_second\.median: median 1000000000 is not between min/,
    );
  });

  it("refuses an archive without the run's comparison, or with an impossible one", () => {
    const none = archive((j) => delete j.comparison);
    expect(() => readRun(none)).toThrow(
      `${none}/results.json: not a results file:\n  comparison: missing: every run archives its comparison with bare metal beside its results`,
    );
    const negative = archive(
      (j) => (j.comparison.local.kvm["vtb-testbed-vm"].ab.time_per_request.percentOfBaseline = -5),
    );
    expect(() => readRun(negative)).toThrow(
      "  comparison.local.kvm.vtb-testbed-vm.ab.time_per_request.percentOfBaseline: Too small",
    );
  });

  it("refuses an interval upside down and a verdict the program never writes, naming the key", () => {
    const key = "comparison.local.kvm.vtb-testbed-vm.ab.time_per_request";
    const upside = archive((j) => {
      const c = j.comparison.local.kvm["vtb-testbed-vm"].ab.time_per_request;
      c.ci = { low: 5, high: 1 };
    });
    expect(() => readRun(upside)).toThrow(`  ${key}.ci.low: ci.low is above ci.high`);
    const invented = archive((j) => {
      j.comparison.local.kvm["vtb-testbed-vm"].ab.time_per_request.verdict = "much slower";
    });
    expect(() => readRun(invented)).toThrow(`  ${key}.verdict: Invalid option`);
  });

  it("never prints a percentage or a value that is not a number", () => {
    expect(() => formatPercent(NaN)).toThrow("a percentage came out as NaN");
    expect(() => formatNumber(Infinity)).toThrow("a value came out as Infinity");
    expect(formatPercent(97.25)).toBe("97.3%");
  });

  it("keeps the error short when a key is a megabyte long", () => {
    const long = "b".repeat(1 << 20);
    const dir = archive((j) => (vm(j)[long] = { status: "meh" }));
    let message = "";
    try {
      readRun(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`results.local.kvm.vtb-testbed-vm["${"b".repeat(40)}"…`);
    expect(message.length).toBeLessThan(2000);
  });

  it("reads results.json only as a regular file of at most 64 MiB", () => {
    const big = path.join(scratch(), "run-1");
    fs.mkdirSync(big);
    fs.writeFileSync(path.join(big, "results.json"), "");
    fs.truncateSync(path.join(big, "results.json"), 64 * 1024 * 1024 + 1);
    expect(() => readRun(big)).toThrow(
      `${big}/results.json: larger than 64 MiB, the limit for a results.json: not read`,
    );
    const fifo = path.join(scratch(), "run-1");
    fs.mkdirSync(fifo);
    execFileSync("mkfifo", [path.join(fifo, "results.json")]);
    expect(() => readRun(fifo)).toThrow("a FIFO, not a regular file");
  });
});

describe("hostile strings in Markdown and HTML", () => {
  const stack = "evil\n# pwned\nrm -rf ~ <script>alert(1)</script>";
  const guest = "vm|<img src=x onerror=alert(2)>|`x`";
  const error = "boom\n```\n<script>alert(3)</script>\n# heading\n| a | b |";
  const dir = archive((j) => {
    j.stack = stack;
    const kvm = j.results.local.kvm;
    kvm[guest] = kvm["vtb-testbed-vm"];
    delete kvm["vtb-testbed-vm"];
    kvm[guest].ab.status = "partial";
    kvm[guest].ab.trials[0].error = error;
    // What the scheduler records, and a tool version, are an archive's strings too.
    kvm[guest].ab.stopped = "stop\n# pwned <script>alert(5)</script> | x |";
    kvm[guest].ab.schedule = {
      seed: "`seed`|<b>",
      method: "m\n- item",
      rounds: [[`local/kvm/${guest}`, "<img src=y>"]],
    };
    kvm[guest].ab.trials[1].context = {
      round: 0,
      position: 0,
      paused: ["<script>alert(6)</script>"],
      host: { "<b>load</b>": "x|y\n# h" },
    };
    j.results.local.lxc["vtb-testbed-ct"].ab.toolVersion = "2.3 <img src=z onerror=alert(7)>\n# v";
    j.targets[`local/kvm/${guest}`] = j.targets["local/kvm/vtb-testbed-vm"];
    j.config = { note: "```\n<script>alert(4)</script>" };
  });
  const blocks = reportBlocks(readRun(dir), []);
  const md = renderMarkdown(blocks);
  const html = renderHtml(blocks);

  it("keeps the stack name's newline and command inside the title", () => {
    expect(md.split("\n")[0]).toBe(
      "# Testbed report: stack evil # pwned rm -rf \\~ &lt;script&gt;alert(1)&lt;/script&gt;",
    );
    expect(md).not.toMatch(/^(# pwned|rm -rf|# heading)/m);
  });

  it("lets no tag through, in Markdown or HTML", () => {
    // Outside code blocks, where text is shown as is (tested below).
    const prose = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?\n\1$/gm, "");
    expect(prose).toContain("&lt;script&gt;alert(3)");
    expect(prose).not.toMatch(/<script|<img/);
    expect(html).not.toMatch(/<script|<img/);
    expect(html).toContain("stack evil\n# pwned\nrm -rf ~ &lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain("vm|&lt;img src=x onerror=alert(2)&gt;|`x`");
  });

  it("keeps every table row's columns, whatever the cells hold", () => {
    const lines = md.split("\n");
    const columns = (l: string) => l.replace(/\\\\/g, "").split(/(?<!\\)\|/).length;
    let checked = 0;
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("| ") || lines[i - 1]?.startsWith("|")) continue;
      for (let k = i + 1; lines[k]?.startsWith("|"); k++) {
        expect(columns(lines[k])).toBe(columns(lines[i]));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(md).toContain("kvm/vm\\|&lt;img src=x onerror=alert(2)&gt;\\|\\`x\\`");
  });

  it("keeps why the trials stopped, their order, what was paused and a tool version inert", () => {
    expect(md).toContain("stopped: stop # pwned &lt;script&gt;alert(5)&lt;/script&gt; \\| x \\|");
    expect(md).toContain(
      "- order of the trials: seed \\`seed\\`\\|&lt;b&gt;, m - item: round 1 kvm/vm\\|&lt;img src=x onerror=alert(2)&gt;\\|\\`x\\`, &lt;img src=y&gt;",
    );
    expect(md).toContain("paused during the trials: &lt;script&gt;alert(6)&lt;/script&gt;");
    expect(md).toContain("host before the trials: &lt;b&gt;load&lt;/b&gt; x\\|y # h");
    // The different tool version is flagged, bold, and still inert.
    const warning = md.split("\n").find((l) => l.startsWith("**⚠ Compared across"))!;
    expect(warning).toMatch(
      /: lxc\/vtb-testbed-ct ab: 2\.3 &lt;img src=z onerror=alert\(7\)&gt; # v vs 2\.3\.\*\*$/,
    );
    expect(html).toContain(
      "⚠ different tool versions: 2.3 &lt;img src=z onerror=alert(7)&gt;\n# v vs 2.3",
    );
  });

  it("keeps a guest's error in its paragraph and the config in its code block", () => {
    expect(md).toContain(
      "trial 1: boom \\`\\`\\` &lt;script&gt;alert(3)&lt;/script&gt; # heading \\| a \\| b \\|",
    );
    // Three backticks inside: the fence has four.
    expect(md).toContain('````json\n{\n  "note": "```\\n<script>alert(4)</script>"\n}\n````');
  });

  it("escapes the Markdown that would start a block, a link or a code span", () => {
    expect(mdEscape("# x")).toBe("\\# x");
    expect(mdEscape("- x")).toBe("\\- x");
    expect(mdEscape("1. x")).toBe("1\\. x");
    expect(mdEscape("1.5 MB")).toBe("1.5 MB");
    expect(mdEscape("    indented")).toBe("indented");
    expect(mdEscape("[a](javascript:x)")).toBe("\\[a\\](javascript:x)");
    expect(mdEscape("a\r\nb\u2028c\u001b[2J")).toBe("a  b c \\[2J");
    expect(mdEscape("x & <b> `c` *d* _e_ ~f~ \\")).toBe(
      "x &amp; &lt;b&gt; \\`c\\` \\*d\\* \\_e\\_ \\~f\\~ \\\\",
    );
  });

  it("makes a code fence no line of its text can close", () => {
    expect(mdCode("a\n```\nb")).toBe("````\na\n```\nb\n````");
    expect(mdCode("a ````` b", "json")).toBe("``````json\na ````` b\n``````");
    expect(mdCode("esc \u001b[2J")).toBe("```\nesc \\u001b[2J\n```");
  });

  it("puts a config value with a line break on one diff line", () => {
    expect(configDiff({ a: "x" }, { a: "y\n+ fake: 1" }).map(formatConfigChange)).toEqual([
      '~ a: x -> "y\\n+ fake: 1"',
    ]);
  });
});

describe("writing into a run folder", () => {
  const files = { "report.md": "new report\n", "report.html": "<p>new</p>\n" };
  const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith(".tmp"));

  /** A user's script, and a run folder whose report.md someone made a link to it. */
  function planted() {
    const home = scratch();
    const script = path.join(home, "deploy.sh");
    fs.writeFileSync(script, "#!/bin/sh\necho deploy\n", { mode: 0o755 });
    const dir = archive(() => {});
    fs.symlinkSync(script, path.join(dir, "report.md"));
    return { script, dir };
  }

  it("refuses a report.md that is a link, leaving the linked script and the folder as they were", async () => {
    const { script, dir } = planted();
    await expect(writeReport(readRun(dir), dir)).rejects.toThrow(
      `${dir}/report.md: a symbolic link (to "${script}"): not written through; remove it to write the report`,
    );
    expect(fs.readFileSync(script, "utf8")).toBe("#!/bin/sh\necho deploy\n");
    // Every check comes first: not even report.html was written.
    expect(fs.readdirSync(dir).sort()).toEqual(["report.md", "results.json"]);
    expect(fs.readlinkSync(path.join(dir, "report.md"))).toBe(script);
  }, 60000);

  it("refuses a link whether it points to a file or nowhere, and a FIFO", () => {
    const dir = scratch();
    fs.symlinkSync("/nonexistent/x", path.join(dir, "report.md"));
    expect(() => writeFiles(dir, files)).toThrow("a symbolic link");
    fs.rmSync(path.join(dir, "report.md"));
    execFileSync("mkfifo", [path.join(dir, "report.html")]);
    expect(() => writeFiles(dir, files)).toThrow(
      `${dir}/report.html: not a file: not written; remove it`,
    );
  });

  it("refuses a run folder that is itself a link, writing nothing where it points", () => {
    const real = scratch();
    const link = path.join(scratch(), "run-1");
    fs.symlinkSync(real, link);
    expect(() => writeFiles(link, files)).toThrow(
      `${link}: a symbolic link (to "${real}"): not written through (--out <dir> writes elsewhere)`,
    );
    expect(fs.readdirSync(real)).toEqual([]);
  });

  it("replaces its own earlier report by a rename, leaving no temporary file", () => {
    const dir = scratch();
    fs.writeFileSync(path.join(dir, "report.md"), "old\n");
    const before = fs.statSync(path.join(dir, "report.md")).ino;
    const w = writeFiles(dir, files);
    expect(w["report.md"]).toBe(path.join(dir, "report.md"));
    expect(fs.readFileSync(path.join(dir, "report.md"), "utf8")).toBe("new report\n");
    // A new file took its name: nothing was written into the old one.
    expect(fs.statSync(path.join(dir, "report.md")).ino).not.toBe(before);
    expect(leftovers(dir)).toEqual([]);
  });

  it("writes a comparison beside run B the same way", () => {
    const { script, dir } = planted();
    fs.renameSync(path.join(dir, "report.md"), path.join(dir, "compare-self.md"));
    const run = readRun(dir);
    expect(() => writeComparison(run, run)).toThrow(`${dir}/compare-self.md: a symbolic link`);
    expect(fs.readFileSync(script, "utf8")).toBe("#!/bin/sh\necho deploy\n");
  });

  const asRoot = process.getuid?.() === 0 ? it : it.skip;
  asRoot("refuses a folder or a file another user owns", () => {
    const dir = scratch();
    fs.writeFileSync(path.join(dir, "report.md"), "theirs\n");
    fs.chownSync(path.join(dir, "report.md"), 65534, 65534);
    expect(() => writeFiles(dir, files)).toThrow(
      `${dir}/report.md: owned by uid 65534, not by this user (uid 0): not written`,
    );
    fs.chownSync(dir, 65534, 65534);
    expect(() => writeFiles(dir, files)).toThrow(
      `${dir}: owned by uid 65534, not by this user (uid 0): not written (--out <dir> writes elsewhere)`,
    );
    expect(fs.readFileSync(path.join(dir, "report.md"), "utf8")).toBe("theirs\n");
  });
});
