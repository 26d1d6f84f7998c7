import { z } from "zod";
import { script } from "../components/bash";
import {
  BenchmarkModule,
  BenchmarkResult,
  ipv4Address,
  Metric,
  ParseError,
  num,
  roundedFrom,
  validated,
} from "./types";

const ID = "ab";

/** The one URL path ab.sh serves and fetches. */
export const AB_PATH = "/bench.bin";

export const abParameters = z
  .object({
    /** Requests in all (-n). */
    requests: z.number().int().min(1).max(1_000_000).default(10000),
    /** Requests at a time (-c); at most `requests`, as ab requires. */
    concurrency: z.number().int().min(1).max(1000).default(10),
    /** Size of the static file served, KiB. */
    fileKiB: z.number().int().min(1).max(102_400).default(10),
    /** HTTP keep-alive (-k); without it every request opens a connection. */
    keepalive: z.boolean().default(false),
    /** The address lighttpd listens on and ab connects to (set per target by the orchestration). */
    server: ipv4Address.default("127.0.0.1"),
    /** The port lighttpd listens on and ab connects to. */
    port: z.number().int().min(1).max(65535).default(8088),
  })
  .strict()
  .refine((p) => p.concurrency <= p.requests, {
    message: "at most as many concurrent requests as requests",
    path: ["concurrency"],
  });
export type AbParameters = z.infer<typeof abParameters>;

/** Splits the script's "@@@ name" blocks, in order. */
function sections(raw: string): { name: string; body: string[] }[] {
  const out: { name: string; body: string[] }[] = [];
  for (const line of raw.split("\n")) {
    const m = /^@@@ (.+)$/.exec(line);
    if (m) out.push({ name: m[1].trim(), body: [] });
    else if (out.length > 0) out[out.length - 1].body.push(line);
  }
  return out;
}

const decimal = String.raw`(\d+(?:\.\d+)?)`;

/** The one line matching `re` (its first group), or undefined if none; two is a ParseError. */
function field(body: string[], re: RegExp, what: string): string | undefined {
  const found = body.map((l) => re.exec(l)).filter((m) => m !== null);
  if (found.length > 1) throw new ParseError(ID, `${what}: ${found.length} lines, expected one`);
  return found[0]?.[1];
}

/**
 * A line ab prints only sometimes: undefined when no line starts with `label:`.
 * One that does but does not match `re` is a ParseError, so a garbled line is not
 * read as an absent one (that is, as 0).
 */
function optional(body: string[], re: RegExp, label: string): string | undefined {
  const lines = body.filter((l) => l.startsWith(`${label}:`));
  if (lines.length > 1) throw new ParseError(ID, `${label}: ${lines.length} lines, expected one`);
  if (lines.length === 0) return undefined;
  const m = re.exec(lines[0]);
  if (!m) throw new ParseError(ID, `${label}: cannot read ${JSON.stringify(lines[0])}`);
  return m[1];
}

function required(body: string[], re: RegExp, what: string): string {
  const v = field(body, re, what);
  if (v === undefined) throw new ParseError(ID, `no "${what}" line: ab's summary is missing`);
  return v;
}

const percentiles = ["50", "66", "75", "80", "90", "95", "98", "99", "100"];

/** "Percentage of the requests served within a certain time (ms)" -> percentile: ms. */
function percentileTable(body: string[]): Map<string, number> {
  const title = body.findIndex((l) =>
    /^Percentage of the requests served within a certain time \(ms\)\s*$/.test(l),
  );
  if (title < 0) throw new ParseError(ID, "no percentile table");
  const rows = new Map<string, number>();
  for (const line of body.slice(title + 1)) {
    if (line.trim() === "") break;
    const m = /^\s*(\d+)%\s+(\d+)( \(longest request\))?\s*$/.exec(line);
    if (!m) throw new ParseError(ID, `percentile table: cannot read ${JSON.stringify(line)}`);
    if (rows.has(m[1])) throw new ParseError(ID, `percentile table: ${m[1]}% twice`);
    const ms = num(ID, m[2], `${m[1]}% percentile`);
    // ab reads each row off the same sorted times: a row below the one before is not ab's.
    const [before, was] = [...rows].pop() ?? [];
    if (was !== undefined && ms < was) {
      throw new ParseError(ID, `percentile table: ${m[1]}% ${ms} ms is below ${before}% ${was} ms`);
    }
    rows.set(m[1], ms);
  }
  const got = [...rows.keys()];
  if (got.join(",") !== percentiles.join(",")) {
    throw new ParseError(
      ID,
      `percentile table: rows ${got.join(", ") || "none"}, expected ${percentiles.join(", ")}`,
    );
  }
  return rows;
}

/** A printed figure and the interval of run times (s) it allows, rounding included. */
interface Figure {
  label: string;
  printed: string;
  low: number;
  high: number;
}

/** The run times `seconds(v)` gives for every v the printed figure can round from. */
function figure(label: string, printed: string, seconds: (v: number) => number): Figure {
  num(ID, printed, label);
  const ends = roundedFrom(printed).map(seconds);
  return { label, printed, low: Math.min(...ends), high: Math.max(...ends) };
}

/** Whether some one run time is within every figure's interval. */
const overlap = (figures: Figure[]) =>
  Math.max(...figures.map((f) => f.low)) <= Math.min(...figures.map((f) => f.high)) * (1 + 1e-9);

/**
 * ab prints the one run time several ways: "Time taken for tests" (%.3f), and
 * done / time (requests/s, %.2f), concurrency * time * 1000 / done and
 * time * 1000 / done (the two times per request, %.3f), bytes / 1024 / time
 * (transfer rate, %.2f). Each printed figure, with its own rounding, allows an
 * interval of run times; they must overlap, or a figure was changed (a digit,
 * a line of another run): a ParseError naming the figure that does not fit
 * (when one alone does not) and one it disagrees with.
 */
function checkRunTime(figures: Figure[], context: string): void {
  if (overlap(figures)) return;
  const odd = figures.find((f) => overlap(figures.filter((g) => g !== f)));
  // Intervals overlap as a whole when they do in pairs: some pair is apart.
  const [a, b] = odd
    ? [odd, figures.find((g) => g !== odd && !overlap([odd, g]))!]
    : [
        figures.reduce((x, y) => (y.low > x.low ? y : x)),
        figures.reduce((x, y) => (y.high < x.high ? y : x)),
      ];
  throw new ParseError(
    ID,
    `${a.label} ${a.printed} disagrees with ${b.label} ${b.printed} ` +
      `(${context}, each figure as rounded when printed)`,
  );
}

/** The run an ab report describes, as ab printed it. */
export interface AbRun {
  host: string;
  port: number;
  path: string;
  documentBytes: number;
  concurrency: number;
  requests: number;
  keepalive: boolean;
  /** Requests ab counted as failed, and responses that were not 2xx: its rate is then not of served pages. */
  failed: number;
  non2xx: number;
}

/** Parses ab.sh output: `ab -V`, then ab's report of one run, which must be the one configured. */
export function parseAb(raw: string, params: AbParameters): BenchmarkResult {
  const got = sections(raw);
  const expected = ["version", "ab", "end"];
  const names = got.map((s) => s.name);
  if (names.join("\n") !== expected.join("\n")) {
    const missing = expected.filter((e) => !names.includes(e));
    throw new ParseError(
      ID,
      missing.length > 0
        ? `missing section(s) ${missing.join(", ")}: output truncated or not from ab.sh`
        : `sections ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`,
    );
  }
  const version = got[0].body
    .map((l) => /^This is ApacheBench, Version (\d+\.\d+\S*)/.exec(l))
    .find((m) => m !== null);
  if (!version) {
    throw new ParseError(ID, 'version: no "This is ApacheBench, Version x.y" line');
  }
  return readAb(version[1], got[1].body, params).result;
}

/**
 * Parses ab's own report, as ab prints it (a run by hand, any server and
 * document): the version from its banner, and the run it describes, which
 * stands for the parameters (`ran`).
 */
export function parseAbPlain(raw: string): { result: BenchmarkResult; ran: AbRun } {
  const body = raw.split("\n");
  const banner = body.filter((l) => /^This is ApacheBench, Version/.test(l));
  if (banner.length !== 1) {
    throw new ParseError(
      ID,
      banner.length === 0
        ? 'no "This is ApacheBench, Version x.y" banner: not ab\'s report as ab prints it (keep its whole output, banner included)'
        : `${banner.length} ApacheBench banners: one report per file`,
    );
  }
  const version = /^This is ApacheBench, Version (\d+\.\d+\S*)/.exec(banner[0]);
  if (!version) throw new ParseError(ID, `version: cannot read ${JSON.stringify(banner[0])}`);
  return readAb(version[1], body, undefined);
}

/** ab's report of one run; checked against `params` when they are known (ab.sh's runs). */
function readAb(
  toolVersion: string,
  body: string[],
  params: AbParameters | undefined,
): { result: BenchmarkResult; ran: AbRun } {
  // The run must be the one configured: server, path, file, concurrency, request count.
  const host = required(body, /^Server Hostname:\s+(\S+)\s*$/, "Server Hostname");
  const port = required(body, /^Server Port:\s+(\d+)\s*$/, "Server Port");
  if (params && (host !== params.server || Number(port) !== params.port)) {
    throw new ParseError(
      ID,
      `ran against ${host} port ${port}, expected ${params.server} port ${params.port}`,
    );
  }
  const path = required(body, /^Document Path:\s+(\S+)\s*$/, "Document Path");
  if (params && path !== AB_PATH)
    throw new ParseError(ID, `Document Path is ${path}, expected ${AB_PATH}`);
  if (body.some((l) => /^Document Length:\s+Variable\s*$/.test(l))) {
    // ab -l: the length is not checked, so failures by length are not counted.
    throw new ParseError(
      ID,
      "Document Length: Variable (ab -l): responses of any length are counted as served; not read",
    );
  }
  const length = required(body, /^Document Length:\s+(\d+) bytes\s*$/, "Document Length");
  if (params && Number(length) !== params.fileKiB * 1024) {
    throw new ParseError(
      ID,
      `Document Length is ${length} bytes, expected ${params.fileKiB * 1024} (${params.fileKiB} KiB)`,
    );
  }
  const level = required(body, /^Concurrency Level:\s+(\d+)\s*$/, "Concurrency Level");
  if (Number(level) === 0) throw new ParseError(ID, "Concurrency Level: 0");
  if (params && Number(level) !== params.concurrency) {
    throw new ParseError(ID, `Concurrency Level is ${level}, expected ${params.concurrency}`);
  }
  const complete = num(
    ID,
    required(body, /^Complete requests:\s+(\d+)\s*$/, "Complete requests"),
    "Complete requests",
  );
  if (complete === 0) throw new ParseError(ID, "Complete requests: 0, nothing was measured");
  if (params && complete !== params.requests) {
    throw new ParseError(ID, `Complete requests: ${complete}, expected ${params.requests}`);
  }
  const keepAlive = optional(body, /^Keep-Alive requests:\s+(\d+)\s*$/, "Keep-Alive requests");
  if (params && (keepAlive !== undefined) !== params.keepalive) {
    throw new ParseError(
      ID,
      `keep-alive was ${keepAlive !== undefined ? "on" : "off"}, expected ${params.keepalive ? "on" : "off"}`,
    );
  }

  const timeTaken = required(
    body,
    /^Time taken for tests:\s+(\d+\.\d+) seconds\s*$/,
    "Time taken for tests",
  );
  const total = num(
    ID,
    required(body, /^Total transferred:\s+(\d+) bytes\s*$/, "Total transferred"),
    "Total transferred",
  );
  const rps = required(
    body,
    new RegExp(String.raw`^Requests per second:\s+${decimal} \[#/sec\] \(mean\)\s*$`),
    "Requests per second",
  );
  const perRequest = required(
    body,
    new RegExp(String.raw`^Time per request:\s+${decimal} \[ms\] \(mean\)\s*$`),
    "Time per request ... (mean)",
  );
  const perRequestAll = required(
    body,
    new RegExp(
      String.raw`^Time per request:\s+${decimal} \[ms\] \(mean, across all concurrent requests\)\s*$`,
    ),
    "Time per request ... (mean, across all concurrent requests)",
  );
  const transferRate = required(
    body,
    new RegExp(String.raw`^Transfer rate:\s+${decimal} \[Kbytes/sec\] received\s*$`),
    "Transfer rate",
  );
  const c = Number(level);
  checkRunTime(
    [
      figure("Time taken for tests", timeTaken, (t) => t),
      figure("Requests per second", rps, (r) => complete / r),
      figure("Time per request", perRequest, (ms) => (ms * complete) / c / 1000),
      figure(
        "Time per request (across all concurrent requests)",
        perRequestAll,
        (ms) => (ms * complete) / 1000,
      ),
      ...(total > 0 ? [figure("Transfer rate", transferRate, (k) => total / 1024 / k)] : []),
    ],
    `${complete} complete requests, concurrency ${c}, ${total} bytes transferred`,
  );

  const metric = (
    name: string,
    value: string,
    unit: string,
    direction: "higher" | "lower",
    labels: Record<string, string> = {},
  ): Metric => ({ name, value: num(ID, value, name), unit, direction, labels });
  const metrics: Metric[] = [
    metric("requests_per_second", rps, "requests/s", "higher"),
    // Mean time of one request, as a client waits for it.
    metric("time_per_request", perRequest, "ms", "lower"),
    // The run's time divided by all requests: the inverse of the request rate.
    metric("time_per_request_across_concurrent", perRequestAll, "ms", "lower"),
    // ab's Kbytes are 1024 bytes.
    metric("transfer_rate", transferRate, "KiB/s", "higher"),
    metric(
      "failed_requests",
      required(body, /^Failed requests:\s+(\d+)\s*$/, "Failed requests"),
      "count",
      "lower",
    ),
    // ab prints this line only when there are some.
    metric(
      "non_2xx_responses",
      optional(body, /^Non-2xx responses:\s+(\d+)\s*$/, "Non-2xx responses") ?? "0",
      "count",
      "lower",
    ),
  ];
  const table = percentileTable(body);
  // The longest request is printed twice: as the connection times' total max and as 100%.
  const longest = required(body, /^Total:\s+(?:\S+\s+)*?(\d+)\s*$/, "Total (Connection Times)");
  if (Number(longest) !== table.get("100")) {
    throw new ParseError(
      ID,
      `Total max ${longest} ms (Connection Times) disagrees with 100% ${table.get("100")} ms (longest request)`,
    );
  }
  for (const [p, ms] of table) {
    metrics.push({
      name: "latency",
      value: ms,
      unit: "ms",
      direction: "lower",
      labels: { percentile: p },
    });
  }
  return {
    result: validated(ID, { benchmark: ID, toolVersion, metrics }),
    ran: {
      host,
      port: Number(port),
      path,
      documentBytes: Number(length),
      concurrency: c,
      requests: complete,
      keepalive: keepAlive !== undefined,
      failed: metrics.find((m) => m.name === "failed_requests")!.value,
      non2xx: metrics.find((m) => m.name === "non_2xx_responses")!.value,
    },
  };
}

/**
 * Starts lighttpd in the target, bound to the configured address and port,
 * serving the file, and prints its PID; run it with the module's `environment`.
 */
export const serverScript = script(__dirname, "listen.sh") + script(__dirname, "ab-server.sh");

export const ab: BenchmarkModule<typeof abParameters> = {
  id: ID,
  description:
    "ApacheBench (ab) from the server's side against a lighttpd started in the target, serving " +
    "one static file: requests per second, time per request, transfer rate, failures and latency " +
    "percentiles.",
  packages: ["apache2-utils", "lighttpd"],
  parameters: abParameters,
  plain: (raw) => {
    const { result, ran } = parseAbPlain(raw);
    // A hand run is not checked against what the project serves: say what would make its rate not of served pages.
    const warnings = (
      [
        [ran.failed, "requests ab counted as failed"],
        [ran.non2xx, "responses that were not 2xx (error pages)"],
      ] as const
    )
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}: the rates include them`);
    // How ab was run, not what it counted: trials of one run differ in their failures, not in this.
    const { failed: _f, non2xx: _n, ...how } = ran;
    return { result, ran: how, warnings };
  },
  quick: { requests: 2000 },
  script: script(__dirname, "ab.sh"),
  environment: (params) => {
    const p = abParameters.parse(params);
    return {
      VTB_AB_REQUESTS: String(p.requests),
      VTB_AB_CONCURRENCY: String(p.concurrency),
      VTB_AB_FILE_KIB: String(p.fileKiB),
      VTB_AB_KEEPALIVE: p.keepalive ? "1" : "0",
      VTB_AB_PORT: String(p.port),
      VTB_AB_SERVER: p.server,
    };
  },
  parse: parseAb,
  mainMetrics: ["requests_per_second", "time_per_request", "transfer_rate"],
  pair: {
    serverScript,
    port: (p) => p.port,
    withAddress: (p, host, port) => ({ ...p, server: host, port }),
  },
};
