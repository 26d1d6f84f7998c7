import * as fs from "fs";
import * as path from "path";
import { iperf3Parameters } from "../../../benchmarks/iperf";
import { opensslSpeedParameters } from "../../../benchmarks/openssl-speed";
import { earlierStreams, Live, shortDuration } from "../../../components/measure/live";
import { markerLine, markers } from "../../../components/measure/protocol";
import { scratchDir } from "../../helpers/scratch";

const fixtureOf = (benchmark: string, name: string) =>
  fs.readFileSync(
    path.join(__dirname, "..", "..", "fixtures", "benchmarks", benchmark, name),
    "utf8",
  );
const fixture = fixtureOf("openssl-speed", "openssl-3.0-bookworm.txt");
const params = opensslSpeedParameters.parse({ seconds: 1 });
const progress = { benchmark: "openssl-speed", params, total: 3, counts: "trial" as const };
const trial = (i: number, rc: number, seconds: string, body = fixture) =>
  `${markerLine(markers.trial, i)}\n${body}${markerLine(markers.end, i, rc, seconds)}\n`;

/** Feeds text in pieces cut anywhere, a character's bytes included. */
function feed(live: Live, text: string, piece = 7) {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += piece) live.stdout(bytes.subarray(i, i + piece));
}

describe("a benchmark step's live side", () => {
  it("says the trial, the time left as last time, then this run's pace and the last figure", () => {
    const dir = path.join(scratchDir("vtb-live-"), "results", "s", "trials");
    const stream = { dir, name: "local-baseline-host-openssl-speed" };
    // The run before: trials of 10 s and 20 s.
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(
      path.join(dir, "local-baseline-host-openssl-speed.2026-01-01T00-00-00-000Z.log"),
      trial(1, 0, "10.000") + trial(2, 0, "20.000"),
    );
    const live = new Live(progress, stream, [], Date.now());
    expect(live.status).toBe("trial 1/3 · ~45s left (as last time)");

    feed(live, trial(1, 0, "12.500"));
    expect(live.status).toBe("trial 2/3 · ~25s left · last: throughput aes-128-cbc 1.09 GB/s");

    feed(live, trial(2, 1, "3.500", "openssl: no such cipher\n"));
    expect(live.status).toBe("trial 3/3 · ~8s left · last: trial 2 failed (exit 1)");
    live.close();
    expect(live.status).toBe("2 of 3 trials ran · last: trial 2 failed (exit 1)");

    const files = earlierStreams(stream);
    expect(files).toHaveLength(2);
    // The newest is this run's, holding what the step printed, as printed.
    expect(fs.readFileSync(files[0], "utf8")).toBe(
      trial(1, 0, "12.500") + trial(2, 1, "3.500", "openssl: no such cipher\n"),
    );
    expect(fs.statSync(files[0]).mode & 0o777).toBe(0o600);
  });

  it("keeps the stack's secrets out of the stream, a key's every line too, cut anywhere", () => {
    const dir = path.join(scratchDir("vtb-live-"), "results", "s", "trials");
    const key =
      "-----BEGIN KEY-----\nQUJDREVGR0hJSktMTU5PUA==\nUVJTVFVWV1hZWjAxMjM0NQ==\n-----END KEY-----";
    const live = new Live(undefined, { dir, name: "s" }, ["hunter2-password", key], Date.now());
    feed(live, "token hunter2-password here\n", 3);
    feed(live, "half a key: UVJTVFVWV1hZWjAxMjM0NQ==\nno newline at the end: hunter2-password", 5);
    live.close();
    const [file] = earlierStreams({ dir, name: "s" });
    const text = fs.readFileSync(file, "utf8");
    expect(text).not.toMatch(/hunter2|QUJD|UVJT/);
    expect(text).toBe("token [secret] here\nhalf a key: [secret]\nno newline at the end: [secret]");
  });

  it("writes through no link nor another's folder, and says so; the status goes on", () => {
    const base = scratchDir("vtb-live-");
    const elsewhere = scratchDir("vtb-live-elsewhere-");
    fs.mkdirSync(path.join(base, "results", "s"), { recursive: true, mode: 0o700 });
    fs.symlinkSync(elsewhere, path.join(base, "results", "s", "trials"));
    const errors = jest.spyOn(console, "error").mockImplementation(() => {});
    try {
      const stream = { dir: path.join(base, "results", "s", "trials"), name: "x" };
      const live = new Live(progress, stream, [], Date.now());
      feed(live, trial(1, 0, "2.000"));
      live.close();
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      expect(errors.mock.calls.join("\n")).toMatch(/x: its output is not streamed: .*not a folder/);
      expect(live.status).toBe("1 of 3 trials ran · last: throughput aes-128-cbc 1.09 GB/s");
    } finally {
      errors.mockRestore();
    }
  });

  it("hides the stack's secrets in the status too", () => {
    const live = new Live(progress, undefined, ["aes-128-cbc"], Date.now());
    feed(live, trial(1, 0, "2.000"));
    expect(live.status).toBe("trial 2/3 · ~4s left · last: throughput [secret] 1.09 GB/s");
    live.close();
  });

  it("counts an interleaved run's rounds, each figure with its target", () => {
    const units = ["local/baseline/host", "local/lxc/ct"].map((name) => ({ name, params }));
    const live = new Live(
      { ...progress, total: 4, counts: "round", units },
      undefined,
      [],
      Date.now(),
    );
    live.roundStarted(1);
    expect(live.status).toBe("round 1/4");
    const turn = (u: number) =>
      `${markerLine(markers.turn, 1, u, u, "-", "0.1", "performance", "2000", "6.1")}\n`;
    feed(live, turn(1) + trial(1, 0, "1.000"));
    expect(live.status).toBe("round 1/4 · last: local/lxc/ct throughput aes-128-cbc 1.09 GB/s");
    live.roundStarted(2);
    feed(live, turn(0) + trial(2, 0, "1.000"));
    expect(live.status).toMatch(
      /^round 2\/4 · ~\ds left · last: local\/baseline\/host throughput aes-128-cbc 1\.09 GB\/s$/,
    );
    feed(live, turn(0) + trial(2, 2, "1.000", ""));
    expect(live.status).toMatch(
      /^round 2\/4 · ~\ds left · last: local\/baseline\/host trial 2 failed \(exit 2\)$/,
    );
    live.close();
    expect(live.status).toBe(
      "2 of 4 rounds ran · last: local/baseline/host trial 2 failed (exit 2)",
    );
  });

  it("reads each unit's trials with that unit's parameters (a pair's own forwarded port)", () => {
    const iperf3Fixture = fixtureOf("iperf3", "iperf3-3.12-bookworm-loopback.txt");
    const run = iperf3Parameters.parse({ duration: 3 });
    const guest = iperf3Parameters.parse({ duration: 3, port: 15201 });
    const live = new Live(
      {
        benchmark: "iperf3",
        params: run,
        total: 3,
        counts: "round",
        units: [{ name: "local/kvm/vm", params: guest }],
      },
      undefined,
      [],
      Date.now(),
    );
    live.roundStarted(1);
    const turn = `${markerLine(markers.turn, 1, 0, 0, "-", "0.1", "performance", "2000", "6.1")}\n`;
    feed(live, turn + trial(1, 0, "7.000", iperf3Fixture));
    expect(live.status).toMatch(
      /^round 1\/3 · last: local\/kvm\/vm throughput forward receiver [\d.]+ Gbit\/s$/,
    );
    live.close();
  });

  it("says so when a trial's output does not parse, and gives no figure", () => {
    const live = new Live(progress, undefined, [], Date.now());
    feed(live, trial(1, 0, "2.000", "not openssl's output\n"));
    expect(live.status).toBe("trial 2/3 · ~4s left · last: trial 1: its output did not parse");
    live.close();
  });

  it("writes durations short", () => {
    expect([0, 45, 100, 3600 + 5 * 60 + 7].map(shortDuration)).toEqual([
      "0s",
      "45s",
      "1m40s",
      "1h05m",
    ]);
  });
});
