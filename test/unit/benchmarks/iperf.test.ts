import { spawnSync } from "child_process";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  iperf,
  iperfParameters,
  parseIperf,
  parseIperfPlain,
  serverScript,
} from "../../../benchmarks/iperf";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";
import { asNobody, nobodyInBackground, rootOnlyDir } from "../../helpers/hostile";
import { freePort } from "../../helpers/sshd";
import { scratchDir } from "../../helpers/scratch";

const dir = path.join(__dirname, "..", "..", "fixtures", "benchmarks", "iperf");
const fixture = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
const params = (p: object = {}) => iperfParameters.parse(p);

// Recorded here (Debian bookworm, iperf 2.1.8, 2 vCPUs, other work running) by
// running benchmarks/iperf.sh with duration 3 against a server that
// benchmarks/iperf-server.sh started on 127.0.0.1:15001: loopback, both directions.
const fixtures = {
  "iperf-2.1.8-bookworm-loopback.txt": params({ duration: 3, port: 15001 }),
  "iperf-2.1.8-bookworm-loopback-parallel-2.txt": params({
    duration: 3,
    port: 15001,
    parallel: 2,
  }),
};

// CONSTRUCTED, not recorded (no iperf 2.0 here): the client report of iperf 2.0.x
// (e.g. Debian's 2.0.13 and older) as its Reporter prints it: "%4.1f-%4.1f sec"
// intervals with one decimal, stream ids from 3, no "(icwnd/...)" after the
// connection line, "[SUM]" for parallel streams. 2.0.x has no -R, hence forward only.
const iperf20 = [
  "@@@ version",
  "iperf version 2.0.13 (21 Jan 2019) pthreads",
  "@@@ forward",
  "------------------------------------------------------------",
  "Client connecting to 127.0.0.1, TCP port 5001",
  "TCP window size: 85.0 KByte (default)",
  "------------------------------------------------------------",
  "[  4] local 127.0.0.1 port 54238 connected with 127.0.0.1 port 5001",
  "[  3] local 127.0.0.1 port 54236 connected with 127.0.0.1 port 5001",
  "[ ID] Interval       Transfer     Bandwidth",
  "[  4]  0.0-10.0 sec   560 MBytes   469 Mbits/sec",
  "[  3]  0.0-10.0 sec   561 MBytes   470 Mbits/sec",
  "[SUM]  0.0-10.0 sec  1121 MBytes   939 Mbits/sec",
  "@@@ end",
  "",
].join("\n");
const iperf20Params = params({ parallel: 2, direction: "forward" });

function metric(r: BenchmarkResult, name: string, labels: Record<string, string>) {
  const found = r.metrics.filter(
    (m) => m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

describe("parseIperf on recorded output", () => {
  it("reads one stream in each direction from iperf 2.1.8", () => {
    const name = "iperf-2.1.8-bookworm-loopback.txt";
    const r = parseIperf(fixture(name), fixtures[name]);
    expect(r.benchmark).toBe("iperf");
    expect(r.toolVersion).toBe("2.1.8");
    expect(r.metrics).toEqual([
      {
        name: "throughput",
        value: 29827,
        unit: "Mbit/s",
        direction: "higher",
        labels: { direction: "forward", side: "sender" },
      },
      {
        name: "throughput",
        value: 31797,
        unit: "Mbit/s",
        direction: "higher",
        labels: { direction: "reverse", side: "receiver" },
      },
    ]);
  });

  it("reads the [SUM] line of parallel streams, not a stream's line", () => {
    const name = "iperf-2.1.8-bookworm-loopback-parallel-2.txt";
    const raw = fixture(name);
    expect(raw).toContain("[ *1] 0.0000-2.9984 sec");
    const r = parseIperf(raw, fixtures[name]);
    expect(metric(r, "throughput", { direction: "forward" }).value).toBe(37732);
    expect(metric(r, "throughput", { direction: "reverse", side: "receiver" }).value).toBe(44149);
  });

  it("reads iperf 2.0.x output (constructed, see above)", () => {
    const r = parseIperf(iperf20, iperf20Params);
    expect(r.toolVersion).toBe("2.0.13");
    expect(r.metrics).toHaveLength(1);
    expect(metric(r, "throughput", { direction: "forward", side: "sender" }).value).toBe(939);
    // One stream: its own line is the total.
    const one = iperf20.replace(/^\[ {2}4\].*\n/gm, "").replace(/^\[SUM\].*\n/m, "");
    expect(parseIperf(one, { ...iperf20Params, parallel: 1 }).metrics[0].value).toBe(470);
  });

  it("takes each stream's final report when -i interval lines come first", () => {
    // CONSTRUCTED from the recorded single-stream run, with interval lines added.
    const name = "iperf-2.1.8-bookworm-loopback.txt";
    const raw = fixture(name).replace(
      "[  1] 0.0000-3.0148 sec",
      "[  1] 0.0000-1.0000 sec  3500 MBytes  29360 Mbits/sec\n" +
        "[  1] 1.0000-2.0000 sec  3600 MBytes  30199 Mbits/sec\n" +
        "[  1] 0.0000-3.0148 sec",
    );
    expect(parseIperf(raw, fixtures[name]).metrics[0].value).toBe(29827);
  });
});

describe("parseIperf rejects what iperf.sh does not print on success", () => {
  const name = "iperf-2.1.8-bookworm-loopback-parallel-2.txt";
  const raw = fixture(name);
  const p = fixtures[name];
  const reject = (text: string, message: RegExp, q = p) => {
    expect(() => parseIperf(text, q)).toThrow(ParseError);
    expect(() => parseIperf(text, q)).toThrow(message);
  };

  // Found by the fuzzer (minimized): the final report lines of the two runs swapped.
  it("rejects a report line of the other direction's run", () => {
    const one = fixture("iperf-2.1.8-bookworm-loopback.txt");
    const q = fixtures["iperf-2.1.8-bookworm-loopback.txt"];
    const fwd = one.match(/^\[ {2}1\] 0\.0000-.*$/m)![0];
    const rev = one.match(/^\[ \*1\] 0\.0000-.*$/m)![0];
    const swapped = one.replace(fwd, "\u0000").replace(rev, fwd).replace("\u0000", rev);
    reject(swapped, /forward: .* is marked as a reverse stream/, q);
    const sums = [...raw.matchAll(/^\[SUM\] .*$/gm)].map((m) => m[0]);
    const sumsSwapped = raw
      .replace(sums[0], "\u0000")
      .replace(sums[1], sums[0])
      .replace("\u0000", sums[1]);
    reject(sumsSwapped, /forward: \[SUM\] 44149 Mbits\/sec, the streams add up to 37636/);
  });

  it("rejects empty and truncated output", () => {
    reject("", /missing section\(s\) version, forward, reverse, end/);
    reject(raw.slice(0, raw.indexOf("@@@ reverse")), /missing section\(s\) reverse, end/);
    reject(raw.slice(0, raw.indexOf("[SUM] 0.0000-3.0025")), /missing section\(s\) end/);
  });

  it("rejects a run that could not connect (recorded: iperf exits 0 all the same)", () => {
    const refused = fixture("iperf-2.1.8-bookworm-connection-refused.txt");
    reject(refused, /forward: final reports of 0 stream\(s\), expected 1/, params({ port: 15999 }));
  });

  it("rejects garbled or cut report lines", () => {
    reject(raw.replace("37732 Mbits/sec", "377x2 Mbits/sec"), /forward: cannot read/);
    reject(raw.replace("37732 Mbits/sec", "37732 Gbits/sec"), /forward: cannot read/);
    reject(raw.replace("44149 Mbits/sec", "44149"), /reverse: cannot read/);
    reject(raw.replace("0.0000-3.0025 sec", "0.0000-sec"), /reverse: cannot read/);
  });

  it("rejects a missing stream or a missing [SUM] line", () => {
    reject(raw.replace(/^\[ {2}2\] 0\.0000-3\.0119.*\n/m, ""), /forward: final reports of 1/);
    reject(raw.replace(/^\[SUM\] 0\.0000-3\.0033.*\n/m, ""), /forward: no \[SUM\] line/);
  });

  it("rejects output for other parameters", () => {
    reject(raw, /forward: 2 connection\(s\), expected 3/, { ...p, parallel: 3 });
    reject(raw, /connected to 127\.0\.0\.1 port 15001, expected 127\.0\.0\.2 port 15001/, {
      ...p,
      server: "127.0.0.2",
    });
    reject(raw, /sections .* expected \["version","forward","end"\]/, {
      ...p,
      direction: "forward",
    });
    reject(
      raw.replace(/(port 15001) \(reverse\)/g, "$1"),
      /reverse: 0 of 2 connection\(s\) marked \(reverse\)/,
    );
  });

  it("rejects a version line that is not iperf 2's", () => {
    reject(raw.replace(/^iperf version 2\.1\.8.*$/m, "iperf 3.12"), /version: expected/);
  });
});

fuzzParser({
  benchmark: "iperf",
  parse: parseIperf,
  fixtures: [
    ...Object.entries(fixtures).map(([name, params]) => ({ name, raw: fixture(name), params })),
    { name: "constructed iperf 2.0.x", raw: iperf20, params: iperf20Params },
  ],
});

// iperf 2's own client report, as a run by hand prints it: one direction of a fixture.
const sectionOf = (raw: string, name: string) => {
  const from = raw.indexOf(`@@@ ${name}\n`) + `@@@ ${name}\n`.length;
  return raw.slice(from, raw.indexOf("\n@@@ ", from) + 1);
};
const ownReports = [
  ...Object.keys(fixtures).flatMap((name) =>
    (["forward", "reverse"] as const).map((d) => ({
      name: `${name} ${d}`,
      raw: sectionOf(fixture(name), d),
      params: undefined,
    })),
  ),
  {
    name: "constructed iperf 2.0.x forward",
    raw: sectionOf(iperf20, "forward"),
    params: undefined,
  },
];

describe("iperf 2's own client report", () => {
  it("reads one direction, the run it describes, and its version line from its format", () => {
    const name = "iperf-2.1.8-bookworm-loopback-parallel-2.txt";
    for (const d of ["forward", "reverse"] as const) {
      const { result, ran } = parseIperfPlain(sectionOf(fixture(name), d));
      expect(ran).toEqual({
        server: "127.0.0.1",
        port: 15001,
        parallel: 2,
        direction: d,
        version: "2.1.x (from its report's format)",
        window: "16.0 KByte (default)",
        seconds: 3,
      });
      const framed = parseIperf(fixture(name), fixtures[name]).metrics;
      expect(result.metrics).toEqual(framed.filter((m) => m.labels.direction === d));
    }
    expect(parseIperfPlain(sectionOf(iperf20, "forward")).ran.version).toBe(
      "2.0.x (from its report's format)",
    );
  });

  it("asks for -f m when the rates are in other units, and refuses two runs in a file", () => {
    const one = sectionOf(fixture("iperf-2.1.8-bookworm-loopback.txt"), "forward");
    const gbits = one.replace(/(\d+) Mbits\/sec/, "29.8 Gbits/sec");
    expect(() => parseIperfPlain(gbits)).toThrow(/run iperf with -f m/);
    expect(() => parseIperfPlain(one + one)).toThrow(/2 "Client connecting to" lines/);
  });
});

fuzzParser({
  benchmark: "iperf",
  name: "iperf (its own client report)",
  parse: (raw: string) => parseIperfPlain(raw).result,
  fixtures: ownReports,
});

describe("iperf module", () => {
  it("has defaults, a quick profile and an environment for both scripts", () => {
    expect(iperf.id).toBe("iperf");
    expect(iperf.packages).toEqual(["iperf"]);
    expect(params()).toEqual({
      duration: 10,
      parallel: 1,
      server: "127.0.0.1",
      port: 5001,
      direction: "both",
    });
    const quick = iperfParameters.parse(iperf.quick);
    expect(quick.duration).toBe(3);
    expect(iperf.environment(quick)).toEqual({
      VTB_IPERF_TOOL: "iperf",
      VTB_IPERF_SERVER: "127.0.0.1",
      VTB_IPERF_PORT: "5001",
      VTB_IPERF_DURATION: "3",
      VTB_IPERF_PARALLEL: "1",
      VTB_IPERF_DIRECTIONS: "forward reverse",
    });
    expect(iperf.environment(params({ direction: "reverse" })).VTB_IPERF_DIRECTIONS).toBe(
      "reverse",
    );
    expect(serverScript).toContain("setsid nohup");
  });

  it("has its server script refuse a tool, address or port it cannot take, naming it", () => {
    const start = (env: Record<string, string>) =>
      spawnSync("bash", ["-c", serverScript], {
        env: { ...process.env, VTB_IPERF_TOOL: "iperf", ...env },
        encoding: "utf8",
      });
    for (const [env, said] of [
      [{ VTB_IPERF_SERVER: "localhost", VTB_IPERF_PORT: "5001" }, "bad address: localhost"],
      [{ VTB_IPERF_SERVER: "127.0.0.1", VTB_IPERF_PORT: "0" }, "bad port: 0"],
      [
        { VTB_IPERF_SERVER: "127.0.0.1", VTB_IPERF_PORT: "5001", VTB_IPERF_TOOL: "nc" },
        "bad tool: nc",
      ],
    ] as const) {
      const r = start(env);
      expect({
        status: r.status,
        stderr: r.stderr.trim().split("\n").pop(),
        stdout: r.stdout,
      }).toEqual({
        status: 2,
        stderr: `iperf-server: ${said}`,
        stdout: "",
      });
    }
  });

  it("takes an IPv4 address and nothing else as the server", () => {
    for (const good of ["127.0.0.1", "10.0.0.2", "192.168.122.1"]) {
      expect(iperfParameters.safeParse({ server: good }).success).toBe(true);
    }
    for (const bad of [
      "localhost",
      "127.0.0.256",
      "127.0.0",
      "0.0.0.0",
      "::1",
      "127.0.0.1; reboot",
      "$(id)",
      "",
    ]) {
      expect(iperfParameters.safeParse({ server: bad }).success).toBe(false);
    }
    expect(iperfParameters.safeParse({ port: 0 }).success).toBe(false);
    expect(iperfParameters.safeParse({ port: 65536 }).success).toBe(false);
    expect(iperfParameters.safeParse({ duration: 0 }).success).toBe(false);
    expect(iperfParameters.safeParse({ parallel: 1.5 }).success).toBe(false);
    expect(iperfParameters.safeParse({ direction: "sideways" }).success).toBe(false);
    expect(iperfParameters.safeParse({ time: 10 }).success).toBe(false);
    expect(() => iperf.environment({ ...params(), server: "a b" })).toThrow();
  });

  it("runs the client once per direction, the reverse one with -R", () => {
    // A stand-in iperf that prints its arguments, so the script's calls can be checked.
    const bin = scratchDir("vtb-iperf-");
    try {
      fs.writeFileSync(path.join(bin, "iperf"), '#!/bin/sh\necho "iperf $*"\n', { mode: 0o755 });
      const out = execFileSync("bash", ["-c", iperf.script], {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          ...iperf.environment(params({ duration: 7, parallel: 4, port: 5002 })),
        },
        encoding: "utf8",
      });
      expect(out).toBe(
        [
          "@@@ version",
          "iperf --version",
          "@@@ forward",
          "iperf -c 127.0.0.1 -p 5002 -t 7 -P 4 -f m",
          "@@@ reverse",
          "iperf -c 127.0.0.1 -p 5002 -t 7 -P 4 -f m -R",
          "@@@ end",
          "",
        ].join("\n"),
      );
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  // The script used to keep its PID file and log at fixed names under /tmp, and
  // to print the PID it found in that file again when that process listened.
  const oldPidfile = (port: number) => `/tmp/vtb-iperf3-server-127.0.0.1-${port}.pid`;
  const startServer = (port: number) =>
    spawnSync("bash", ["-c", serverScript], {
      env: {
        ...process.env,
        VTB_IPERF_TOOL: "iperf3",
        VTB_IPERF_SERVER: "127.0.0.1",
        VTB_IPERF_PORT: String(port),
      },
      encoding: "utf8",
    });
  // Something listens on 127.0.0.1:PORT (read as listen.sh does, without connecting).
  const listens = (port: number) =>
    fs
      .readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .some((l) => {
        const f = l.trim().split(/\s+/);
        return (
          f[1] === `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}` && f[3] === "0A"
        );
      });
  const until = async (done: () => boolean) => {
    for (let i = 0; i < 50 && !done(); i++) await new Promise((r) => setTimeout(r, 100));
  };

  it("never takes another user's server for its own through a PID file", async () => {
    const port = await freePort();
    const pidfile = oldPidfile(port);
    // Another local user runs an iperf3 server on the port and writes its PID where
    // the script looked for the one it started earlier.
    const theirs = nobodyInBackground(
      'echo $$ >"$1"; exec iperf3 -s -B 127.0.0.1 -p "$2"',
      pidfile,
      String(port),
    );
    try {
      await until(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, "utf8") !== "");
      const theirPid = fs.readFileSync(pidfile, "utf8").trim();
      await until(() => listens(port));
      expect(listens(port)).toBe(true);
      const r = startServer(port);
      // Refused, naming why; not "started", with their PID for the orchestration to kill.
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        status: 1,
        stdout: "",
        stderr: `iperf-server: something else already listens on 127.0.0.1:${port}\n`,
      });
      expect(fs.readFileSync(pidfile, "utf8").trim()).toBe(theirPid);
      expect(fs.existsSync(`/proc/${theirPid}`)).toBe(true);
    } finally {
      theirs.stop();
      fs.rmSync(pidfile, { force: true });
    }
  }, 30_000);

  it("keeps its log in a directory of its own, and does not follow a symlink planted at the old name", async () => {
    const port = await freePort();
    const pidfile = oldPidfile(port);
    const log = pidfile.replace(/\.pid$/, ".log");
    const safe = rootOnlyDir("vtb-iperf-test-");
    const victim = path.join(safe, "victim");
    fs.writeFileSync(victim, "root's own file\n");
    // Another local user points the old log name at a file of root's, and leaves a
    // PID file naming a process that is not an iperf server.
    asNobody('ln -s "$1" "$2" && echo 1 >"$3"', victim, log, pidfile);
    let pid = "";
    try {
      const r = startServer(port);
      pid = r.stdout.trim();
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
      expect(pid).toMatch(/^\d+$/);
      expect(fs.readFileSync(victim, "utf8")).toBe("root's own file\n");
      // The planted files are as they were: neither used nor removed.
      expect(fs.readlinkSync(log)).toBe(victim);
      expect(fs.readFileSync(pidfile, "utf8")).toBe("1\n");
      // The server's output goes into a directory root alone can write to.
      const server = execFileSync("pgrep", ["-P", pid], { encoding: "utf8" }).trim();
      expect(fs.readFileSync(`/proc/${server}/comm`, "utf8")).toBe("iperf3\n");
      const out = fs.readlinkSync(`/proc/${server}/fd/1`);
      const run = path.dirname(out);
      expect(out).toBe(path.join(run, "log"));
      expect(path.dirname(run)).toBe(os.tmpdir());
      const st = fs.statSync(run);
      expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: 0, mode: 0o700 });
      // A second start on that port (another stack) is refused, not handed this server.
      const again = startServer(port);
      expect({ status: again.status, stdout: again.stdout }).toEqual({ status: 1, stdout: "" });
      // `kill PID` stops the server and removes its directory.
      process.kill(Number(pid));
      pid = "";
      await until(() => !fs.existsSync(run));
      expect(fs.existsSync(run)).toBe(false);
      expect(fs.existsSync(`/proc/${server}`)).toBe(false);
    } finally {
      if (pid) process.kill(Number(pid));
      fs.rmSync(log, { force: true });
      fs.rmSync(pidfile, { force: true });
      fs.rmSync(safe, { recursive: true, force: true });
    }
  }, 30_000);
});
