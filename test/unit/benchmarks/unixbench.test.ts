import { execFileSync, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";
import { asNobody, rootOnlyDir } from "../../helpers/hostile";
import {
  parseUnixbench,
  parseUnixbenchPlain,
  requireSource,
  unixbench,
  unixbenchParameters,
} from "../../../benchmarks/unixbench";
import { scratchDir } from "../../helpers/scratch";

const fixture = (name: string) =>
  fs.readFileSync(
    path.join(__dirname, "..", "..", "fixtures", "benchmarks", "unixbench", name),
    "utf8",
  );

const source = { url: "https://example.org/unixbench.tar.gz", sha256: "ab".repeat(32) };
const params = (extra: Record<string, unknown> = {}) =>
  unixbenchParameters.parse({ source, ...extra });

describe("parseUnixbench", () => {
  // Recorded: byte-unixbench 6.0.0 built and run on a 2-CPU Firecracker VM with
  // `./Run -i 1 -c 1 -c 2 dhry2reg whetstone-double syscall`; the report file it wrote.
  const quick = fixture("quick-6.0.0-copies-1-2.txt");
  const quickParams = params({ copies: [1, 2], iterations: 1, tests: unixbench.quick.tests });

  it("reads the recorded quick run: raw results, partial index and score per pass", () => {
    const r = parseUnixbench(quick, quickParams);
    expect(r.benchmark).toBe("unixbench");
    expect(r.toolVersion).toBe("UnixBench 6.0.0");
    const find = (name: string, labels: Record<string, string>) =>
      r.metrics.filter(
        (m) => m.name === name && JSON.stringify(m.labels) === JSON.stringify(labels),
      );
    expect(find("result", { test: "Dhrystone 2 using register variables", copies: "1" })).toEqual([
      {
        name: "result",
        value: 39584668.0,
        unit: "lps",
        direction: "higher",
        labels: { test: "Dhrystone 2 using register variables", copies: "1" },
      },
    ]);
    expect(find("result", { test: "Double-Precision Whetstone", copies: "2" })[0]).toMatchObject({
      value: 7753.7,
      unit: "MWIPS",
    });
    expect(find("result", { test: "System Call Overhead", copies: "2" })[0].value).toBe(2774339.5);
    expect(
      find("index", { test: "System Call Overhead", copies: "1", partial: "true" })[0],
    ).toMatchObject({ value: 1054.6, unit: "index", direction: "higher" });
    expect(find("index_score", { copies: "1", partial: "true" })[0].value).toBe(1552.0);
    expect(find("index_score", { copies: "2", partial: "true" })[0].value).toBe(2351.9);
    expect(r.metrics).toHaveLength(2 * (3 + 3 + 1));
  });

  it("reads the recorded full index run (all 12 index tests, -i 1, default copies)", () => {
    // Recorded: byte-unixbench 6.0.0, `./Run -i 1 -c 1 -c 2` (the "index" tests), same VM,
    // other work running (hence 2 copies scoring below 1 on some tests).
    const r = parseUnixbench(fixture("index-6.0.0-copies-1-2.txt"), params({ iterations: 1 }));
    const by = (name: string, copies: string) =>
      r.metrics.filter((m) => m.name === name && m.labels.copies === copies);
    expect(by("result", "1")).toHaveLength(12);
    expect(by("index", "2")).toHaveLength(12);
    expect(by("index_score", "1")).toEqual([
      {
        name: "index_score",
        value: 1102.2,
        unit: "index",
        direction: "higher",
        labels: { copies: "1" },
      },
    ]);
    expect(by("index_score", "2")[0].value).toBe(993.2);
    expect(by("result", "1").find((m) => m.labels.test === "Shell Scripts (8 concurrent)")).toEqual(
      {
        name: "result",
        value: 960.8,
        unit: "lpm",
        direction: "higher",
        labels: { test: "Shell Scripts (8 concurrent)", copies: "1" },
      },
    );
    expect(
      by("result", "2").find((m) => m.labels.test === "File Copy 4096 bufsize 8000 maxblocks"),
    ).toMatchObject({ value: 1148436.0, unit: "KBps" });
    expect(by("index", "2").find((m) => m.labels.test === "Execl Throughput")?.value).toBe(190.5);
    expect(r.metrics.some((m) => m.labels.partial !== undefined)).toBe(false);
  });

  it("reads the recorded 5.1.3 report, whose version comes from its header", () => {
    // Recorded: UnixBench 5.1.3 (tag v5.1.3), `./Run -i 1 -c 1 -c 2 dhry2reg whetstone-double syscall`.
    const r = parseUnixbench(fixture("quick-5.1.3-copies-1-2.txt"), quickParams);
    expect(r.toolVersion).toBe("UnixBench 5.1.3");
    const score = r.metrics.filter((m) => m.name === "index_score").map((m) => m.value);
    expect(score).toEqual([1249.2, 1754.8]);
  });

  it("rejects a full index run whose index table lost a row, or went missing", () => {
    const raw = fixture("index-6.0.0-copies-1-2.txt");
    const row = raw.replace(/^Process Creation {2,}126\.0 .*\n/m, "");
    expect(row).not.toBe(raw);
    expect(() => parseUnixbench(row, params({ iterations: 1 }))).toThrow(
      /index score 1102\.2 is not the geometric mean/,
    );
    const table = raw.slice(0, raw.lastIndexOf("System Benchmarks Index Values"));
    expect(() => parseUnixbench(table, params({ iterations: 1 }))).toThrow(
      /pass with 2 copies: Dhrystone 2 using register variables has a baseline but no index/,
    );
  });

  it("takes UnixBench's default copies (1 and the CPU count) when copies is unset", () => {
    const r = parseUnixbench(quick, params({ tests: unixbench.quick.tests }));
    expect(r.metrics.filter((m) => m.name === "index_score").map((m) => m.labels.copies)).toEqual([
      "1",
      "2",
    ]);
  });

  it("rejects a report with fewer passes than asked for", () => {
    const one = quick.slice(0, quick.indexOf("------", quick.indexOf("Partial Only")));
    expect(() => parseUnixbench(one, quickParams)).toThrow(
      /passes with copies 1, expected 1, 2: report truncated/,
    );
  });

  // Found by the fuzzer (minimized): a garbled unit relabelled a result.
  it("rejects a result in another unit than its test's", () => {
    const sec = quick.replace("39584668.0 lps", "39584668.0 sec");
    expect(sec).not.toBe(quick);
    expect(() => parseUnixbench(sec, quickParams)).toThrow(
      /pass with 1 copy: Dhrystone 2 using register variables: unit sec, expected lps/,
    );
  });

  it("rejects empty, garbled and foreign output", () => {
    expect(() => parseUnixbench("", quickParams)).toThrow(ParseError);
    expect(() => parseUnixbench("make: *** No rule to make target\n", quickParams)).toThrow(
      /no "BYTE UNIX Benchmarks \(Version \.\.\.\)" header/,
    );
    const garbled = quick.replace("39584668.0 lps", "3958x668.0 lps");
    expect(() => parseUnixbench(garbled, quickParams)).toThrow(ParseError);
    const nan = quick.replace("   5748.0 MWIPS", "      nan MWIPS");
    expect(() => parseUnixbench(nan, quickParams)).toThrow(/expected a number with one decimal/);
  });

  it("rejects an index table that contradicts the results above it", () => {
    const bad = quick.replace("116700.0   39584668.0", "116700.0   39584669.0");
    expect(() => parseUnixbench(bad, quickParams)).toThrow(/differs from the test result/);
    const score = quick.replace(/(?<=Partial Only\)\s+)1552\.0/, "1652.0");
    expect(() => parseUnixbench(score, quickParams)).toThrow(/not the geometric mean/);
  });

  it("rejects a pass with no results (UnixBench 5.1.3 above 16 copies), naming the cap", () => {
    const empty = [
      "   BYTE UNIX Benchmarks (Version 5.1.3)",
      "",
      "------------------------------------------------------------------------",
      "Benchmark Run: Mon Jan 01 2024 00:00:00 - 00:00:01",
      "32 CPUs in system; running 32 parallel copies of tests",
      "",
      "",
      "",
    ].join("\n");
    expect(() => parseUnixbench(empty, params({ copies: [32] }))).toThrow(/at most 16 copies/);
  });
});

fuzzParser({
  benchmark: "unixbench",
  parse: parseUnixbench,
  fixtures: (
    [
      ["quick-6.0.0-copies-1-2.txt", { copies: [1, 2], iterations: 1 }],
      ["quick-5.1.3-copies-1-2.txt", {}],
      ["index-6.0.0-copies-1-2.txt", { iterations: 1 }],
    ] as const
  ).map(([name, extra]) => ({ name, raw: fixture(name), params: params(extra) })),
});

// A report as a run by hand leaves it: its passes stand for the copies asked.
fuzzParser({
  benchmark: "unixbench",
  name: "unixbench (a report of a run by hand)",
  parse: (raw: string) => parseUnixbenchPlain(raw).result,
  fixtures: [
    "quick-6.0.0-copies-1-2.txt",
    "quick-5.1.3-copies-1-2.txt",
    "index-6.0.0-copies-1-2.txt",
  ].map((name) => ({ name, raw: fixture(name), params: undefined })),
});

describe("a UnixBench report of a run by hand", () => {
  it("reads its passes as the copies asked, with the framed parser's figures", () => {
    const raw = fixture("quick-6.0.0-copies-1-2.txt");
    const { result, ran } = parseUnixbenchPlain(raw);
    expect(ran).toEqual({ copies: [1, 2], version: "UnixBench 6.0.0" });
    expect(result).toEqual(parseUnixbench(raw, params({ copies: [1, 2], iterations: 1 })));
  });
});

describe("unixbench module", () => {
  it("names the parameters to set when no source is given", () => {
    const p = unixbenchParameters.parse({});
    const msg =
      "unixbench: set testbed benchmark parameter source.url and source.sha256, or source.path";
    expect(() => requireSource(p)).toThrow(msg);
    expect(() => unixbench.environment(p)).toThrow(msg);
    expect(() => unixbench.environment(unixbenchParameters.parse(unixbench.quick))).toThrow(msg);
  });

  it("rejects a URL without its checksum, and a checksum without a URL", () => {
    expect(() => unixbenchParameters.parse({ source: { url: source.url } })).toThrow(
      /source.url needs source.sha256/,
    );
    expect(() => unixbenchParameters.parse({ source: { sha256: source.sha256 } })).toThrow(
      /checksum of source.url/,
    );
    expect(() =>
      unixbenchParameters.parse({ source: { ...source, path: "/srv/unixbench.tgz" } }),
    ).toThrow(/not both/);
  });

  it("passes the parameters as environment variables", () => {
    expect(unixbench.environment(params({ copies: [1, 8], iterations: 3 }))).toEqual({
      UB_URL: source.url,
      UB_SHA256: source.sha256,
      UB_PATH: "",
      UB_COPIES: "1 8",
      UB_ITERATIONS: "3",
      UB_TESTS: "index",
    });
    const local = unixbenchParameters.parse({
      source: { path: "/srv/UnixBench5.1.3.tgz" },
      ...unixbench.quick,
    });
    expect(unixbench.environment(local)).toMatchObject({
      UB_URL: "",
      UB_PATH: "/srv/UnixBench5.1.3.tgz",
      UB_COPIES: "",
      UB_ITERATIONS: "1",
      UB_TESTS: "dhry2reg whetstone-double syscall",
    });
  });

  it("refuses test names that are not words", () => {
    expect(() => params({ tests: ["index; rm -rf /"] })).toThrow();
  });
});

// unixbench.sh run for real against a UnixBench tree of a few lines (Run,
// Makefile, src/), packed as a tarball: its make writes a marker, so whether a
// tarball was built, as root, shows.
describe("unixbench.sh and the tarballs another local user plants", () => {
  let tmp = "";
  let safe = "";
  let marker = "";
  // A UnixBench tarball whose build (make, as root) runs `rule`; its path and checksum.
  const tarball = (name: string, rule: string) => {
    const tree = path.join(tmp, name, "UnixBench");
    fs.mkdirSync(path.join(tree, "src"), { recursive: true });
    fs.writeFileSync(path.join(tree, "Makefile"), `all:\n\t${rule}\n`);
    fs.writeFileSync(
      path.join(tree, "Run"),
      '#!/bin/sh\necho "report of $(pwd)" >"$UB_RESULTDIR/report"\n',
      { mode: 0o755 },
    );
    const tar = path.join(tmp, `${name}.tar`);
    execFileSync("tar", ["-cf", tar, "-C", path.dirname(tree), "UnixBench"]);
    const sha256 = crypto.createHash("sha256").update(fs.readFileSync(tar)).digest("hex");
    return { tar, sha256 };
  };
  const run = (env: Record<string, string>) =>
    spawnSync("bash", ["-c", unixbench.script], {
      env: { ...process.env, UB_WORKDIR: "", UB_TESTS: "dhry2reg", ...env },
      encoding: "utf8",
    });
  const lastLine = (text: string) => text.trim().split("\n").pop();
  let evil: { tar: string; sha256: string };
  let good: { tar: string; sha256: string };

  beforeAll(() => {
    // Readable by nobody, who copies the tarballs from here.
    tmp = scratchDir("vtb-unixbench-test-");
    fs.chmodSync(tmp, 0o755);
    safe = rootOnlyDir("vtb-unixbench-test-");
    marker = path.join(safe, "built-as-root");
    evil = tarball("evil", `id -u >${marker}`);
    good = tarball("good", "touch built");
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.rmSync(safe, { recursive: true, force: true });
  });

  it("refuses a work directory another user made, before reading anything in it", () => {
    // Another user's directory under /tmp, and one of theirs in a directory of root's.
    const theirs = asNobody(
      'd=$(mktemp -d) && cp "$1" "$d/$2.tar" && echo "$d"',
      evil.tar,
      evil.sha256,
    ).trim();
    const inRoots = path.join(safe, "work");
    fs.mkdirSync(inRoots);
    fs.chownSync(inRoots, Number(asNobody("id -u")), 0);
    asNobody('cp "$1" "$2/$3.tar"', evil.tar, inRoots, evil.sha256);
    try {
      for (const [workdir, why] of [
        [theirs, "/tmp is writable by others than its owner (mode 1777)"],
        [inRoots, `${inRoots} is owned by uid ${asNobody("id -u").trim()}, not root`],
      ]) {
        const r = run({
          UB_WORKDIR: workdir,
          UB_URL: "file:///nonexistent/unixbench.tar",
          UB_SHA256: evil.sha256,
        });
        expect({ status: r.status, stderr: lastLine(r.stderr), stdout: r.stdout }).toEqual({
          status: 1,
          stderr: `unixbench: refusing ${workdir}: ${why}`,
          stdout: "",
        });
        expect(fs.existsSync(marker)).toBe(false);
      }
    } finally {
      fs.rmSync(theirs, { recursive: true, force: true });
    }
  });

  it("does not look at the old default under /var/tmp, which anyone can make first", () => {
    // The old default, which nothing uses now: another user makes it, with a
    // tarball under the name the script looked for.
    const old = "/var/tmp/virt-testbed";
    fs.rmSync(old, { recursive: true, force: true });
    // The default cache, made by the script if missing (and then removed again here).
    const made = ["/var/cache/virt-testbed", "/var/cache/virt-testbed/unixbench"].filter(
      (d) => !fs.existsSync(d),
    );
    asNobody(
      'mkdir -p "$1/unixbench" && cp "$2" "$1/unixbench/$3.tar"',
      old,
      evil.tar,
      evil.sha256,
    );
    try {
      const r = run({ UB_URL: "file:///nonexistent/unixbench.tar", UB_SHA256: evil.sha256 });
      // So the script goes for the download, which fails here.
      expect({ status: r.status, stderr: lastLine(r.stderr) }).toEqual({
        status: 1,
        stderr: "unixbench: cannot download file:///nonexistent/unixbench.tar",
      });
      expect(fs.existsSync(marker)).toBe(false);
      const cache = fs.statSync("/var/cache/virt-testbed/unixbench");
      expect({ uid: cache.uid, groupOrOtherWrite: cache.mode & 0o022 }).toEqual({
        uid: 0,
        groupOrOtherWrite: 0,
      });
    } finally {
      fs.rmSync(old, { recursive: true, force: true });
      for (const d of made.reverse()) if (fs.existsSync(d)) fs.rmdirSync(d);
    }
  });

  it("builds a source.path only if no other user could have planted or changed it", () => {
    const workdir = path.join(safe, "cache-path", "unixbench");
    // A tarball of root's, in a directory only root can write: built and run.
    const mine = path.join(safe, "mine.tar");
    fs.copyFileSync(good.tar, mine);
    const ok = run({ UB_WORKDIR: workdir, UB_PATH: mine });
    expect({ status: ok.status, stdout: ok.stdout }).toEqual({
      status: 0,
      stdout: `report of ${workdir}/${good.sha256}/UnixBench\n`,
    });
    // Under /tmp, where anyone can make files; one of nobody's; a tree with a
    // file others may write: refused, naming what is at fault, before any build.
    const inTmp = asNobody(
      'd=$(mktemp -d) && chmod 755 "$d" && cp "$1" "$d/u.tar" && echo "$d/u.tar"',
      evil.tar,
    ).trim();
    const theirs = path.join(safe, "theirs.tar");
    fs.copyFileSync(evil.tar, theirs);
    fs.chownSync(theirs, Number(asNobody("id -u")), 0);
    const tree = path.join(safe, "tree");
    fs.mkdirSync(path.join(tree, "UnixBench", "src"), { recursive: true });
    fs.writeFileSync(path.join(tree, "UnixBench", "Makefile"), `all:\n\tid -u >${marker}\n`);
    fs.writeFileSync(path.join(tree, "UnixBench", "Run"), "#!/bin/sh\n", { mode: 0o777 });
    fs.chmodSync(path.join(tree, "UnixBench", "Run"), 0o777);
    try {
      for (const [src, why] of [
        [inTmp, `refusing ${inTmp}: /tmp is writable by others than its owner (mode 1777)`],
        [
          theirs,
          `refusing ${theirs}: ${theirs} is owned by another user or writable by others than its owner`,
        ],
        [
          tree,
          `refusing ${tree}: ${tree}/UnixBench/Run is owned by another user or writable by others than its owner`,
        ],
      ]) {
        const r = run({ UB_WORKDIR: workdir, UB_PATH: src });
        expect({ status: r.status, stderr: lastLine(r.stderr) }).toEqual({
          status: 1,
          stderr: `unixbench: ${why}`,
        });
      }
      expect(fs.existsSync(marker)).toBe(false);
    } finally {
      fs.rmSync(path.dirname(inTmp), { recursive: true, force: true });
    }
  });

  it("unpacks a tarball as root's alone, whatever owners and modes it stores", () => {
    // A tarball (checksum and all) whose members say uid 65534 and mode 0777.
    const loose = path.join(tmp, "loose.tar");
    execFileSync("tar", [
      "-cf",
      loose,
      "--owner=65534",
      "--group=65534",
      "--mode=a+rwx",
      "-C",
      path.join(tmp, "good"),
      "UnixBench",
    ]);
    const sha256 = crypto.createHash("sha256").update(fs.readFileSync(loose)).digest("hex");
    const workdir = path.join(safe, "cache-loose", "unixbench");
    const r = run({ UB_WORKDIR: workdir, UB_URL: `file://${loose}`, UB_SHA256: sha256 });
    expect(r.status).toBe(0);
    const foreign = execFileSync(
      "find",
      [path.join(workdir, sha256), "(", "!", "-uid", "0", "-o", "-perm", "/022", ")", "-print"],
      { encoding: "utf8" },
    );
    expect(foreign).toBe("");
  });

  it("refuses a source.path with a symlink in it, or named with a / at its end", () => {
    const tree = path.join(safe, "linked");
    fs.mkdirSync(path.join(tree, "UnixBench", "src"), { recursive: true });
    fs.symlinkSync("/etc/hostname", path.join(tree, "UnixBench", "src", "x.c"));
    const workdir = path.join(safe, "cache-linked", "unixbench");
    const r = run({ UB_WORKDIR: workdir, UB_PATH: tree });
    expect({ status: r.status, stderr: lastLine(r.stderr) }).toEqual({
      status: 1,
      stderr: `unixbench: refusing ${tree}: ${tree}/UnixBench/src/x.c is a symlink`,
    });
    const slash = run({ UB_WORKDIR: workdir, UB_PATH: `${safe}/` });
    expect(slash.status).toBe(2);
    expect(lastLine(slash.stderr)).toMatch(/nor a \/ at its end/);
  });

  it("checks a cached tarball's checksum at every run, not only after the download", () => {
    const workdir = path.join(safe, "cache", "unixbench");
    const env = { UB_WORKDIR: workdir, UB_URL: `file://${good.tar}`, UB_SHA256: good.sha256 };
    const cached = path.join(workdir, `${good.sha256}.tar`);
    // Downloaded, checked, built in the directory it made, and run.
    const first = run(env);
    expect({ status: first.status, stdout: first.stdout }).toEqual({
      status: 0,
      stdout: `report of ${workdir}/${good.sha256}/UnixBench\n`,
    });
    expect(fs.existsSync(path.join(workdir, good.sha256, "UnixBench", "built"))).toBe(true);
    // The cached tarball is not the one downloaded any more (and not built yet).
    fs.copyFileSync(evil.tar, cached);
    fs.rmSync(path.join(workdir, good.sha256), { recursive: true });
    const second = run(env);
    expect({ status: second.status, stderr: lastLine(second.stderr) }).toEqual({
      status: 1,
      stderr:
        `unixbench: checksum mismatch for file://${good.tar} (${cached}): ` +
        `expected ${good.sha256}, got ${evil.sha256}; refusing to use it`,
    });
    expect(fs.existsSync(marker)).toBe(false);
    // It was removed: the next run downloads it again.
    expect(fs.existsSync(cached)).toBe(false);
    expect(run(env).status).toBe(0);
  });
});
