import { z } from "zod";

/**
 * The contract every benchmark module meets (one file per benchmark id, like
 * PerfKitBenchmarker's benchmark modules or a Phoronix test profile):
 * what to install on a target, how to run it, and a pure parser from the
 * tool's raw output to a validated result with units and directions.
 */

/** The address a pair benchmark's client connects to (its server's). */
export const ipv4Address = z
  .ipv4({ error: "an IPv4 address, e.g. 127.0.0.1" })
  .refine((a) => a !== "0.0.0.0" && a !== "255.255.255.255", "an address a client can reach");
export const isIpv4 = (s: string) => ipv4Address.safeParse(s).success;

/** Whether a bigger number is better (throughput) or worse (latency). */
export const directionSchema = z.enum(["higher", "lower"]);
export type Direction = z.infer<typeof directionSchema>;

export const metricSchema = z.object({
  /** Stable name without parameters, e.g. "sequential_output_block"; parameters go in labels. */
  name: z.string().regex(/^[a-z0-9_.]+$/, "lowercase letters, digits, '_' and '.'"),
  value: z.number().finite(),
  unit: z.string().min(1),
  direction: directionSchema,
  /** What distinguishes metrics of the same name, e.g. { algorithm: "aes-128-cbc", blockBytes: "16384" }. */
  labels: z.record(z.string(), z.string()).default({}),
});
export type Metric = z.infer<typeof metricSchema>;

export const resultSchema = z.object({
  benchmark: z.string().min(1),
  /** The tool's own version string, read from its output or `--version`. */
  toolVersion: z.string().min(1),
  metrics: z.array(metricSchema).min(1),
});
export type BenchmarkResult = z.infer<typeof resultSchema>;

/** Thrown by parsers: the raw output is not what the tool prints, so no number is given. */
export class ParseError extends Error {
  constructor(benchmark: string, message: string) {
    super(`${benchmark}: ${message}`);
    this.name = "ParseError";
  }
}

export interface BenchmarkModule<P extends z.ZodTypeAny = z.ZodTypeAny> {
  id: string;
  description: string;
  /** Debian packages the target needs. */
  packages: string[];
  /** Parameters with defaults; parsed by the config schema. */
  parameters: P;
  /** Small parameters for a run that takes minutes, not hours. */
  quick: z.input<P>;
  /**
   * The bash script that runs one trial on the target and prints the raw
   * output (and only that) on stdout. Parameters reach it as environment
   * variables (see `environment`), never spliced into the text.
   */
  script: string;
  environment(params: z.infer<P>): Record<string, string>;
  /** Pure: raw output -> validated result, or a ParseError. Never a wrong number. */
  parse(raw: string, params: z.infer<P>): BenchmarkResult;
  /**
   * Pure: the tool's own output as it prints it (a run by hand, not this
   * project's script), with the run it describes read from it (`ran`) in place
   * of parameters, and what a reader should know of it that the figures do
   * not say (`warnings`, e.g. ab's failed requests). Absent: only the
   * script's framed output is read.
   */
  plain?(raw: string): PlainRead;
  /**
   * The metrics the report's tables and charts show, by name, in order; the
   * first that bare metal reported too is the headline (the one number of the
   * "% loss" table). Of a name reported with several labels, the report keeps
   * the largest block size of each algorithm (`blockBytes`) and one figure per
   * direction, the receiver's where there is one (`side`). Without it, the
   * report shows the metrics that are neither counts nor CPU percentages, at
   * most eight.
   */
  mainMetrics?: readonly string[];
  /**
   * About how long one trial takes with these parameters, in seconds, for a
   * tool that runs for a set time. Where it is short, a server's first
   * benchmark gets a pilot (components/measure/schedule.ts pilotRun); a module
   * that cannot say gets none.
   */
  trialSeconds?(params: z.infer<P>): number;
  /**
   * A benchmark measured between two sides (iperf, ab): its server runs in the
   * target, its client on the other side. Absent: it runs in one target.
   */
  pair?: PairSpec<z.infer<P>>;
}

/** A tool's own output, read (BenchmarkModule.plain). */
export interface PlainRead {
  result: BenchmarkResult;
  /** How it was run, as the output says: it stands for the parameters. */
  ran: Record<string, unknown>;
  /** What the figures include that a reader would not assume, in words. */
  warnings?: string[];
}

/** A pair benchmark's server side and how its client finds it. */
export interface PairSpec<Params = unknown> {
  /** The bash script that starts (and, given its pid, stops) the server in the target. */
  serverScript: string;
  /** The port the server listens on in the target, for these parameters. */
  port(params: Params): number;
  /** The parameters with another server address and port, for the client. */
  withAddress(params: Params, host: string, port: number): Params;
}

/** Validates a parser's result; a parser bug becomes a ParseError, not a bad number. */
export function validated(benchmark: string, result: unknown): BenchmarkResult {
  const r = resultSchema.safeParse(result);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ParseError(benchmark, `invalid result at ${i.path.join(".")}: ${i.message}`);
  }
  return r.data;
}

/** A number from a regex group, or a ParseError naming what was expected. */
export function num(benchmark: string, text: string | undefined, what: string): number {
  if (text === undefined || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text.trim())) {
    throw new ParseError(benchmark, `${what}: expected a number, got ${JSON.stringify(text)}`);
  }
  return parseFloat(text);
}

/**
 * The values a decimal printed as `printed` (e.g. by "%.3f": "0.113") can have
 * been rounded from: half a unit of its last digit either side, never below 0.
 * Cross-checks of figures a tool prints redundantly allow this much, no more.
 */
export function roundedFrom(printed: string): [number, number] {
  const half = 0.5 * 10 ** -(printed.split(".")[1]?.length ?? 0);
  return [Math.max(0, Number(printed) - half), Number(printed) + half];
}
