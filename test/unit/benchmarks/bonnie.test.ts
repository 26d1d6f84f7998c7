import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  bonnie,
  bonnieParameters,
  parseBonnie,
  parseBonniePlain,
} from "../../../benchmarks/bonnie";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";
import { asNobody, nobodyUid, rootOnlyDir } from "../../helpers/hostile";

const dir = path.join(__dirname, "..", "..", "fixtures", "benchmarks", "bonnie");
const fixture = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");

// Recorded here (Debian bookworm, 2 vCPUs, 24 GiB, ext4 on a virtio disk) by running
// benchmarks/bonnie.sh. The "4g-files" runs used sizeMiB=4096 ramMiB=2048 files=16,
// the quick one the module's quick profile (512/256, no file tests). 1.97 is bonnie++
// 1.97.3 built from its source in /tmp only to record this (not kept); it writes CSV
// format 1.97, which has the same columns as 1.96.
const QUICK = "bonnie-2.00a-bookworm-quick.csv";
const FILES_200 = "bonnie-2.00a-bookworm-4g-files.csv";
const FILES_197 = "bonnie-1.97-source-build-bookworm-4g-files.csv";

const byName = (r: BenchmarkResult) => Object.fromEntries(r.metrics.map((m) => [m.name, m]));
const values = (r: BenchmarkResult) => Object.fromEntries(r.metrics.map((m) => [m.name, m.value]));

describe("parseBonnie on recorded output", () => {
  it("reads bonnie++ 2.00a (CSV 1.98) and omits what was too fast to measure", () => {
    const r = parseBonnie(fixture(QUICK));
    expect(r.benchmark).toBe("bonnie");
    expect(r.toolVersion).toBe("2.00a (CSV 1.98)");
    // 1.98,2.00a,vm,1,<seed>,512M,,8192,5,1772,60,+++++,+++,+++++,+++,3166,78,+++++,+++,+++++,+++,...
    expect(values(r)).toEqual({
      sequential_output_per_char: 1772,
      sequential_output_per_char_cpu: 60,
      sequential_input_per_char: 3166,
      sequential_input_per_char_cpu: 78,
      sequential_output_per_char_latency: 18753,
      sequential_output_block_latency: 7937,
      sequential_output_rewrite_latency: 37204,
      sequential_input_per_char_latency: 9910,
      sequential_input_block_latency: 1435,
      random_seeks_latency: 22156,
    });
    const m = byName(r);
    expect(m.sequential_output_per_char).toMatchObject({ unit: "KiB/s", direction: "higher" });
    expect(m.sequential_output_per_char_cpu).toMatchObject({ unit: "%", direction: "lower" });
    expect(m.random_seeks_latency).toMatchObject({ unit: "us", direction: "lower" });
    // "+++++" / "+++": no number at all.
    expect(m.sequential_output_block).toBeUndefined();
    expect(m.sequential_output_block_cpu).toBeUndefined();
    expect(m.random_seeks).toBeUndefined();
  });

  it("reads bonnie++ 2.00a with the file tests", () => {
    const r = parseBonnie(fixture(FILES_200));
    expect(r.toolVersion).toBe("2.00a (CSV 1.98)");
    expect(values(r)).toMatchObject({
      sequential_output_per_char: 2018,
      sequential_output_per_char_cpu: 95,
      sequential_output_block: 1403548,
      sequential_output_block_cpu: 86,
      sequential_output_rewrite: 1473704,
      sequential_output_rewrite_cpu: 57,
      sequential_input_per_char: 3378,
      sequential_input_per_char_cpu: 76,
      sequential_input_block: 3157287,
      sequential_input_block_cpu: 59,
      random_seeks: 4965,
      random_seeks_cpu: 32,
      sequential_create: 29712,
      sequential_create_cpu: 38,
      sequential_input_block_latency: 68099,
      sequential_create_latency: 5750,
      random_delete_latency: 5915,
    });
    const m = byName(r);
    expect(m.random_seeks).toMatchObject({ unit: "seeks/s", direction: "higher" });
    expect(m.sequential_create).toMatchObject({ unit: "files/s", direction: "higher" });
    for (const gone of ["sequential_stat", "sequential_delete", "random_create", "random_stat"]) {
      expect(m[gone]).toBeUndefined();
      expect(m[`${gone}_cpu`]).toBeUndefined();
      expect(m[`${gone}_latency`]).toBeDefined();
    }
    expect(r.metrics).toHaveLength(12 + 2 + 12);
  });

  it("reads bonnie++ 1.97 (CSV 1.97), latencies in ms normalized to us", () => {
    const r = parseBonnie(fixture(FILES_197));
    expect(r.toolVersion).toBe("1.97 (CSV 1.97)");
    expect(values(r)).toMatchObject({
      sequential_output_per_char: 1442,
      sequential_output_per_char_cpu: 53,
      sequential_output_block: 1092883,
      sequential_output_rewrite: 1483433,
      sequential_input_per_char: 1765,
      sequential_input_block: 1492956,
      sequential_input_block_cpu: 29,
      random_seeks: 3196,
      random_seeks_cpu: 17,
      sequential_create: 1209,
      sequential_create_cpu: 30,
      random_create: 9470,
      random_create_cpu: 39,
      sequential_output_per_char_latency: 47784,
      sequential_input_block_latency: 126000, // "126ms"
      sequential_create_latency: 288000, // "288ms"
      random_stat_latency: 187000, // "187ms"
      random_delete_latency: 56883,
    });
    expect(byName(r).sequential_stat).toBeUndefined();
    expect(r.metrics).toHaveLength(12 + 4 + 12);
  });

  it("reads CSV format 1.96 with the 1.97 columns (derived from the 1.97 recording)", () => {
    // DERIVED, not recorded: the 1.97 line with its version fields set to 1.96, whose
    // data columns are the same (only 1.96's header line lacked concurrency and seed).
    const raw = fixture(FILES_197).replace(/^1\.97,1\.97,/m, "1.96,1.96,");
    const r = parseBonnie(raw);
    expect(r.toolVersion).toBe("1.96 (CSV 1.96)");
    expect(values(r)).toEqual(values(parseBonnie(fixture(FILES_197))));
  });

  it("reads seconds latencies and fractional seek rates (constructed)", () => {
    // CONSTRUCTED from bonnie++'s print formats: seeks below 1000/s have one decimal
    // ("%.1f"), latencies of 100 s and more are printed in whole seconds.
    const fields = fixture(FILES_197).split("\n")[1].split(",");
    fields[17] = "537.7";
    fields[40] = "2s";
    const r = parseBonnie(fields.join(","));
    expect(values(r)).toMatchObject({ random_seeks: 537.7, sequential_input_block_latency: 2e6 });
  });
});

describe("parseBonnie rejects what bonnie.sh does not print", () => {
  const raw = fixture(FILES_200);
  const line = raw.split("\n")[1];
  const fields = line.split(",");
  const withField = (i: number, v: string) => fields.map((f, j) => (j === i ? v : f)).join(",");
  const reject = (text: string, message: RegExp) => {
    expect(() => parseBonnie(text)).toThrow(ParseError);
    expect(() => parseBonnie(text)).toThrow(message);
  };

  it("rejects empty output and output with only the version comment", () => {
    reject("", /expected one CSV line, got 0/);
    reject("# bonnie++ 2.00a\n", /expected one CSV line, got 0/);
  });

  it("rejects an unknown CSV format version", () => {
    reject(withField(0, "1.03"), /unknown CSV format version "1.03"/);
    reject(withField(0, "2.00"), /unknown CSV format version "2.00"/);
    reject(withField(0, "constructor"), /unknown CSV format version/);
    // bonnie++ 1.03 wrote no format version: the line starts with the machine name.
    reject("vm,4G,1442,53,1092883,51,1483433,49,1765,59,1492956,29,3196.0,17\n", /unknown CSV/);
  });

  it("rejects a wrong field count, e.g. a line cut short", () => {
    reject(line.slice(0, line.lastIndexOf(",")), /has 50 fields, got 49/);
    reject(line + ",1", /has 50 fields, got 51/);
    reject(line.replace(/^1\.98,2\.00a,/, "1.97,1.97,"), /CSV format 1.97 has 48 fields, got 50/);
    reject(raw.slice(0, raw.indexOf("1403548")), /has 50 fields, got 12/);
  });

  it("rejects garbled numbers", () => {
    reject(withField(11, "1403x48"), /sequential_output_block \(field 11\): expected a rate/);
    reject(withField(11, "-1403548"), /expected a rate/);
    reject(withField(12, "8.6"), /sequential_output_block_cpu \(field 12\): expected a %CPU/);
    reject(withField(42, "68099"), /expected a latency like 123us/);
    reject(withField(42, "68099ns"), /expected a latency/);
  });

  it("checks the dataset size against the parameters when given them", () => {
    const p = (sizeMiB: number) => bonnieParameters.parse({ sizeMiB, ramMiB: 256 });
    expect(parseBonnie(raw, p(4096)).metrics.length).toBeGreaterThan(0);
    expect(parseBonnie(fixture(QUICK), p(512)).metrics.length).toBeGreaterThan(0);
    expect(() => parseBonnie(raw, p(1024))).toThrow(ParseError);
    expect(() => parseBonnie(raw, p(1024))).toThrow(/dataset size "4G", expected 1G/);
    expect(() => parseBonnie(fixture(QUICK), p(1536))).toThrow(/expected 1536M/);
  });

  it("rejects two CSV lines and a bad version field", () => {
    reject(`${raw}${line}\n`, /expected one CSV line, got 2/);
    reject(withField(1, "x"), /expected a bonnie\+\+ version in field 1/);
  });
});

fuzzParser({
  benchmark: "bonnie",
  parse: (raw: string) => parseBonnie(raw),
  fixtures: [QUICK, FILES_200, FILES_197].map((name) => ({ name, raw: fixture(name), params: {} })),
  // Latencies printed in ms or s are read as us.
  scales: [1, 1e3, 1e6],
});

// bonnie++'s own output, as a run by hand prints it: the CSV line found in the text.
fuzzParser({
  benchmark: "bonnie",
  name: "bonnie (its own output)",
  parse: (raw: string) => parseBonniePlain(raw).result,
  fixtures: [QUICK, FILES_200, FILES_197].map((name) => ({ name, raw: fixture(name), params: {} })),
  scales: [1, 1e3, 1e6],
});

describe("bonnie module", () => {
  it("has defaults, a quick profile and an environment for the script", () => {
    expect(bonnie.id).toBe("bonnie");
    expect(bonnie.packages).toEqual(["bonnie++"]);
    expect(bonnieParameters.parse({})).toEqual({
      sizeMiB: 1024,
      ramMiB: 512,
      files: "0",
      directory: "/var/lib/virt-testbed/bonnie",
    });
    const quick = bonnieParameters.parse(bonnie.quick);
    expect(quick.files).toBe("0");
    expect(bonnie.environment(quick)).toEqual({
      VTB_BONNIE_SIZE_MIB: "512",
      VTB_BONNIE_RAM_MIB: "256",
      VTB_BONNIE_FILES: "0",
      VTB_BONNIE_DIR: "/var/lib/virt-testbed/bonnie",
    });
  });

  it("refuses parameters bonnie++ would refuse or that could escape the script", () => {
    const bad = [
      { sizeMiB: 1000, ramMiB: 512 }, // less than twice the RAM
      { files: "16;reboot" },
      { files: "16:a" },
      { directory: "var/tmp/x" },
      { directory: "/var/tmp/../../etc" },
      { directory: "/tmp/a b" },
      { directory: "/tmp/$(id)" },
      { sizeMiB: 1.5 },
      { size: 1024 },
    ];
    for (const p of bad) expect([p, bonnieParameters.safeParse(p).success]).toEqual([p, false]);
    expect(bonnieParameters.safeParse({ files: "16:4096:1024:8" }).success).toBe(true);
  });

  it("runs bonnie++ -q with -s, -r, -n and -u root in a run directory it removes", () => {
    // A stand-in bonnie++ that prints its arguments, so the script's call can be checked.
    // (Not under /tmp: the script refuses a directory others can write to.)
    const tmp = rootOnlyDir("vtb-bonnie-");
    try {
      const bin = path.join(tmp, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(
        path.join(bin, "bonnie++"),
        '#!/bin/sh\ncase "$1" in -h) echo "Version: 9.99" >&2; exit 1;; esac\n' +
          'echo "bonnie++ $*"; touch "$3/file"\n',
        { mode: 0o755 },
      );
      const target = path.join(tmp, "target");
      const out = execFileSync("bash", ["-c", bonnie.script], {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          ...bonnie.environment(
            bonnieParameters.parse({ sizeMiB: 64, ramMiB: 32, files: "1", directory: target }),
          ),
        },
        encoding: "utf8",
      });
      const root = process.getuid?.() === 0 ? " -u root" : "";
      expect(out).toMatch(
        new RegExp(
          `^# bonnie\\+\\+ 9\\.99\\nbonnie\\+\\+ -q -d ${target}/bonnie\\.\\w+ -s 64 -r 32 -n 1${root}\\n$`,
        ),
      );
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("refuses a directory another local user can swap, and bonnie++ never runs", () => {
    const tmp = rootOnlyDir("vtb-bonnie-");
    const bin = path.join(tmp, "bin");
    const marker = path.join(tmp, "bonnie-ran");
    fs.mkdirSync(bin);
    // A stand-in bonnie++ that says it ran, and where it was told to write.
    fs.writeFileSync(
      path.join(bin, "bonnie++"),
      `#!/bin/sh\ncase "$1" in -h) exit 1;; esac\necho "$3" >>${marker}\n`,
      { mode: 0o755 },
    );
    // Root's directory, which another user would have bonnie++ write into and empty.
    const victim = path.join(tmp, "victim");
    fs.mkdirSync(victim);
    // The old default, made first by another user: a symlink to root's directory.
    const old = "/var/tmp/vtb-bonnie";
    fs.rmSync(old, { recursive: true, force: true });
    asNobody('ln -s "$1" "$2"', victim, old);
    // A directory of theirs inside one of root's, and a symlink.
    const theirs = path.join(tmp, "theirs");
    fs.mkdirSync(theirs);
    fs.chownSync(theirs, nobodyUid, 0);
    fs.symlinkSync(victim, path.join(tmp, "link"));
    try {
      for (const [directory, why] of [
        [old, "/var/tmp is writable by others than its owner (mode 1777)"],
        [`${theirs}/bonnie`, `${theirs} is owned by uid ${nobodyUid}, not root`],
        [`${tmp}/link`, `${tmp}/link is a symlink`],
      ]) {
        const r = spawnSync("bash", ["-c", bonnie.script], {
          env: {
            PATH: `${bin}:/usr/bin:/bin`,
            ...bonnie.environment(
              bonnieParameters.parse({ sizeMiB: 64, ramMiB: 32, files: "1", directory }),
            ),
          },
          encoding: "utf8",
        });
        expect({
          status: r.status,
          stderr: r.stderr.trim().split("\n").pop(),
          stdout: r.stdout,
        }).toEqual({
          status: 1,
          stderr: `bonnie: refusing ${directory}: ${why}`,
          stdout: "",
        });
      }
      expect(fs.existsSync(marker)).toBe(false);
      expect(fs.readdirSync(victim)).toEqual([]);
      // Nothing was made inside their directory either.
      expect(fs.readdirSync(theirs)).toEqual([]);
      expect(fs.readlinkSync(old)).toBe(victim);
    } finally {
      fs.rmSync(old, { force: true });
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
