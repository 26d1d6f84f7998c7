import { z } from "zod";
import { BenchmarkModule, ParseError } from "../../../benchmarks/types";
import { roundsRun, targetTrials, turns } from "../../../components/measure/interleaved-output";
import { markerLine, markers } from "../../../components/measure/protocol";
import { busyBefore, busyText } from "../../../components/results/summarize";

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
      markerLine(markers.turn, round, ...turn, ...(now ? [round === 1 ? "0.04" : "0.93"] : [])),
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
      governor: "performance",
      mhz: 2400,
      kernel: "6.1.0-26-amd64",
      mitigations: "auto",
      vulnerable: "-",
      fs: "ext4:/dev/vda",
      nic: "eth0:-",
    });
    expect(trials[1].context?.host.vulnerable).toBe("retbleed,mds");
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
  });
});
