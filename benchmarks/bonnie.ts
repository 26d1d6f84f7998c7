import { z } from "zod";
import { script } from "../components/bash";
import { BenchmarkModule, BenchmarkResult, Metric, ParseError, num, validated } from "./types";

const ID = "bonnie";

export const bonnieParameters = z
  .object({
    /** Dataset size in MiB (-s); bonnie++ wants at least twice the RAM so the page cache cannot hold it. */
    sizeMiB: z
      .number()
      .int()
      .min(1)
      .max(16 * 1024 * 1024)
      .default(1024),
    /** RAM in MiB (-r), given explicitly: in a container bonnie++ would see the host's RAM. */
    ramMiB: z
      .number()
      .int()
      .min(1)
      .max(8 * 1024 * 1024)
      .default(512),
    /**
     * The file tests (-n): "number[:max-size[:min-size][:directories[:chunk-size]]]",
     * number in multiples of 1024 files; "0" skips them.
     */
    files: z
      .string()
      .regex(/^\d{1,6}(:\d{1,12}){0,4}$/, 'bonnie++ -n: e.g. "0", "16" or "16:4096:1024:8"')
      .default("0"),
    /**
     * A directory on the file system under test; the script makes and removes a run
     * directory inside it. It and every directory above it must be root's alone
     * (bonnie.sh refuses anything else, /tmp and /var/tmp included: another local user
     * could swap the run directory there for a symlink).
     */
    directory: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, "an absolute path of letters, digits, '.', '_', '-' and '/'")
      .refine((d) => !d.split("/").includes(".."), "no '..' in the path")
      .default("/var/lib/virt-testbed/bonnie"),
  })
  .strict()
  .refine((p) => p.sizeMiB >= 2 * p.ramMiB, {
    message: "sizeMiB must be at least twice ramMiB (bonnie++ refuses a smaller dataset)",
    path: ["sizeMiB"],
  });
export type BonnieParameters = z.infer<typeof bonnieParameters>;

type Kind = "rate" | "cpu" | "latency";
interface Column {
  index: number;
  metric: string;
  kind: Kind;
  /** For rates: the unit bonnie++ prints them in, as ours. */
  unit?: string;
}

/** The measured columns, in bonnie++'s order from the first rate; `first` is where they start. */
function measured(first: number): Column[] {
  const tests: [string, string][] = [
    ["sequential_output_per_char", "KiB/s"],
    ["sequential_output_block", "KiB/s"],
    ["sequential_output_rewrite", "KiB/s"],
    ["sequential_input_per_char", "KiB/s"],
    ["sequential_input_block", "KiB/s"],
    ["random_seeks", "seeks/s"],
  ];
  const fileTests: [string, string][] = [
    ["sequential_create", "files/s"],
    ["sequential_stat", "files/s"],
    ["sequential_delete", "files/s"],
    ["random_create", "files/s"],
    ["random_stat", "files/s"],
    ["random_delete", "files/s"],
  ];
  const cols: Column[] = [];
  tests.forEach(([m, unit], i) => {
    cols.push({ index: first + 2 * i, metric: m, kind: "rate", unit });
    cols.push({ index: first + 2 * i + 1, metric: `${m}_cpu`, kind: "cpu" });
  });
  // Then num_files, max_size, min_size, num_dirs, file_chunk_size: parameters, not results.
  const fileFirst = first + 12 + 5;
  fileTests.forEach(([m, unit], i) => {
    cols.push({ index: fileFirst + 2 * i, metric: m, kind: "rate", unit });
    cols.push({ index: fileFirst + 2 * i + 1, metric: `${m}_cpu`, kind: "cpu" });
  });
  const latencyFirst = fileFirst + 12;
  [...tests, ...fileTests].forEach(([m], i) => {
    cols.push({ index: latencyFirst + i, metric: `${m}_latency`, kind: "latency" });
  });
  return cols;
}

/**
 * One column layout per CSV format version (field 0), as bon_csv2txt(1) and
 * bonnie++'s BonTimer::PrintHeader describe them:
 *   1.96, 1.97 (bonnie++ 1.96 to 1.98): format_version, bonnie_version, name, concurrency,
 *     seed, file_size, io_chunk_size, then putc, putc_cpu ... seeks, seeks_cpu (7-18),
 *     num_files, max_size, min_size, num_dirs, file_chunk_size (19-23), seq_create,
 *     seq_create_cpu ... ran_del_cpu (24-35), and 12 latencies (36-47): 48 fields.
 *   1.98 (bonnie++ 2.x): the same with seeks and seek_proc_count after io_chunk_size
 *     (7-8), so everything after moves by two: 50 fields.
 */
const layouts: Record<string, { fields: number; columns: Column[] }> = {
  "1.96": { fields: 48, columns: measured(7) },
  "1.97": { fields: 48, columns: measured(7) },
  "1.98": { fields: 50, columns: measured(9) },
};

const latencyUnits: Record<string, number> = { us: 1, ms: 1000, s: 1000000 };

/** One field -> a metric, or undefined when bonnie++ did not run the test or it was too fast. */
function field(col: Column, text: string): Metric | undefined {
  // Empty: not run. "+++++" (rate) and "+++" (%CPU): done in under bonnie++'s minimum
  // time, so too fast to measure: no number at all rather than a made-up one.
  if (text === "" || /^\++$/.test(text)) return undefined;
  const what = `${col.metric} (field ${col.index})`;
  switch (col.kind) {
    case "rate":
      if (!/^\d+(\.\d)?$/.test(text))
        throw new ParseError(ID, `${what}: expected a rate, got ${JSON.stringify(text)}`);
      return {
        name: col.metric,
        value: num(ID, text, what),
        unit: col.unit!,
        direction: "higher",
        labels: {},
      };
    case "cpu":
      if (!/^\d+$/.test(text))
        throw new ParseError(ID, `${what}: expected a %CPU, got ${JSON.stringify(text)}`);
      return {
        name: col.metric,
        value: num(ID, text, what),
        unit: "%",
        direction: "lower",
        labels: {},
      };
    case "latency": {
      // bonnie++ prints whole numbers of us below 100ms, of ms below 100s, then of s.
      const m = /^(\d+)(us|ms|s)$/.exec(text);
      if (!m)
        throw new ParseError(
          ID,
          `${what}: expected a latency like 123us, 45ms or 2s, got ${JSON.stringify(text)}`,
        );
      return {
        name: col.metric,
        value: num(ID, m[1], what) * latencyUnits[m[2]],
        unit: "us",
        direction: "lower",
        labels: {},
      };
    }
  }
}

function sizeText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`;
}

/** Parses bonnie.sh output: "# " lines, then the one CSV line of `bonnie++ -q`. */
export function parseBonnie(raw: string, params?: BonnieParameters): BenchmarkResult {
  const lines = raw.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"));
  if (lines.length !== 1) {
    throw new ParseError(
      ID,
      `expected one CSV line, got ${lines.length}: output truncated or not from bonnie.sh`,
    );
  }
  const fields = lines[0].trimEnd().split(",");
  const format = fields[0];
  const layout = Object.prototype.hasOwnProperty.call(layouts, format)
    ? layouts[format]
    : undefined;
  if (!layout) {
    throw new ParseError(
      ID,
      `unknown CSV format version ${JSON.stringify(format)} (known: ${Object.keys(layouts).join(", ")})`,
    );
  }
  if (fields.length !== layout.fields) {
    throw new ParseError(
      ID,
      `CSV format ${format} has ${layout.fields} fields, got ${fields.length}: truncated, or a comma in the machine name`,
    );
  }
  // Field 5 is the dataset size as bonnie++ prints it: MiB, in G when a multiple of 1024.
  if (params !== undefined && fields[5] !== sizeText(params.sizeMiB)) {
    throw new ParseError(
      ID,
      `dataset size ${JSON.stringify(fields[5])}, expected ${sizeText(params.sizeMiB)}: output of another run`,
    );
  }
  const bonnieVersion = fields[1];
  if (!/^\d+\.\d+[a-z0-9.]*$/.test(bonnieVersion)) {
    throw new ParseError(
      ID,
      `expected a bonnie++ version in field 1, got ${JSON.stringify(bonnieVersion)}`,
    );
  }
  const metrics = layout.columns
    .map((col) => field(col, fields[col.index]))
    .filter((m): m is Metric => m !== undefined);
  return validated(ID, {
    benchmark: ID,
    toolVersion: `${bonnieVersion} (CSV ${format})`,
    metrics,
  });
}

/**
 * Parses bonnie++'s own output, as a run by hand prints it: its report ends
 * with the CSV line (`-q` prints that line alone). The run it describes (the
 * machine name and data-set size it printed) stands for the parameters.
 */
export function parseBonniePlain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  const csv = raw
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^\d+\.\d+[a-z0-9.]*,/.test(l));
  if (csv.length !== 1) {
    throw new ParseError(
      ID,
      `expected one bonnie++ CSV line (its report ends with one; -q prints it alone), got ${csv.length}`,
    );
  }
  const result = parseBonnie(csv[0]);
  const fields = csv[0].split(",");
  // The CSV's own record of how it ran: concurrency, data set and chunk size, seeks, files (-n).
  return {
    result,
    ran: {
      machine: fields[2],
      concurrency: fields[3],
      dataset: fields[5],
      chunk: fields[6],
      seeks: fields[7],
      seekProcesses: fields[8],
      files: fields.slice(21, 26).join(","),
    },
  };
}

export const bonnie: BenchmarkModule<typeof bonnieParameters> = {
  id: ID,
  description:
    "bonnie++: sequential per-character and block I/O, rewrite, random seeks and, when " +
    "asked for, file create/stat/delete rates, with %CPU and worst-case latency of each.",
  packages: ["bonnie++"],
  parameters: bonnieParameters,
  quick: { sizeMiB: 512, ramMiB: 256, files: "0" },
  script: script(__dirname, "safe-dir.sh") + script(__dirname, "bonnie.sh"),
  environment: (params) => {
    const p = bonnieParameters.parse(params);
    return {
      VTB_BONNIE_SIZE_MIB: String(p.sizeMiB),
      VTB_BONNIE_RAM_MIB: String(p.ramMiB),
      VTB_BONNIE_FILES: p.files,
      VTB_BONNIE_DIR: p.directory,
    };
  },
  parse: parseBonnie,
  plain: parseBonniePlain,
  mainMetrics: [
    "sequential_input_block",
    "sequential_output_block",
    "sequential_output_rewrite",
    "sequential_input_per_char",
    "sequential_output_per_char",
    "random_seeks",
  ],
};
