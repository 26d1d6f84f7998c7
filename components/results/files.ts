/**
 * A run folder's files (results/<stack>/<run id>/), as text: results.json in
 * the results schema (./schema.ts), each trial's raw output with the
 * parameters it ran with, and the run id that names the folder. Pure: the
 * ResultsArchive resource (./archive.ts) writes what these return.
 */
import * as crypto from "crypto";
import { TargetName, targetKey } from "../measure/target-name";
import type { ArchivedResults } from "./schema";

/** Shows [secret] where a value set as secret would be, in every string and key (components/secrets.ts redactor(...).deep). */
export type Redact = <T>(value: T) => T;

/** results.json's document, its keys in the order the program has always written them. */
export function resultsDocument(d: ArchivedResults): ArchivedResults {
  const { stack, server, config, testbed, targets, results, comparison, aggregates } = d;
  return { stack, server, config, testbed, targets, results, comparison, aggregates };
}

/** One benchmark's run on one target, as its raw files need it. */
export interface RawRun {
  target: TargetName;
  benchmark: string;
  params: unknown;
  trials: { index: number; raw: string; stderr?: string }[];
}

/**
 * raw/<target>/<benchmark>/trial-<n>.txt: each trial's output exactly as the
 * tool printed it, so `npm run parse` reads it back, the tail of what it wrote
 * on stderr when it wrote any (trial-<n>.stderr.txt), and the parameters the
 * trials ran with beside them (parameters.json).
 */
export function rawFiles(runs: readonly RawRun[]): Record<string, string> {
  return Object.fromEntries(
    runs.flatMap(({ target, benchmark, params, trials }) => {
      const dir = `raw/${targetKey(target)}/${benchmark}`;
      return [
        ...trials.flatMap((t) => [
          [`${dir}/trial-${t.index}.txt`, t.raw] as const,
          ...(t.stderr ? [[`${dir}/trial-${t.index}.stderr.txt`, t.stderr] as const] : []),
        ]),
        [`${dir}/parameters.json`, JSON.stringify(params, null, 2) + "\n"] as const,
      ];
    }),
  );
}

/** Every file of the run folder, secrets shown as [secret]: results.json, then the raw files. */
export function archiveFiles(
  doc: ArchivedResults,
  raw: Record<string, string>,
  hidden: Redact,
): Record<string, string> {
  return {
    "results.json": JSON.stringify(hidden(resultsDocument(doc)), null, 2) + "\n",
    ...hidden(raw),
  };
}

/** When the newest run started: the latest of their start times ("" when there is none). */
export const newestStart = (startedAt: readonly string[]): string =>
  [...startedAt].sort().pop() ?? "";

/**
 * e.g. 2026-11-21T22-40-03Z-1a2b3c4d: when the newest run started, the server
 * when the stack has several (one folder per server and run), and the files'
 * digest, so the same files make the same folder.
 */
export function runId(files: Record<string, string>, started: string, server?: string): string {
  const digest = crypto
    .createHash("sha256")
    .update(JSON.stringify(files))
    .digest("hex")
    .slice(0, 8);
  const who = server !== undefined ? `-${server}` : "";
  return `${started.replace(/[:.]/g, "-")}${who}-${digest}`;
}
