import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { z } from "zod";
import { BenchmarkModule, ParseError } from "../../../benchmarks/types";
import { roundsRun, targetTrials, turns } from "../../../components/measure/interleaved-output";
import { markerLine, markers } from "../../../components/measure/protocol";
import { busyBefore, busyRange, busyText } from "../../../components/results/summarize";

// An interleaved run's output read back, as interleave.sh prints it now and as
// runs archived before the server's fields and `busy` printed it.

const value: BenchmarkModule = {
  id: "value",
  description: "a number",
  packages: [],
  parameters: z.object({}),
  quick: {},
  script: "",
  environment: () => ({}),
  parse(raw) {
    const m = /^v ([\d.]+)$/m.exec(raw);
    if (!m) throw new ParseError("value", "no value");
    return {
      benchmark: "value",
      toolVersion: "1",
      metrics: [{ name: "v", value: +m[1], unit: "s", direction: "lower", labels: {} }],
    };
  },
};

const section = (t: number, round: number, v: number) =>
  [
    markerLine(markers.guest, t),
    markerLine(markers.trial, round),
    `v ${v}`,
    markerLine(markers.end, round, 0, "1.000"),
    markerLine(markers.guestEnd, t),
  ].join("\n");

/** Two rounds of one target (unit 0), with the fields each version printed. */
function output(now: boolean): string {
  const lines: string[] = [];
  for (const round of [1, 2]) {
    const server = now
      ? ["auto", round === 1 ? "-" : "retbleed,mds", "ext4:/dev/vda", "eth0:-"]
      : [];
    lines.push(markerLine(markers.round, round, "0", ...server));
    const turn = ["0", "0", "-", "0.12", "performance", "2400.000", "6.1.0-26-amd64", `t${round}`];
    lines.push(
      markerLine(
        markers.turn,
        round,
        ...turn,
        ...(now ? [round === 1 ? "0.04" : "0.93", round === 1 ? "0" : "10"] : []),
      ),
    );
    lines.push(section(0, round, round * 10));
  }
  return lines.join("\n") + "\n";
}

describe("an interleaved run's output", () => {
  it("gives each trial its turn's host and its round's server state", () => {
    const trials = targetTrials(value, output(true), 0, 0, {}, 2);
    expect(trials.map((t) => t.result?.metrics[0].value)).toEqual([10, 20]);
    expect(trials[0].context?.host).toEqual({
      load1: 0.12,
      busyCpus: 0.04,
      quietWaitSeconds: 0,
      governor: "performance",
      mhz: 2400,
      kernel: "6.1.0-26-amd64",
      mitigations: "auto",
      vulnerable: "-",
      fs: "ext4:/dev/vda",
      nic: "eth0:-",
    });
    expect(trials[1].context?.host).toMatchObject({
      vulnerable: "retbleed,mds",
      quietWaitSeconds: 10,
    });
    expect(roundsRun(output(true)).map((r) => r.order)).toEqual([[0], [0]]);
  });

  it("still reads runs archived before the server's fields and busy", () => {
    const trials = targetTrials(value, output(false), 0, 0, {}, 2);
    expect(trials.map((t) => t.result?.metrics[0].value)).toEqual([10, 20]);
    expect(trials[0].context?.host).toEqual({
      load1: 0.12,
      governor: "performance",
      mhz: 2400,
      kernel: "6.1.0-26-amd64",
    });
    expect(roundsRun(output(false))).toEqual([
      { round: 1, order: [0], server: {} },
      { round: 2, order: [0], server: {} },
    ]);
    expect(turns(output(false)).get(2)?.get(0)?.at).toBe("t2");
  });

  it("says which trials began on a host busy with other work", () => {
    const trials = targetTrials(value, output(true), 0, 0, {}, 2);
    expect(busyBefore(trials)).toEqual([{ index: 2, busyCpus: 0.93 }]);
    expect(busyText(trials)).toMatch(/not quiet before trial\(s\) 2 \(up to 0\.93 CPUs busy/);
    expect(busyText(targetTrials(value, output(false), 0, 0, {}, 2))).toBeUndefined();
    expect(busyRange(trials)).toMatch(/^0\.\d\d-0\.93 CPUs$/);
    expect(busyRange([{ index: 1 }])).toBeUndefined();
  });
});

describe("a turn waits for a quiet host (interleave.sh quiet_host)", () => {
  const script = fs.readFileSync(
    path.join(__dirname, "../../../components/measure/interleave.sh"),
    "utf8",
  );
  // The sampling and the wait, as the script defines them, run on their own.
  const functions = script.slice(
    script.indexOf("cpu_busy() {"),
    script.indexOf("# The server as it is now"),
  );
  const turns = (env: Record<string, string>) => {
    const r = spawnSync(
      "bash",
      [
        "--norc",
        "--noprofile",
        "-c",
        `set -u\n${functions}\nfor t in 1 2; do quiet_host; echo "$busy $waited"; done`,
      ],
      { env: { PATH: process.env.PATH, ...env }, encoding: "utf8", timeout: 30000 },
    );
    expect(r.stderr).toBe("");
    return r.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number));
  };

  it("starts at once on a host under the threshold", () => {
    for (const [busy, waited] of turns({ VTB_QUIET_BELOW: "1000", VTB_QUIET_WAIT: "5" })) {
      expect(busy).toBeGreaterThanOrEqual(0);
      expect(waited).toBe(0);
    }
  });

  it("waits its time on a host that stays busy, then the round's later turns do not", () => {
    // Nothing is under 0 CPUs: the host never gets quiet enough.
    const [[, first], [, second]] = turns({ VTB_QUIET_BELOW: "0", VTB_QUIET_WAIT: "2" });
    expect(first).toBeGreaterThanOrEqual(2);
    expect(first).toBeLessThanOrEqual(4);
    expect(second).toBe(0);
  });

  it("does not wait when the other guests run on purpose (background)", () => {
    const [[, waited]] = turns({ VTB_QUIET_BELOW: "0", VTB_QUIET_WAIT: "5", VTB_BACKGROUND: "1" });
    expect(waited).toBe(0);
  });
});
