// `npm run import`: a folder of real outputs run by hand (test/fixtures/import/hand-run,
// openssl speed and iperf3 as they printed) becomes a run the report, the run
// comparison and `npm run parse` read like any other; every bad input is named.
import * as fs from "fs";
import * as path from "path";
import { main } from "../../../scripts/import";
import { main as report } from "../../../scripts/report";
import { main as parse } from "../../../scripts/parse";
import { readRun } from "../../../report/load";
import { scratchDir } from "../../helpers/scratch";

const fixture = path.join(__dirname, "../../fixtures/import/hand-run");
const benchFixtures = path.join(__dirname, "../../fixtures/benchmarks");

function run(argv: string[], root: string) {
  let out = "";
  let err = "";
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s) }, root);
  return { code, out, err };
}

/** A copy of the fixture folder, its manifest changed by `edit`. */
function folder(edit: (manifest: string) => string = (m) => m): string {
  const dir = scratchDir("vtb-import-");
  fs.cpSync(fixture, dir, { recursive: true });
  const m = path.join(dir, "manifest.yaml");
  fs.writeFileSync(m, edit(fs.readFileSync(m, "utf8")));
  return dir;
}

/** The sign/s figure of `openssl speed rsa2048`'s own table, read without the project's parser. */
const signRate = (file: string) =>
  Number(/^rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)/m.exec(fs.readFileSync(file, "utf8"))![1]);

describe("npm run import", () => {
  const root = scratchDir("vtb-import-root-");
  let dir: string;

  beforeAll(() => {
    const r = run([fixture], root);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    dir = r.out.split("\n")[0];
  });

  it("writes a run folder the report's reader accepts, with the tools' figures as trials", () => {
    expect(dir).toMatch(/results\/hand-run\/2026-12-04T04-04-00Z-[0-9a-f]{8}$/);
    const r = readRun(dir);
    const bare = r.results.ci.baseline.host["openssl-speed"];
    expect(bare.status).toBe("ok");
    expect(bare.toolVersion).toBe("OpenSSL 3.0.19");
    const expected = [1, 2, 3].map((i) => signRate(path.join(fixture, `bare/speed-${i}.txt`)));
    expect(bare.metrics["sign_rate[algorithm=rsa2048]"].trials).toEqual(expected);
    // A trial of two files: iperf3's two directions, one result.
    const net = r.results.ci.baseline.host.iperf3;
    expect(net.trials).toHaveLength(2);
    expect(Object.keys(net.metrics)).toEqual(
      expect.arrayContaining([
        "throughput[direction=forward,side=receiver]",
        "throughput[direction=reverse,side=receiver]",
      ]),
    );
    // Compared with bare metal, flagged as not interleaved: hand runs have no recorded schedule.
    const c = r.comparison.ci.xen.vm1["openssl-speed"]["sign_rate[algorithm=rsa2048]"];
    expect(c.interleaved).toBe(false);
    expect(c.ci).not.toBeNull();
    // The two guests that ran at once, as one.
    const agg = r.aggregates!.ci.xen["openssl-speed"]["sign_rate[algorithm=rsa2048]"];
    expect(agg.guests).toEqual(["vm1", "vm2"]);
    expect(agg.median).toBeGreaterThan(bare.metrics["sign_rate[algorithm=rsa2048]"].median);
    expect(r.testbed!.ci.platforms!.xen.guests).toEqual([
      { name: "vm1", mode: "para" },
      { name: "vm2", mode: "para" },
    ]);
    expect(fs.readFileSync(path.join(dir, "import.yaml"), "utf8")).toBe(
      fs.readFileSync(path.join(fixture, "manifest.yaml"), "utf8"),
    );
  });

  it("makes the same folder from the same files, and says it is there", () => {
    const again = run([fixture], root);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`${dir} (already imported)`);
    expect(fs.readdirSync(path.dirname(dir)).filter((f) => !f.startsWith("."))).toHaveLength(1);
  });

  it("is read back by npm run parse, the report and the run comparison", async () => {
    let out = "";
    let err = "";
    const io = { out: (s: string) => (out += s), err: (s: string) => (err += s) };
    expect(
      parse(
        [`openssl-speed`, path.join(dir, "raw/ci/baseline/host/openssl-speed/trial-2.txt")],
        io,
      ),
    ).toBe(0);
    expect(err).toMatch(/read as openssl-speed's own output/);
    expect(JSON.parse(out).metrics[0].value).toBe(signRate(path.join(fixture, "bare/speed-2.txt")));

    const noStacks = () => {
      throw new Error("no stack outputs in this test");
    };
    out = "";
    expect(await report(["--run", dir], io, root, noStacks)).toBe(0);
    const md = fs.readFileSync(path.join(dir, "report.md"), "utf8");
    expect(md).toMatch(
      /Run by hand and imported \(npm run import\), measured 2026-12-04T04:04:00Z/,
    );
    expect(md).toMatch(/xen: 2 guests at once, aggregate/);
    expect(md).toMatch(/- cpu: 2 cores/);

    // A second hand run (another day) compared with the first.
    const later = run([folder((m) => m.replace("2026-12-04T04:04:00Z", "2026-12-05"))], root);
    expect(later.code).toBe(0);
    expect(later.out).toMatch(/results\/hand-run\/2026-12-05-[0-9a-f]{8}\n/);
    out = "";
    expect(await report(["--compare", dir, later.out.split("\n")[0]], io, root, noStacks)).toBe(0);
    expect(out).toMatch(/openssl-speed/);
  });

  it("reads the project's framed output with the parameters given, and says what is missing", () => {
    const postal = path.join(
      benchFixtures,
      "postal/postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt",
    );
    const d = folder(
      () =>
        "measured: 2026-12-04\nsource: an archived raw output\nruns:\n" +
        "  - target: srv/baseline/host\n    benchmark: postal\n    parameters: { minutes: 3 }\n    trials: [postal.txt]\n",
    );
    fs.copyFileSync(postal, path.join(d, "postal.txt"));
    const r = run([d], root);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const out = r.out.split("\n")[0];
    expect(readRun(out).results.srv.baseline.host.postal.status).toBe("ok");
    expect(
      JSON.parse(
        fs.readFileSync(path.join(out, "raw/srv/baseline/host/postal/parameters.json"), "utf8"),
      ),
    ).toMatchObject({ minutes: 3 });
    // Postal's default is 5 minutes: without the parameters the output is not of that run.
    fs.writeFileSync(
      path.join(d, "manifest.yaml"),
      fs
        .readFileSync(path.join(d, "manifest.yaml"), "utf8")
        .replace("    parameters: { minutes: 3 }\n", ""),
    );
    const bad = run([d], root);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(
      /runs\[0\] \(srv\/baseline\/host postal\) trial 1, postal\.txt: .*minutes/,
    );
  });

  it("names every problem of the manifest at once, with its field", () => {
    const d = folder(
      () =>
        "stack: ../up\nmeasured: yesterday\nsource: x\nrepeat: 3\nruns:\n" +
        "  - target: srv/kvm/host\n    benchmark: opensl-speed\n    mode: para\n    trials: [../../etc/passwd]\n",
    );
    const r = run([d], root);
    expect(r.code).toBe(1);
    for (const want of [
      /stack: letters, digits/,
      /measured: a date \(2009-05-14\)/,
      /^ {2}repeat: unknown key$/m,
      /runs\[0\]\.benchmark: one of unixbench, /,
      /runs\[0\]\.trials\[0\]: a path inside the folder/,
    ]) {
      expect(r.err).toMatch(want);
    }
    const cross = folder(
      () =>
        "measured: 2026-12-04\nsource: x\nruns:\n" +
        "  - { target: srv/kvm/host, benchmark: openssl-speed, mode: para, trials: [bare/speed-1.txt] }\n" +
        "  - { target: srv/baseline/host, benchmark: openssl-speed, trials: [bare/speed-1.txt] }\n" +
        "  - { target: srv/baseline/host, benchmark: openssl-speed, trials: [bare/speed-2.txt] }\n" +
        "concurrent:\n  - { benchmark: openssl-speed, targets: [srv/kvm/host, srv/xen/vm9] }\n",
    );
    const c = run([cross], root);
    expect(c.code).toBe(1);
    for (const want of [
      /runs\[0\]\.target: srv\/kvm\/host: bare metal is <server>\/baseline\/host, and only bare metal is "host"/,
      /runs\[0\]\.mode: only a Xen guest has a mode/,
      /runs\[2\]: srv\/baseline\/host openssl-speed again \(runs\[1\]\)/,
      /concurrent\[0\]\.targets: guests of one server's platform/,
      /concurrent\[0\]\.targets: srv\/xen\/vm9 has no run of openssl-speed/,
    ]) {
      expect(c.err).toMatch(want);
    }
    expect(fs.existsSync(path.join(root, "results", "..", "up"))).toBe(false);
  });

  it("names every file that does not read, writes nothing, and reads no file outside the folder", () => {
    const d = folder(
      () =>
        "stack: broken\nmeasured: 2026-12-04\nsource: x\nruns:\n" +
        "  - target: srv/baseline/host\n    benchmark: openssl-speed\n" +
        "    trials: [bare/speed-1.txt, cut.txt, missing.txt, outside.txt]\n" +
        "  - target: srv/baseline/host\n    benchmark: iperf3\n" +
        "    trials: [net/fwd-1.json, net/rev-1.json]\n" +
        "  - target: srv/xen/vm1\n    benchmark: hepspec06\n    trials: [vms/vm1-speed-1.txt]\n",
    );
    fs.writeFileSync(
      path.join(d, "cut.txt"),
      fs.readFileSync(path.join(d, "bare/speed-1.txt"), "utf8").replace(/^rsa 2048.*\n/m, ""),
    );
    fs.symlinkSync("/etc/hostname", path.join(d, "outside.txt"));
    const r = run([d], root);
    expect(r.code).toBe(1);
    for (const want of [
      /runs\[0\] \(srv\/baseline\/host openssl-speed\) trial 2, cut\.txt: openssl-speed: /,
      /runs\[0\] \(srv\/baseline\/host openssl-speed\) trial 3: missing\.txt: no such file/,
      /trial 4: outside\.txt: resolves to \/etc\/hostname, outside/,
      // Two trials run otherwise: iperf3 forward, then reverse.
      /runs\[1\] \(srv\/baseline\/host iperf3\) trial 2 \(net\/rev-1\.json\) was run otherwise than trial 1: .*"reverse".*"forward"/,
      /runs\[2\] .* hepspec06's own output is not read yet/,
    ]) {
      expect(r.err).toMatch(want);
    }
    expect(fs.existsSync(path.join(root, "results/broken"))).toBe(false);
  });

  it("refuses a trial whose files give one figure twice, and a usage error with exit 2", () => {
    const d = folder(
      () =>
        "measured: 2026-12-04\nsource: x\nruns:\n" +
        "  - target: srv/baseline/host\n    benchmark: iperf3\n    trials: [[net/fwd-1.json, net/fwd-2.json]]\n",
    );
    const r = run([d], root);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /net\/fwd-1\.json and net\/fwd-2\.json both give throughput\[direction=forward/,
    );
    expect(run([], root).code).toBe(2);
    expect(run([path.join(d, "nope")], root)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/no such folder/),
    });
    fs.rmSync(path.join(d, "manifest.yaml"));
    expect(run([d], root)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/no manifest\.yaml/),
    });
    fs.writeFileSync(
      path.join(d, "manifest.yaml"),
      "measured: 2026-12-04\nsource: x\nservers: { srv: { facts: { __proto__: 1 } } }\nruns: []\n",
    );
    expect(run([d], root)).toMatchObject({
      code: 1,
      err: expect.stringMatching(/servers\.srv\.facts\.__proto__: a key named __proto__/),
    });
    fs.writeFileSync(path.join(d, "manifest.yaml"), "runs: [\n");
    expect(run([d], root)).toMatchObject({ code: 1, err: expect.stringMatching(/not YAML/) });
  });
  it("refuses one measurement counted twice, and trials or targets run otherwise", () => {
    const twice = folder(
      () =>
        "measured: 2026-12-04\nsource: x\nruns:\n" +
        "  - { target: srv/baseline/host, benchmark: openssl-speed, trials: [bare/speed-1.txt, bare/speed-1.txt] }\n",
    );
    expect(run([twice], root)).toMatchObject({
      code: 1,
      err: expect.stringMatching(
        /runs\[0\] trial 2: bare\/speed-1\.txt is given already \(runs\[0\] trial 1\): a file is one trial/,
      ),
    });
    // iperf3 with another block size (-l) in one trial, and a guest run with another bitrate (-b).
    const d = folder(
      () =>
        "measured: 2026-12-04\nsource: x\nruns:\n" +
        "  - { target: srv/baseline/host, benchmark: iperf3, trials: [net/fwd-1.json, net/fwd-2.json] }\n" +
        "  - { target: srv/kvm/vm, benchmark: iperf3, trials: [vm/fwd-1.json] }\n",
    );
    const edit = (f: string, from: RegExp, to: string) => {
      const p = path.join(d, f);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(
        p,
        fs.readFileSync(path.join(fixture, "net/fwd-1.json"), "utf8").replace(from, to),
      );
    };
    edit("net/fwd-2.json", /"blksize":\s*131072/, '"blksize": 1024');
    edit("vm/fwd-1.json", /"target_bitrate":(\s*)0/g, '"target_bitrate":$110000000');
    const r = run([d], root);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /runs\[0\] \(srv\/baseline\/host iperf3\) trial 2 \(net\/fwd-2\.json\) was run otherwise than trial 1: .*"blksize":1024/,
    );
    expect(r.err).toMatch(
      /runs\[1\] \(srv\/kvm\/vm iperf3\) was run otherwise than runs\[0\] \(srv\/baseline\/host iperf3\): .*"target_bitrate":10000000/,
    );
  });

  it("refuses groups that would sum the wrong trials, names that find the wrong results, and info that renames", () => {
    const d = folder(
      () =>
        "measured: 2026-12-04\nsource: x\nruns:\n" +
        "  - { target: srv/xen/vm1, mode: para, benchmark: openssl-speed, trials: [vms/vm1-speed-1.txt, vms/vm1-speed-2.txt] }\n" +
        "  - { target: srv/xen/vm2, mode: hvm, benchmark: openssl-speed, trials: [vms/vm2-speed-1.txt] }\n" +
        "  - { target: srv/kvm/vm2, benchmark: openssl-speed, trials: [vms/vm2-speed-2.txt], info: { name: vm9 } }\n" +
        "concurrent:\n" +
        "  - { benchmark: openssl-speed, targets: [srv/xen/vm1, srv/xen/vm2] }\n" +
        "  - { benchmark: openssl-speed, targets: [srv/xen/vm2, srv/xen/vm1] }\n",
    );
    const r = run([d], root);
    expect(r.code).toBe(1);
    for (const want of [
      /runs\[2\]\.info\.name: set by target, not info/,
      /guest vm2 on srv's xen and kvm: one guest name per server/,
      /concurrent\[0\]: its guests have 2 and 1 trials/,
      /concurrent\[0\]: Xen guests of different modes/,
      /concurrent\[1\]: a second group of srv\/xen openssl-speed \(concurrent\[0\]\)/,
      /concurrent\[1\]\.targets: srv\/xen\/vm2 is in concurrent\[0\] already/,
    ]) {
      expect(r.err).toMatch(want);
    }
  });

  it("refuses control characters in what the report shows, and a name every object has", () => {
    const d = folder(
      () =>
        'measured: 2026-12-04\nsource: "x\\u001b[31m"\nruns:\n' +
        "  - { target: constructor/baseline/host, benchmark: openssl-speed, trials: [bare/speed-1.txt] }\n",
    );
    const r = run([d], root);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/source: text without control characters/);
    expect(r.err).toMatch(/runs\[0\]\.target: a name other than constructor/);
  });

  it("names the run by its time in UTC, as the program's runs are named", () => {
    const d = folder((m) => m.replace("2026-12-04T04:04:00Z", "2026-12-04T09:04:00+05:00"));
    const r = run([d, "--dry-run"], root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/results\/hand-run\/2026-12-04T04-04-00Z-[0-9a-f]{8} \(not written/);
  });

  it("reads no manifest outside the folder, and quotes none of a file that is not YAML", () => {
    const d = folder();
    const outside = scratchDir("vtb-import-outside-");
    fs.writeFileSync(path.join(outside, "secret.conf"), "db_password: hunter2: secret\n");
    fs.rmSync(path.join(d, "manifest.yaml"));
    fs.symlinkSync(path.join(outside, "secret.conf"), path.join(d, "manifest.yaml"));
    const r = run([d], root);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/manifest\.yaml: resolves to .*secret\.conf, outside/);
    fs.rmSync(path.join(d, "manifest.yaml"));
    fs.writeFileSync(path.join(d, "manifest.yaml"), "db_password: hunter2: secret\n");
    const y = run([d], root);
    expect(y.err).toMatch(/not YAML \(line 1, column \d+\): [A-Z_]+/);
    expect(y.err).not.toContain("hunter2");
  });
});
