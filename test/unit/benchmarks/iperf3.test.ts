import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { iperf3, iperf3Parameters, parseIperf3, parseIperf3Plain } from "../../../benchmarks/iperf";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";
import { scratchDir } from "../../helpers/scratch";

const dir = path.join(__dirname, "..", "..", "fixtures", "benchmarks", "iperf3");
const fixture = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
const params = (p: object = {}) => iperf3Parameters.parse(p);

// Recorded here (Debian bookworm, iperf3 3.12, 2 vCPUs, other work running) by
// running benchmarks/iperf3.sh with duration 3 against a server that
// benchmarks/iperf-server.sh started on 127.0.0.1:15201: loopback, both directions.
const fixtures = {
  "iperf3-3.12-bookworm-loopback.txt": params({ duration: 3, port: 15201 }),
  "iperf3-3.12-bookworm-loopback-parallel-2.txt": params({
    duration: 3,
    port: 15201,
    parallel: 2,
  }),
};

function metric(r: BenchmarkResult, name: string, labels: Record<string, string>) {
  const found = r.metrics.filter(
    (m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

describe("parseIperf3 on recorded output", () => {
  it("reads sender and receiver throughput and retransmits in both directions", () => {
    const name = "iperf3-3.12-bookworm-loopback.txt";
    const r = parseIperf3(fixture(name), fixtures[name]);
    expect(r.benchmark).toBe("iperf3");
    expect(r.toolVersion).toBe("3.12");
    expect(r.metrics).toHaveLength(6);
    // end.sum_sent.bits_per_second 27753827241.23612 -> Mbit/s.
    expect(metric(r, "throughput", { direction: "forward", side: "sender" })).toEqual({
      name: "throughput",
      value: 27753.82724123612,
      unit: "Mbit/s",
      direction: "higher",
      labels: { direction: "forward", side: "sender" },
    });
    expect(metric(r, "throughput", { direction: "forward", side: "receiver" }).value).toBeCloseTo(
      27747.62994435657,
      9,
    );
    expect(metric(r, "throughput", { direction: "reverse", side: "sender" }).value).toBeCloseTo(
      33320.86857834607,
      9,
    );
    expect(metric(r, "throughput", { direction: "reverse", side: "receiver" }).value).toBeCloseTo(
      33313.91943360661,
      9,
    );
    expect(metric(r, "retransmits", { direction: "forward" })).toEqual({
      name: "retransmits",
      value: 8,
      unit: "count",
      direction: "lower",
      labels: { direction: "forward" },
    });
    expect(metric(r, "retransmits", { direction: "reverse" }).value).toBe(0);
  });

  it("reads the sums of parallel streams", () => {
    const name = "iperf3-3.12-bookworm-loopback-parallel-2.txt";
    const r = parseIperf3(fixture(name), fixtures[name]);
    expect(metric(r, "throughput", { direction: "forward", side: "sender" }).value).toBeCloseTo(
      29673.63254922823,
      9,
    );
    expect(metric(r, "throughput", { direction: "reverse", side: "receiver" }).value).toBeCloseTo(
      27581.61597176904,
      9,
    );
    expect(metric(r, "retransmits", { direction: "forward" }).value).toBe(6);
    expect(metric(r, "retransmits", { direction: "reverse" }).value).toBe(5);
  });

  it("measures one direction when asked to", () => {
    const name = "iperf3-3.12-bookworm-loopback.txt";
    const raw = fixture(name);
    const forwardOnly =
      raw.slice(0, raw.indexOf("@@@ reverse")) + raw.slice(raw.indexOf("@@@ end"));
    const r = parseIperf3(forwardOnly, { ...fixtures[name], direction: "forward" });
    expect(r.metrics.map((m) => m.labels.direction)).toEqual(["forward", "forward", "forward"]);
  });
});

describe("parseIperf3 rejects what iperf3.sh does not print on success", () => {
  const name = "iperf3-3.12-bookworm-loopback.txt";
  const raw = fixture(name);
  const p = fixtures[name];
  const reject = (text: string, message: RegExp, q = p) => {
    expect(() => parseIperf3(text, q)).toThrow(ParseError);
    expect(() => parseIperf3(text, q)).toThrow(message);
  };

  // Found by the fuzzer (minimized): two alike JSON lines swapped (each intact, valid
  // JSON) moved a number between objects: sender and receiver, or the two directions.
  it("rejects a rate, byte count or retransmit count out of its object", () => {
    const swap = (text: string, a: number, b: number) => {
      const lines = text.split("\n");
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join("\n");
    };
    const lines = raw.split("\n");
    const after = (from: string, what: string, start = 0) => {
      const at = lines.findIndex((l, i) => i >= start && l.includes(from));
      return lines.findIndex((l, i) => i > at && l.includes(what));
    };
    const fwd = raw.indexOf("@@@ reverse");
    const rev = lines.findIndex((l) => l === "@@@ reverse");
    expect(fwd).toBeGreaterThan(0);
    const sentBps = after('"sum_sent"', '"bits_per_second"');
    const receivedBps = after('"sum_received"', '"bits_per_second"');
    reject(
      swap(raw, sentBps, receivedBps),
      /forward: end.sum_sent: bits_per_second .* is not bytes/,
    );
    const reverseBps = after('"sum_sent"', '"bits_per_second"', rev);
    reject(swap(raw, sentBps, reverseBps), /forward: end.sum_sent: bits_per_second/);
    const sentBytes = after('"sum_sent"', '"bytes"');
    const reverseBytes = after('"sum_sent"', '"bytes"', rev);
    reject(
      swap(raw, sentBytes, reverseBytes),
      /forward: end.sum_sent.bytes .* is not the streams'/,
    );
    const retransmits = after('"sum_sent"', '"retransmits"');
    const reverseRetransmits = after('"sum_sent"', '"retransmits"', rev);
    reject(
      swap(raw, retransmits, reverseRetransmits),
      /forward: end.sum_sent.retransmits 0 is not the streams' 8/,
    );
  });

  it("rejects empty and truncated output", () => {
    reject("", /missing section\(s\) version, forward, reverse, end/);
    reject(raw.slice(0, raw.indexOf("@@@ reverse")), /missing section\(s\) reverse, end/);
    // Cut inside the reverse report, with the end marker put back: not valid JSON.
    const cut = raw.slice(0, raw.indexOf('"sum_received"', raw.indexOf("@@@ reverse")));
    reject(cut + "\n@@@ end\n", /reverse: not valid JSON/);
  });

  it("rejects the error report of a run that could not connect (recorded)", () => {
    // iperf3 3.12 -J exits 0 here and reports the error in the JSON.
    reject(
      fixture("iperf3-3.12-bookworm-connection-refused.txt"),
      /forward: iperf3 reported an error: unable to connect to server: Connection refused/,
      params({ port: 15999 }),
    );
  });

  it("rejects missing or garbled numbers", () => {
    const fwd = raw.indexOf("@@@ forward");
    const sent = raw.indexOf('"sum_sent"', fwd);
    const bps = raw.indexOf('"bits_per_second"', sent);
    const at = (from: number, replace: [RegExp, string]) =>
      raw.slice(0, from) + raw.slice(from).replace(...replace);
    reject(
      at(bps, [/"bits_per_second":\s*[\d.e+]+/, '"bits_per_second": "fast"']),
      /forward: end.sum_sent.bits_per_second: expected a number >= 0, got fast/,
    );
    reject(
      at(bps, [/"bits_per_second":\s*[\d.e+]+/, '"bits_per_second": -1']),
      /expected a number >= 0, got -1/,
    );
    reject(
      at(sent, [/"retransmits":\s*\d+/, '"retransmits": null']),
      /end.sum_sent.retransmits: expected a number >= 0, got null/,
    );
    reject(
      at(sent, [/"seconds":\s*[\d.]+/, '"seconds": 0']),
      /forward: end.sum_sent covers 0 seconds/,
    );
    reject(at(sent, [/"sum_received"/, '"sum_receivedX"']), /forward: no end.sum_received/);
  });

  it("rejects output for other parameters", () => {
    reject(raw, /forward: test_start.num_streams is 1, expected 2/, { ...p, parallel: 2 });
    reject(raw, /forward: test_start.duration is 3, expected 10/, { ...p, duration: 10 });
    reject(raw, /connected to 127\.0\.0\.1 port 15201, expected 127\.0\.0\.1 port 5201/, {
      ...p,
      port: 5201,
    });
    reject(raw, /sections .* expected \["version","reverse","end"\]/, {
      ...p,
      direction: "reverse",
    });
    // The two reports swapped: each section is checked against its direction.
    const f = raw.indexOf("@@@ forward");
    const rv = raw.indexOf("@@@ reverse");
    const e = raw.indexOf("@@@ end");
    const swapped =
      raw.slice(0, f) +
      "@@@ forward" +
      raw.slice(rv + "@@@ reverse".length, e) +
      "@@@ reverse" +
      raw.slice(f + "@@@ forward".length, rv) +
      raw.slice(e);
    reject(swapped, /forward: test_start.reverse is 1/);
  });

  it("rejects a version line that is not iperf3's", () => {
    reject(raw.replace(/^iperf 3\.12 .*$/m, "iperf version 2.1.8"), /version: expected/);
  });
});

fuzzParser({
  benchmark: "iperf3",
  parse: parseIperf3,
  fixtures: Object.entries(fixtures).map(([name, params]) => ({
    name,
    raw: fixture(name),
    params,
  })),
  // bits/s read as Mbit/s; retransmits as they are.
  scales: [1e-6, 1],
});

// iperf3's own JSON report (-J), as a run by hand prints it: one direction of a fixture.
const section = (raw: string, name: string) => {
  const from = raw.indexOf(`@@@ ${name}\n`) + `@@@ ${name}\n`.length;
  return raw.slice(from, raw.indexOf("\n@@@ ", from) + 1);
};
const ownReports = Object.keys(fixtures).flatMap((name) =>
  (["forward", "reverse"] as const).map((d) => ({
    name: `${name} ${d}`,
    raw: section(fixture(name), d),
    params: undefined,
  })),
);

describe("iperf3's own JSON report (-J)", () => {
  it("reads another version's report: iperf 3.21+ built from its source here (not kept)", () => {
    for (const d of ["forward", "reverse"] as const) {
      const raw = fs.readFileSync(
        path.join(dir, `iperf3-3.21-source-build-loopback-${d}.json`),
        "utf8",
      );
      const doc = JSON.parse(raw);
      const { result, ran } = parseIperf3Plain(raw);
      expect(result.toolVersion).toBe("3.21+");
      expect(ran).toMatchObject({
        server: "127.0.0.1",
        port: 15301,
        parallel: 1,
        duration: 2,
        direction: d,
      });
      const receiver = result.metrics.find(
        (m) => m.name === "throughput" && m.labels.side === "receiver",
      )!;
      expect(receiver.value).toBeCloseTo(doc.end.sum_received.bits_per_second / 1e6, 6);
      expect(receiver.labels.direction).toBe(d);
    }
  });

  it("reads one direction, and the run it describes in place of parameters", () => {
    const name = "iperf3-3.12-bookworm-loopback-parallel-2.txt";
    for (const d of ["forward", "reverse"] as const) {
      const { result, ran } = parseIperf3Plain(section(fixture(name), d));
      expect(ran).toEqual({
        server: "127.0.0.1",
        port: 15201,
        parallel: 2,
        duration: 3,
        direction: d,
        // Every setting the client states: runs that differ in one are not one run.
        protocol: "TCP",
        blksize: 131072,
        omit: 0,
        bytes: 0,
        blocks: 0,
        tos: 0,
        target_bitrate: 0,
        sock_bufsize: 0,
      });
      // The same figures as the framed output's.
      const framed = parseIperf3(fixture(name), fixtures[name]).metrics;
      expect(result.metrics).toEqual(framed.filter((m) => m.labels.direction === d));
    }
  });

  it("refuses iperf3's text output, saying to run it with -J, and a report of an error", () => {
    const text =
      "Connecting to host 127.0.0.1, port 5201\n[  5] local 127.0.0.1 port 1 connected\niperf Done.\n";
    expect(() => parseIperf3Plain(text)).toThrow(/run it with -J/);
    const refused = fixture("iperf3-3.12-bookworm-connection-refused.txt");
    const json = section(refused, "forward");
    expect(() => parseIperf3Plain(json)).toThrow(ParseError);
  });
});

fuzzParser({
  benchmark: "iperf3",
  name: "iperf3 (its own JSON report)",
  parse: (raw: string) => parseIperf3Plain(raw).result,
  fixtures: ownReports,
  scales: [1e-6, 1],
});

describe("iperf3 module", () => {
  it("has defaults, a quick profile and an environment for both scripts", () => {
    expect(iperf3.id).toBe("iperf3");
    expect(iperf3.packages).toEqual(["iperf3"]);
    expect(params()).toEqual({
      duration: 10,
      parallel: 1,
      server: "127.0.0.1",
      port: 5201,
      direction: "both",
    });
    const quick = iperf3Parameters.parse(iperf3.quick);
    expect(iperf3.environment(quick)).toEqual({
      VTB_IPERF_TOOL: "iperf3",
      VTB_IPERF_SERVER: "127.0.0.1",
      VTB_IPERF_PORT: "5201",
      VTB_IPERF_DURATION: "3",
      VTB_IPERF_PARALLEL: "1",
      VTB_IPERF_DIRECTIONS: "forward reverse",
    });
    expect(iperf3Parameters.safeParse({ server: "127.0.0.1 -D" }).success).toBe(false);
  });

  /** A folder with a stand-in iperf3 that prints its arguments, and `first` (failing) the first time. */
  const standIn = (first: string) => {
    const bin = scratchDir("vtb-iperf3-");
    fs.writeFileSync(path.join(bin, "first.json"), first);
    fs.writeFileSync(
      path.join(bin, "iperf3"),
      [
        "#!/bin/sh",
        `if [ "$1" = -c ] && [ ! -e "${bin}/once" ]; then`,
        `  touch "${bin}/once"`,
        `  cat "${bin}/first.json"`,
        "  exit 1",
        "fi",
        'echo "iperf3 $*"',
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    return bin;
  };

  it("runs the client once per direction with -J, and again when the server is busy", () => {
    const bin = standIn('{"error": "the server is busy running a test. try again later"}\n');
    try {
      const out = execFileSync("bash", ["-c", iperf3.script], {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          ...iperf3.environment(params({ duration: 5, parallel: 2 })),
        },
        encoding: "utf8",
      });
      expect(out).toBe(
        [
          "@@@ version",
          "iperf3 --version",
          "@@@ forward",
          "iperf3 -c 127.0.0.1 -p 5201 -t 5 -P 2 -J",
          "@@@ reverse",
          "iperf3 -c 127.0.0.1 -p 5201 -t 5 -P 2 -J -R",
          "@@@ end",
          "",
        ].join("\n"),
      );
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  // What iperf3 3.12 printed here, reverse, from the host into a QEMU guest under
  // TCG through passt, its server between two tests: reset before it started.
  const resetBeforeStart = [
    "{",
    '\t"start":\t{',
    '\t\t"connected":\t[],',
    '\t\t"version":\t"iperf 3.12",',
    '\t\t"system_info":\t"Linux vm 6.18.44-fc-v1147 #1 SMP PREEMPT_DYNAMIC @0 x86_64"',
    "\t},",
    '\t"intervals":\t[],',
    '\t"end":\t{',
    "\t},",
    '\t"error":\t"unable to receive control message: Connection reset by peer"',
    "}",
  ].join("\n");
  // The script's own lines (a shell's start-up files may add theirs).
  const said = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("iperf3:"));
  const runWith = (first: string) => {
    const bin = standIn(first);
    return spawnSync("bash", ["-c", iperf3.script], {
      env: {
        PATH: `${bin}:/usr/bin:/bin`,
        ...iperf3.environment(params({ duration: 5, parallel: 1, direction: "reverse" })),
      },
      encoding: "utf8",
    });
  };

  it("tries a run again that was reset before it started (a server between tests), saying so", () => {
    const r = runWith(resetBeforeStart);
    expect(r.stdout).toContain("@@@ reverse\niperf3 -c 127.0.0.1 -p 5201 -t 5 -P 1 -J -R\n@@@ end");
    expect(said(r.stderr)).toEqual([
      "iperf3: reverse: try 1 did not start (unable to receive control message: Connection reset by peer); again in 1 s",
    ]);
  });

  it("keeps a run that was cut after it started: it measured, and failed", () => {
    const started = resetBeforeStart.replace(
      '"connected":\t[]',
      '"connected":\t[{"socket": 5, "local_host": "127.0.0.1"}]',
    );
    const r = runWith(started);
    expect(r.stdout).toContain(started);
    expect(r.stdout).not.toContain("-R\n");
    expect(said(r.stderr)).toEqual([]);
  });
});
