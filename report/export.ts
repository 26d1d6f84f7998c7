/**
 * A run's trials for other tools: JSON lines (one sample per line) and CSV,
 * written next to the report as samples.jsonl and samples.csv.
 */
import { stringify } from "csv-stringify/sync";
import type { Run } from "./load";
import { targets } from "./tables";

export interface Sample {
  server: string;
  platform: string;
  guest: string;
  benchmark: string;
  /** The metric's name without its labels, e.g. "throughput". */
  metric: string;
  labels: Record<string, string>;
  /** The trial's index as the run numbered it (1, 2, ...). */
  trial: number;
  value: number;
  unit: string;
  direction: "higher" | "lower";
  toolVersion: string;
  runId: string;
  stack: string;
}

export const sampleFields: (keyof Sample)[] = [
  "server",
  "platform",
  "guest",
  "benchmark",
  "metric",
  "labels",
  "trial",
  "value",
  "unit",
  "direction",
  "toolVersion",
  "runId",
  "stack",
];

/** Every trial value of every metric. A metric's values belong to the trials that parsed, in order. */
export function samples(run: Run): Sample[] {
  const out: Sample[] = [];
  for (const t of targets(run.results)) {
    for (const [benchmark, o] of Object.entries(run.results[t.server][t.platform][t.guest])) {
      const parsed = o.trials.filter((x) => !x.error).map((x) => x.index);
      for (const [key, m] of Object.entries(o.metrics)) {
        // A metric missing from some parsed trial cannot be placed; number its values in order then.
        const indices = parsed.length === m.trials.length ? parsed : m.trials.map((_, i) => i + 1);
        m.trials.forEach((value, i) =>
          out.push({
            ...t,
            benchmark,
            metric: key.replace(/\[.*$/, ""),
            labels: m.labels,
            trial: indices[i],
            value,
            unit: m.unit,
            direction: m.direction,
            toolVersion: o.toolVersion,
            runId: run.runId,
            stack: run.stack,
          }),
        );
      }
    }
  }
  return out;
}

export function toJsonLines(ss: Sample[]): string {
  // Fields in a fixed order (a replacer list would also filter the labels' own keys).
  const line = (s: Sample) =>
    JSON.stringify(Object.fromEntries(sampleFields.map((f) => [f, s[f]])));
  return ss.map(line).join("\n") + (ss.length ? "\n" : "");
}

/** CSV with a header row; labels as a JSON object in one column. */
export function toCsv(ss: Sample[]): string {
  return stringify(
    ss.map((s) => sampleFields.map((f) => (f === "labels" ? JSON.stringify(s.labels) : s[f]))),
    { header: true, columns: sampleFields as string[] },
  );
}

/** samples.jsonl and samples.csv by name, for report/write.ts to write. */
export function exportFiles(run: Run): Record<"samples.jsonl" | "samples.csv", string> {
  const ss = samples(run);
  return { "samples.jsonl": toJsonLines(ss), "samples.csv": toCsv(ss) };
}
