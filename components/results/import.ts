/**
 * Results run by hand, brought in as a run (`npm run import`): a folder of
 * the tools' own outputs and a manifest saying which server, platform, guest
 * and benchmark each file is. Each file is read by its benchmark's own parser
 * (the tool's plain output, or the project's framed output with its
 * parameters), and the run is summarized, compared with bare metal and
 * archived exactly as a run of the program is (./summarize.ts, ./files.ts),
 * so the report and the run comparison read it like any other. Pure: the
 * files come from `read`, the folder is written by scripts/import.ts.
 */
import * as crypto from "crypto";
import { z } from "zod";
import { benchmarks } from "../../benchmarks";
import type { BenchmarkResult, Metric } from "../../benchmarks/types";
import { name } from "../config-fields";
import { platformTypes } from "../platforms/schemas";
import { profiles } from "../server/profiles";
import { targetKey, TargetName } from "../measure/target-name";
import type { Trial } from "../measure/trials";
import { issueLines, keyPath, protoKeyPaths } from "../../report/input";
import { archiveFiles, runId } from "./files";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  ConcurrentGroup,
  metricKey,
  RunRecord,
} from "./summarize";
import type { TestbedServer } from "./schema";

const benchmarkIds = Object.keys(benchmarks) as [string, ...string[]];

/** A file of the folder: a relative path that stays inside it (checked again on the disk by the reader). */
const relPath = z
  .string()
  .min(1)
  .max(1024)
  .refine((p) => !p.startsWith("/") && !p.split("/").includes(".."), {
    error: "a path inside the folder, relative to it (no leading /, no ..)",
  })
  .refine((p) => !/\p{Cc}/u.test(p), { error: "a path without control characters" });

const targetRef = z
  .string()
  .regex(
    new RegExp(`^[a-z][a-z0-9-]{0,30}/(${platformTypes.join("|")})/[a-z][a-z0-9-]{0,30}$`),
    `<server>/<platform>/<guest>, the platform one of ${platformTypes.join(", ")} (bare metal: <server>/baseline/host)`,
  )
  // Results are keyed by these names: one every object inherits would find the wrong thing.
  .refine((r) => !r.split("/").includes("constructor"), {
    error: "a name other than constructor",
  });

/** Text kept with the run and shown by the report: no control characters but newlines and tabs. */
const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((v) => !/[^\P{Cc}\n\t]/u.test(v), {
      error: "text without control characters (but newlines and tabs)",
    });

const scalar = z.union([text(1000), z.number()]);

const runSchema = z
  .object({
    target: targetRef,
    benchmark: z.enum(benchmarkIds, { error: `one of ${benchmarkIds.join(", ")}` }),
    /** Each trial: its file, or its files (e.g. iperf3's two directions, one algorithm per openssl run). */
    trials: z
      .array(z.union([relPath, z.array(relPath).min(1).max(64)]))
      .min(1)
      .max(1000),
    /** Only for the project's framed output (archived raw outputs): the parameters it ran with. */
    parameters: z.record(z.string(), z.unknown()).optional(),
    /** A Xen guest's mode: the papers' figures are per mode. */
    mode: z.enum(["para", "hvm"]).optional(),
    /** What is known of the target (its spec, its kernel): kept with the run. */
    info: z.record(z.string(), scalar).optional(),
  })
  .strict();

/** The manifest (manifest.yaml in the folder). */
export const manifestSchema = z
  .object({
    /** Where the run goes: results/<stack>/<run id>/. */
    stack: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, "letters, digits, '.', '_' and '-'")
      .default("imported"),
    /** When the runs were made (a date, or a date and time with its zone): it begins the run id. */
    measured: z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
      error: "a date (2009-05-14) or a date and time with its zone (2009-05-14T10:00:00Z)",
    }),
    /** Who ran them, where, how: kept with the run and shown by the report. */
    source: text(4000).min(1),
    /** What is known of each server: its hardware profile, facts (kernel, CPU, ...). */
    servers: z
      .record(
        name,
        z
          .object({
            profile: z
              .enum(Object.keys(profiles) as [string, ...string[]], {
                error: `one of ${Object.keys(profiles).join(", ")}`,
              })
              .optional(),
            facts: z.record(z.string(), scalar).optional(),
          })
          .strict(),
      )
      .optional(),
    runs: z.array(runSchema).min(1),
    /** Guests of one platform that ran a benchmark at the same time, summed as one (the 2009 paper's 8 VMs). */
    concurrent: z
      .array(
        z
          .object({
            benchmark: z.enum(benchmarkIds),
            targets: z.array(targetRef).min(2),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();
export type Manifest = z.infer<typeof manifestSchema>;

const split = (ref: string): TargetName => {
  const [server, platform, guest] = ref.split("/");
  return { server, platform, guest };
};

/** What zod cannot say of one field: how the runs and groups fit together. */
function crossChecks(m: Manifest): string[] {
  const errors: string[] = [];
  const seen = new Map<string, number>();
  m.runs.forEach((r, i) => {
    const t = split(r.target);
    const at = `runs[${i}]`;
    if ((t.platform === "baseline") !== (t.guest === "host")) {
      errors.push(
        `${at}.target: ${r.target}: bare metal is <server>/baseline/host, and only bare metal is "host"`,
      );
    }
    if (r.mode !== undefined && t.platform !== "xen") {
      errors.push(`${at}.mode: only a Xen guest has a mode (para or hvm)`);
    }
    const key = `${r.target} ${r.benchmark}`;
    if (seen.has(key)) {
      errors.push(
        `${at}: ${r.target} ${r.benchmark} again (runs[${seen.get(key)}]): give all its trials in one run`,
      );
    } else seen.set(key, i);
    if (m.servers && !Object.hasOwn(m.servers, t.server)) {
      errors.push(`${at}.target: no server ${t.server} under servers`);
    }
    for (const k of ["name", "mode"]) {
      if (r.info && Object.hasOwn(r.info, k)) {
        errors.push(`${at}.info.${k}: set by ${k === "name" ? "target" : "mode"}, not info`);
      }
    }
  });
  // One guest name per server: results and the report know a guest by server and name.
  const platformOf = new Map<string, string>();
  for (const r of m.runs) {
    const t = split(r.target);
    if (t.platform === "baseline") continue;
    const other = platformOf.get(`${t.server}/${t.guest}`);
    if (other !== undefined && other !== t.platform) {
      errors.push(
        `runs: guest ${t.guest} on ${t.server}'s ${other} and ${t.platform}: one guest name per server`,
      );
    }
    platformOf.set(`${t.server}/${t.guest}`, t.platform);
  }
  // A file is one trial of one run: given twice, one measurement would count as several.
  const given = new Map<string, string>();
  m.runs.forEach((r, i) =>
    r.trials.forEach((entry, j) => {
      for (const f of typeof entry === "string" ? [entry] : entry) {
        const where = `runs[${i}] trial ${j + 1}`;
        const before = given.get(f);
        if (before !== undefined) {
          errors.push(`${where}: ${f} is given already (${before}): a file is one trial`);
        } else given.set(f, where);
      }
    }),
  );
  const grouped = new Map<string, number>();
  const inGroup = new Map<string, number>();
  m.concurrent?.forEach((g, i) => {
    const at = `concurrent[${i}]`;
    const ts = g.targets.map(split);
    if (new Set(ts.map((t) => `${t.server}/${t.platform}`)).size !== 1) {
      errors.push(`${at}.targets: guests of one server's platform, not ${g.targets.join(", ")}`);
    }
    if (ts.some((t) => t.platform === "baseline")) {
      errors.push(`${at}.targets: guests only: bare metal is what they are compared with`);
    }
    if (new Set(g.targets).size !== g.targets.length) {
      errors.push(`${at}.targets: a guest named twice`);
    }
    for (const ref of g.targets) {
      if (!seen.has(`${ref} ${g.benchmark}`)) {
        errors.push(`${at}.targets: ${ref} has no run of ${g.benchmark} in runs`);
      }
      const other = inGroup.get(`${ref} ${g.benchmark}`);
      if (other !== undefined && other !== i) {
        errors.push(`${at}.targets: ${ref} is in concurrent[${other}] already, for ${g.benchmark}`);
      }
      inGroup.set(`${ref} ${g.benchmark}`, i);
    }
    const key = `${ts[0].server}/${ts[0].platform} ${g.benchmark}`;
    const twice = grouped.get(key);
    if (twice !== undefined) {
      errors.push(
        `${at}: a second group of ${key} (concurrent[${twice}]): one group per platform and benchmark`,
      );
    } else grouped.set(key, i);
    // Summed trial by trial: trial n of each guest ran at the same time as trial n of the others.
    const members = g.targets.map((ref) =>
      m.runs.find((r) => r.target === ref && r.benchmark === g.benchmark),
    );
    const counts = new Set(members.flatMap((r) => (r ? [r.trials.length] : [])));
    if (counts.size > 1) {
      errors.push(
        `${at}: its guests have ${[...counts].join(" and ")} trials: guests at once have as many, trial n of each run together`,
      );
    }
    const modes = new Set(members.map((r) => r?.mode));
    if (modes.size > 1) errors.push(`${at}: Xen guests of different modes: a group is of one mode`);
  });
  return errors;
}

/** The manifest checked, every problem said at once with its field. */
export function readManifest(json: unknown, where: string): Manifest {
  // zod would drop such keys without a word, and the report refuses a run that has them.
  const proto = protoKeyPaths(json);
  if (proto.length > 0) {
    throw new Error(
      `${where}: not an import manifest:\n  ${keyPath(proto[0])}: a key named __proto__`,
    );
  }
  const r = manifestSchema.safeParse(json);
  if (!r.success) {
    const lines = issueLines(r.error.issues, 50).map((l) => `  ${l}`);
    throw new Error(`${where}: not an import manifest:\n${lines.join("\n")}`);
  }
  const errors = crossChecks(r.data);
  if (errors.length > 0) {
    throw new Error(`${where}: not an import manifest:\n${errors.map((e) => `  ${e}`).join("\n")}`);
  }
  return r.data;
}

/** One file read: its figures, and how the output says it was run. */
interface ReadFile {
  file: string;
  result: BenchmarkResult;
  /** The tool's own output: how it ran. Framed output: the parameters given. */
  ran: unknown;
  framed: boolean;
  warnings: string[];
}

function readOne(run: Manifest["runs"][number], file: string, raw: string): ReadFile {
  const m = benchmarks[run.benchmark];
  // The project's scripts frame what they print in "@@@ <section>" lines; a tool's own output has none.
  const framed = /^@@@ /m.test(raw);
  if (framed) {
    const p = m.parameters.safeParse(run.parameters ?? {});
    if (!p.success) {
      const lines = issueLines(p.error.issues).join("; ");
      throw new Error(`parameters: not parameters of ${run.benchmark}: ${lines}`);
    }
    return { file, result: m.parse(raw, p.data), ran: p.data, framed, warnings: [] };
  }
  if (!m.plain) {
    throw new Error(
      `${run.benchmark}'s own output is not read yet, only the project's framed output ` +
        `(a raw/.../trial-N.txt of an archived run, with its parameters under parameters)`,
    );
  }
  if (run.parameters !== undefined) {
    throw new Error(
      `the tool's own output says how it was run: parameters are for the project's framed output only`,
    );
  }
  const { result, ran, warnings = [] } = m.plain(raw);
  return { file, result, ran, framed, warnings };
}

/** A trial's files as one result: their metrics together, none given twice, one tool version. */
function merge(files: ReadFile[]): BenchmarkResult {
  const metrics: Metric[] = [];
  const from = new Map<string, string>();
  for (const f of files) {
    if (f.result.toolVersion !== files[0].result.toolVersion) {
      throw new Error(
        `${f.file} is of ${f.result.toolVersion}, ${files[0].file} of ${files[0].result.toolVersion}: one version per trial`,
      );
    }
    for (const metric of f.result.metrics) {
      const k = metricKey(metric);
      if (from.has(k)) {
        throw new Error(
          `${from.get(k)} and ${f.file} both give ${k}: one trial's files measure different things`,
        );
      }
      from.set(k, f.file);
      metrics.push(metric);
    }
  }
  return { ...files[0].result, metrics };
}

/** All the files of one import, at most: each is held in memory until the run is written. */
export const MAX_IMPORT_BYTES = 1024 * 2 ** 20;

/** Where a run was made, which differs between bare metal and a guest: left out when the two are compared. */
const whereKeys = new Set(["server", "port", "host", "machine"]);
const withoutWhere = (v: unknown): string =>
  canonical(
    (Array.isArray(v) ? v : [v]).map((x) =>
      x && typeof x === "object"
        ? Object.fromEntries(Object.entries(x).filter(([k]) => !whereKeys.has(k)))
        : x,
    ),
  );

/** One file's description as itself, several as a list. */
const single = (v: unknown): unknown => (Array.isArray(v) && v.length === 1 ? v[0] : v);

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );

/** A date as given; a date and time in UTC, as run ids of the program are (2009-05-14T10:00:00Z). */
const utc = (measured: string): string =>
  measured.includes("T") ? new Date(measured).toISOString().replace(/\.000Z$/, "Z") : measured;

/** The run folder: its servers, id and files (results.json, import.yaml, raw/...). */
export interface ImportedRun {
  servers: string[];
  runId: string;
  files: Record<string, string>;
}

export interface Imported {
  stack: string;
  run: ImportedRun;
  /** What the figures include that a reader would not assume, and what could not be compared. */
  warnings: string[];
}

/**
 * The manifest's runs, read and summarized into one run folder, of every
 * server the manifest names. `read` gives a file's text by its
 * path in the manifest; `manifestText` is kept in the run as import.yaml.
 * Every file that does not read is named with its run and trial, all at once.
 */
export function importRuns(
  manifest: Manifest,
  read: (file: string) => string,
  manifestText: string,
): Imported {
  const errors: string[] = [];
  const warnings: string[] = [];
  const records: RunRecord[] = [];
  const raw: { server: string; path: string; text: string }[] = [];
  let bytes = 0;
  const digests = new Map<string, string>();
  /** Per benchmark, the first target's description of how it ran, without where it ran. */
  const how = new Map<string, { at: string; ran: string }>();
  manifest.runs.forEach((run, i) => {
    const t = split(run.target);
    const at = `runs[${i}] (${run.target} ${run.benchmark})`;
    const dir = `raw/${targetKey(t)}/${run.benchmark}`;
    const trials: Trial[] = [];
    const described: { trial: number; ran: string; file: string; framed: boolean }[] = [];
    run.trials.forEach((entry, j) => {
      const files = typeof entry === "string" ? [entry] : entry;
      const read1: ReadFile[] = [];
      files.forEach((file, k) => {
        if (bytes > MAX_IMPORT_BYTES) return;
        let text: string;
        try {
          text = read(file);
        } catch (e) {
          errors.push(`${at} trial ${j + 1}: ${(e as Error).message}`);
          return;
        }
        bytes += text.length;
        if (bytes > MAX_IMPORT_BYTES) {
          errors.push(
            `${at} trial ${j + 1}, ${file}: the files pass ${MAX_IMPORT_BYTES / 2 ** 20} MiB in all: import them in parts`,
          );
          return;
        }
        const digest = crypto.createHash("sha256").update(text).digest("hex");
        const same = digests.get(digest);
        if (same !== undefined) {
          warnings.push(
            `${at} trial ${j + 1}, ${file}: the same bytes as ${same}: one measurement given twice?`,
          );
        } else digests.set(digest, file);
        const name = files.length === 1 ? `trial-${j + 1}.txt` : `trial-${j + 1}.${k + 1}.txt`;
        try {
          const r = readOne(run, file, text);
          read1.push(r);
          // Kept only once it reads: a file that does not is named, not held.
          raw.push({ server: t.server, path: `${dir}/${name}`, text });
          for (const w of r.warnings) warnings.push(`${at} trial ${j + 1}, ${file}: ${w}`);
        } catch (e) {
          errors.push(`${at} trial ${j + 1}, ${file}: ${(e as Error).message}`);
        }
      });
      if (read1.length !== files.length) return;
      if (read1.some((r) => r.framed !== read1[0].framed)) {
        errors.push(
          `${at} trial ${j + 1}: the project's framed output and a tool's own output mixed in one trial`,
        );
        return;
      }
      try {
        const result = merge(read1);
        trials.push({ index: j + 1, exitCode: 0, seconds: 0, raw: "", result });
        // A framed trial's parameters are the run's; a tool's own outputs each say how they ran.
        const ran = read1[0].framed ? read1[0].ran : read1.map((r) => r.ran);
        const sorted = Array.isArray(ran) ? ran.map(canonical).sort() : canonical(ran);
        described.push({
          trial: j + 1,
          ran: Array.isArray(sorted) ? `[${sorted.join(",")}]` : sorted,
          file: files.join(", "),
          framed: read1[0].framed,
        });
      } catch (e) {
        errors.push(`${at} trial ${j + 1}: ${(e as Error).message}`);
      }
    });
    // Trials of one run are the same run made again: the same tool, run the same way.
    for (const d of described.slice(1)) {
      if (d.ran !== described[0].ran) {
        errors.push(
          `${at} trial ${d.trial} (${d.file}) was run otherwise than trial ${described[0].trial}: ` +
            `${d.ran} against ${described[0].ran}; give runs made differently as runs of their own`,
        );
      }
    }
    const versions = new Set(trials.map((x) => x.result!.toolVersion));
    if (versions.size > 1) {
      errors.push(
        `${at}: trials of different tool versions (${[...versions].join(", ")}): one run per version`,
      );
    }
    // Bare metal and its guests ran the benchmark the same way (where aside): else % of bare metal is of two experiments.
    if (described.length > 0) {
      const ran = withoutWhere(JSON.parse(described[0].ran));
      const first = how.get(run.benchmark);
      if (first === undefined) how.set(run.benchmark, { at, ran });
      else if (first.ran !== ran) {
        errors.push(
          `${at} was run otherwise than ${first.at}: ${ran} against ${first.ran}; ` +
            "a guest is compared with bare metal only for the same run of the tool",
        );
      }
    }
    if (described.length > 0) {
      // Beside the files, as `npm run parse` reads them back: a framed output's parameters, or how a tool's own output says it ran.
      raw.push({
        server: t.server,
        path: `${dir}/${described[0].framed ? "parameters.json" : "ran.json"}`,
        text: JSON.stringify(single(JSON.parse(described[0].ran)), null, 2) + "\n",
      });
    }
    records.push({
      server: t.server,
      platform: t.platform,
      guest: t.guest,
      benchmark: run.benchmark,
      trials,
      asked: run.trials.length,
      stopped: `${run.trials.length} trial(s) run by hand, imported`,
      measured: { start: manifest.measured, how: "run by hand, imported (npm run import)" },
    });
  });
  if (errors.length > 0) {
    throw new Error(`the runs do not read:\n${errors.map((e) => `  ${e}`).join("\n")}`);
  }

  // One run folder for every server: results, comparisons and aggregates are keyed by server.
  const results = assemble(records);
  const comparison = compareToBaseline(results);
  const groups: ConcurrentGroup[] = (manifest.concurrent ?? []).map((g) => {
    const ts = g.targets.map(split);
    return {
      server: ts[0].server,
      platform: ts[0].platform,
      benchmark: g.benchmark,
      guests: ts.map((t) => t.guest),
    };
  });
  const aggregates = aggregateConcurrent(results, groups);
  for (const r of records) {
    const bare = records.some(
      (b) => b.server === r.server && b.platform === "baseline" && b.benchmark === r.benchmark,
    );
    if (r.platform !== "baseline" && !bare) {
      warnings.push(
        `${targetKey(r)} ${r.benchmark}: no ${r.server}/baseline/host run of ${r.benchmark}, so it is not compared with bare metal`,
      );
    }
  }
  const servers = [...new Set(records.map((r) => r.server))];
  const testbed = Object.fromEntries(
    servers.map((server): [string, TestbedServer] => {
      const known = manifest.servers?.[server];
      const platforms: Record<string, { guests: Record<string, unknown>[] }> = {};
      for (const r of manifest.runs) {
        const t = split(r.target);
        if (t.server !== server || t.platform === "baseline") continue;
        const guests = (platforms[t.platform] ??= { guests: [] }).guests;
        if (!guests.some((g) => g.name === t.guest)) {
          guests.push({ name: t.guest, ...(r.mode ? { mode: r.mode } : {}), ...(r.info ?? {}) });
        }
      }
      return [
        server,
        {
          ...(known?.profile ? { profile: known.profile } : {}),
          ...(known?.facts ? { facts: known.facts } : {}),
          platforms,
          imported: { measured: manifest.measured, source: manifest.source },
        },
      ];
    }),
  );
  const targets = Object.fromEntries(
    manifest.runs.map((r) => {
      const t = split(r.target);
      const facts = t.platform === "baseline" ? (manifest.servers?.[t.server]?.facts ?? {}) : {};
      return [r.target, { ...facts, ...(r.mode ? { mode: r.mode } : {}), ...(r.info ?? {}) }];
    }),
  );
  const files = archiveFiles(
    {
      stack: manifest.stack,
      // The server whose folder this is; an import of several has them all in one.
      server: servers.join(","),
      config: { imported: manifest },
      testbed,
      targets,
      results,
      comparison,
      aggregates,
    },
    Object.fromEntries(raw.map((f) => [f.path, f.text])),
    (v) => v,
  );
  files["import.yaml"] = manifestText;
  return {
    stack: manifest.stack,
    run: { servers, runId: runId(files, utc(manifest.measured)), files },
    warnings,
  };
}
