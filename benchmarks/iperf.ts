import { z } from "zod";
import { script } from "../components/bash";
import {
  BenchmarkModule,
  BenchmarkResult,
  ipv4Address,
  Metric,
  num,
  ParseError,
  validated,
} from "./types";

/**
 * TCP throughput between a client (the target the trial runs on) and an iperf
 * server that the orchestration starts beforehand with `serverScript`, run with
 * the same environment as the client. Both directions are measured by default:
 * "forward" (the client sends) and "reverse" (the server sends, -R).
 */

const directionParam = z.enum(["both", "forward", "reverse"]);
type Direction = "forward" | "reverse";

function parametersWithPort(defaultPort: number) {
  return z
    .object({
      /** Seconds per run (-t); a trial makes one run per direction. */
      duration: z.number().int().min(1).max(3600).default(10),
      /** Parallel TCP streams (-P). */
      parallel: z.number().int().min(1).max(128).default(1),
      /** The address the server listens on and the client connects to. */
      server: ipv4Address.default("127.0.0.1"),
      port: z.number().int().min(1).max(65535).default(defaultPort),
      /** Which directions to measure: "both" is a forward run, then a reverse run. */
      direction: directionParam.default("both"),
    })
    .strict();
}

export const iperfParameters = parametersWithPort(5001);
export const iperf3Parameters = parametersWithPort(5201);
export type IperfParameters = z.infer<typeof iperfParameters>;

const directionsOf = (p: IperfParameters): Direction[] =>
  p.direction === "both" ? ["forward", "reverse"] : [p.direction];

/**
 * Starts the server of either tool in the background, bound to the configured
 * address and port, and prints a PID; run it with the module's `environment`
 * (VTB_IPERF_TOOL picks the tool). `kill PID` stops it. Each start is a run of
 * its own (its log in a `mktemp -d` directory, no PID file under a fixed name):
 * a server that still listens there is refused, never reused.
 */
export const serverScript = script(__dirname, "listen.sh") + script(__dirname, "iperf-server.sh");

function environment(tool: "iperf" | "iperf3", p: IperfParameters): Record<string, string> {
  return {
    VTB_IPERF_TOOL: tool,
    VTB_IPERF_SERVER: p.server,
    VTB_IPERF_PORT: String(p.port),
    VTB_IPERF_DURATION: String(p.duration),
    VTB_IPERF_PARALLEL: String(p.parallel),
    VTB_IPERF_DIRECTIONS: directionsOf(p).join(" "),
  };
}

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

/** The sections version, each direction, end, in that order, or a ParseError. */
function expectSections(id: string, raw: string, p: IperfParameters) {
  const got = sections(raw);
  const expected = ["version", ...directionsOf(p), "end"];
  const names = got.map((s) => s.name);
  if (names.join("\n") !== expected.join("\n")) {
    const missing = expected.filter((e) => !names.includes(e));
    throw new ParseError(
      id,
      missing.length > 0
        ? `missing section(s) ${missing.join(", ")}: output truncated or not from ${id}.sh`
        : `sections ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`,
    );
  }
  return got;
}

function throughput(value: number, direction: Direction, side: "sender" | "receiver"): Metric {
  return {
    name: "throughput",
    value,
    unit: "Mbit/s",
    direction: "higher",
    labels: { direction, side },
  };
}

// ---------------------------------------------------------------- iperf 2

const IPERF = "iperf";

// "[  1] 0.0000-3.0148 sec  10720 MBytes  29827 Mbits/sec" (2.1: 4 decimals, ids from 1,
// "[ *1]" for a reverse stream), "[  3]  0.0-10.0 sec  1125 MBytes   943 Mbits/sec"
// (2.0: 1 decimal, ids from 3), and the total of parallel streams as "[SUM]".
const interval = String.raw`(\d+\.\d+)-\s*(\d+\.\d+) sec\s+(\d+(?:\.\d+)?) MBytes\s+(\d+(?:\.\d+)?) Mbits/sec\s*`;
const streamLine = new RegExp(String.raw`^\[\s*(\*?)(\d+)\]\s+${interval}$`);
const sumLine = new RegExp(String.raw`^\[SUM(?:-\d+)?\]\s+${interval}$`);
// Any line of the report table: an id or SUM in brackets, then the interval.
const reportLine = /^\[\s*(\*?\d+|SUM[^\]]*)\]\s+\d/;
const connectedLine = /^\[\s*\d+\] local \S+ port \d+ connected with \S+ port \d+(.*)$/;

function iperf2Run(section: Direction, body: string[], p: IperfParameters): Metric {
  const target = body.map((l) => /^Client connecting to (\S+), TCP port (\d+)$/.exec(l.trim()));
  const to = target.find((m) => m !== null);
  if (!to) throw new ParseError(IPERF, `${section}: no "Client connecting to" line`);
  if (to[1] !== p.server || Number(to[2]) !== p.port) {
    throw new ParseError(
      IPERF,
      `${section}: connected to ${to[1]} port ${to[2]}, expected ${p.server} port ${p.port}`,
    );
  }
  const connections = body.map((l) => connectedLine.exec(l)).filter((m) => m !== null);
  if (connections.length !== p.parallel) {
    throw new ParseError(
      IPERF,
      `${section}: ${connections.length} connection(s), expected ${p.parallel}`,
    );
  }
  const reversed = connections.filter((m) => m[1].includes("(reverse)")).length;
  if (reversed !== (section === "reverse" ? p.parallel : 0)) {
    throw new ParseError(
      IPERF,
      `${section}: ${reversed} of ${connections.length} connection(s) marked (reverse)`,
    );
  }
  // The final report of each stream: its last line that starts at 0 (with -i the
  // intervals come first), and the same for [SUM].
  const streams = new Map<string, number>();
  let sum: number | undefined;
  for (const line of body) {
    if (!reportLine.test(line)) continue;
    const stream = streamLine.exec(line);
    const sumMatch = stream ? null : sumLine.exec(line);
    if (!stream && !sumMatch) {
      throw new ParseError(IPERF, `${section}: cannot read ${JSON.stringify(line)}`);
    }
    const [start, end, , rate] = stream ? stream.slice(3) : sumMatch!.slice(1);
    // 2.1 marks the streams of a reverse run "[ *1]": a report line of the other
    // direction's run (a line out of place) must not be taken for this one's.
    if (stream && (stream[1] === "*") !== (section === "reverse")) {
      throw new ParseError(
        IPERF,
        `${section}: ${JSON.stringify(line)} is ${stream[1] ? "" : "not "}marked as a reverse stream`,
      );
    }
    if (num(IPERF, start, `${section} interval start`) !== 0) continue;
    if (!(num(IPERF, end, `${section} interval end`) > 0)) {
      throw new ParseError(IPERF, `${section}: empty interval in ${JSON.stringify(line)}`);
    }
    const mbits = num(IPERF, rate, `${section} Mbits/sec`);
    if (stream) streams.set(stream[2], mbits);
    else sum = mbits;
  }
  if (streams.size !== p.parallel) {
    throw new ParseError(
      IPERF,
      `${section}: final reports of ${streams.size} stream(s), expected ${p.parallel}`,
    );
  }
  let total: number;
  if (p.parallel === 1) {
    total = [...streams.values()][0];
  } else {
    if (sum === undefined) throw new ParseError(IPERF, `${section}: no [SUM] line`);
    // The total is the streams' rates added up, but for their slightly different
    // intervals (well under 1% apart in a run of seconds): else the line is not theirs.
    const added = [...streams.values()].reduce((a, b) => a + b, 0);
    if (Math.abs(sum - added) > 0.05 * added) {
      throw new ParseError(
        IPERF,
        `${section}: [SUM] ${sum} Mbits/sec, the streams add up to ${added}`,
      );
    }
    total = sum;
  }
  // The client counts what it wrote (forward) or read (reverse).
  return throughput(total, section, section === "forward" ? "sender" : "receiver");
}

/** Parses iperf.sh output: iperf 2.0.x or 2.1.x client reports, one run per direction. */
export function parseIperf(raw: string, params: IperfParameters): BenchmarkResult {
  const got = expectSections(IPERF, raw, params);
  const version = /^iperf version (\d+\.\d+\.\d+\S*)/.exec(got[0].body[0] ?? "");
  if (!version) {
    throw new ParseError(
      IPERF,
      `version: expected "iperf version 2.x.y ...", got ${JSON.stringify(got[0].body[0])}`,
    );
  }
  const metrics = got.slice(1, -1).map((s) => iperf2Run(s.name as Direction, s.body, params));
  return validated(IPERF, { benchmark: IPERF, toolVersion: version[1], metrics });
}

/**
 * Parses iperf 2's own client report, as a run by hand prints it (`iperf -c
 * HOST -f m`, one direction). It prints no version: 2.1.x and 2.0.x are told
 * apart by their interval's decimals. The run it describes (server, port,
 * streams, reverse) stands for the parameters. Limit: a file with its last
 * stream's lines and its [SUM] line all cut out reads as a run of fewer
 * streams; nothing in it could tell.
 */
export function parseIperfPlain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  const body = raw.split("\n").map((l) => l.replace(/\r$/, ""));
  const to = body
    .map((l) => /^Client connecting to (\S+), TCP port (\d+)$/.exec(l.trim()))
    .filter(Boolean);
  if (to.length !== 1) {
    throw new ParseError(
      IPERF,
      to.length === 0
        ? 'no "Client connecting to" line: not an iperf 2 client\'s report'
        : `${to.length} "Client connecting to" lines: one run per file`,
    );
  }
  if (
    body.some(
      (l) => reportLine.test(l) && / (K|G|)bits\/sec\s*$/.test(l) && !/Mbits\/sec\s*$/.test(l),
    )
  ) {
    throw new ParseError(IPERF, "rates not in Mbits/sec: run iperf with -f m");
  }
  const connections = body.map((l) => connectedLine.exec(l)).filter((m) => m !== null);
  const reverse = connections.some((m) => m[1].includes("(reverse)"));
  const direction: Direction = reverse ? "reverse" : "forward";
  const ran = {
    server: to[0]![1],
    port: Number(to[0]![2]),
    parallel: connections.length,
    direction,
  };
  if (ran.parallel === 0)
    throw new ParseError(IPERF, "no connection line: the run did not connect");
  // 2.1 prints its intervals with 4 decimals, 2.0 with 1.
  const finals = body.filter((l) => streamLine.test(l) || sumLine.test(l));
  const decimals = /(\d+)\.(\d+)-/.exec(finals[finals.length - 1] ?? "")?.[2].length;
  const line = decimals === 4 ? "2.1" : decimals === 1 ? "2.0" : undefined;
  if (!line) {
    throw new ParseError(
      IPERF,
      `intervals with ${decimals} decimals: neither 2.0's (1) nor 2.1's (4)`,
    );
  }
  // Nothing says how many streams were asked: a stream cut out must not pass
  // for a run of fewer. iperf numbers them from 1 (2.1) or 3 (2.0), and adds
  // a [SUM] line for more than one.
  const first = line === "2.1" ? 1 : 3;
  const ids = connections.map((m) => Number(/^\[\s*(\d+)\]/.exec(m[0])![1])).sort((x, y) => x - y);
  if (ids.some((id, i) => id !== first + i)) {
    throw new ParseError(
      IPERF,
      `streams ${ids.join(", ")}: iperf ${line} numbers them from ${first}, one after another`,
    );
  }
  if (ran.parallel === 1 && body.some((l) => sumLine.test(l))) {
    throw new ParseError(IPERF, "a [SUM] line for one stream: a stream is missing");
  }
  const metric = iperf2Run(direction, body, { ...ran, duration: 0 } as IperfParameters);
  const toolVersion = `${line}.x (from its report's format)`;
  // What else the report says of how it ran: its window (-w) and its length (-t, from the final line).
  const window = body.map((l) => /^TCP window size:\s*(.+?)\s*$/.exec(l)?.[1]).find(Boolean);
  const seconds = /-\s*(\d+(?:\.\d+)?)\s+sec/.exec(finals[finals.length - 1] ?? "")?.[1];
  return {
    result: validated(IPERF, { benchmark: IPERF, toolVersion, metrics: [metric] }),
    ran: {
      ...ran,
      version: toolVersion,
      ...(window ? { window } : {}),
      ...(seconds ? { seconds: Math.round(Number(seconds)) } : {}),
    },
  };
}

export const iperf: BenchmarkModule<typeof iperfParameters> = {
  id: IPERF,
  description:
    "iperf 2 TCP throughput from this target to an iperf server (started by serverScript), " +
    "forward (the target sends) and reverse (-R, the server sends), in Mbit/s.",
  packages: ["iperf"],
  parameters: iperfParameters,
  quick: { duration: 3 },
  script: script(__dirname, "iperf.sh"),
  environment: (params) => environment("iperf", iperfParameters.parse(params)),
  parse: parseIperf,
  plain: parseIperfPlain,
  // The receiver's figure of each direction.
  mainMetrics: ["throughput"],
  pair: {
    serverScript,
    port: (p) => p.port,
    withAddress: (p, host, port) => ({ ...p, server: host, port }),
  },
};

// ---------------------------------------------------------------- iperf3

const IPERF3 = "iperf3";

interface Sum {
  seconds?: unknown;
  bytes?: unknown;
  bits_per_second?: unknown;
  retransmits?: unknown;
  sender?: unknown;
}
interface Iperf3Report {
  error?: unknown;
  start?: {
    version?: unknown;
    connecting_to?: { host?: unknown; port?: unknown };
    test_start?: {
      protocol?: unknown;
      num_streams?: unknown;
      duration?: unknown;
      reverse?: unknown;
      blksize?: unknown;
      omit?: unknown;
      bytes?: unknown;
      blocks?: unknown;
      tos?: unknown;
      target_bitrate?: unknown;
    };
    sock_bufsize?: unknown;
  };
  end?: {
    streams?: { sender?: Sum; receiver?: Sum }[];
    sum_sent?: Sum;
    sum_received?: Sum;
  };
}

function nonNegative(section: string, v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new ParseError(IPERF3, `${section}: ${what}: expected a number >= 0, got ${String(v)}`);
  }
  return v;
}

function iperf3Run(section: Direction, body: string[], p: IperfParameters): Metric[] {
  let doc: Iperf3Report;
  try {
    doc = JSON.parse(body.join("\n")) as Iperf3Report;
  } catch (e) {
    throw new ParseError(IPERF3, `${section}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc !== "object" || doc === null) {
    throw new ParseError(IPERF3, `${section}: not a JSON object`);
  }
  if (doc.error !== undefined) {
    throw new ParseError(IPERF3, `${section}: iperf3 reported an error: ${String(doc.error)}`);
  }
  const to = doc.start?.connecting_to;
  if (to?.host !== p.server || to?.port !== p.port) {
    throw new ParseError(
      IPERF3,
      `${section}: connected to ${String(to?.host)} port ${String(to?.port)}, expected ${p.server} port ${p.port}`,
    );
  }
  const t = doc.start?.test_start;
  const expected = { protocol: "TCP", num_streams: p.parallel, duration: p.duration };
  for (const [key, want] of Object.entries(expected)) {
    const got = (t as Record<string, unknown> | undefined)?.[key];
    if (got !== want) {
      throw new ParseError(
        IPERF3,
        `${section}: test_start.${key} is ${String(got)}, expected ${want}`,
      );
    }
  }
  if (t?.reverse !== (section === "reverse" ? 1 : 0)) {
    throw new ParseError(IPERF3, `${section}: test_start.reverse is ${String(t?.reverse)}`);
  }
  // The sums are of the streams' own end reports: a line moved out of one of them
  // (the JSON has dozens of alike "bytes" and "retransmits") breaks the sum.
  const streams = doc.end?.streams;
  if (!Array.isArray(streams) || streams.length !== p.parallel) {
    throw new ParseError(
      IPERF3,
      `${section}: end.streams has ${Array.isArray(streams) ? streams.length : "no"} stream(s), expected ${p.parallel}`,
    );
  }
  const added = (side: "sender" | "receiver", field: "bytes" | "retransmits") =>
    streams.reduce(
      (a, st) => a + nonNegative(section, st?.[side]?.[field], `end.streams[].${side}.${field}`),
      0,
    );
  const metrics: Metric[] = [];
  for (const [key, side] of [
    ["sum_sent", "sender"],
    ["sum_received", "receiver"],
  ] as const) {
    const s = doc.end?.[key];
    if (s === undefined) throw new ParseError(IPERF3, `${section}: no end.${key}`);
    if (s.bytes !== added(side, "bytes")) {
      throw new ParseError(
        IPERF3,
        `${section}: end.${key}.bytes ${String(s.bytes)} is not the streams' ${added(side, "bytes")}`,
      );
    }
    if (!(nonNegative(section, s.seconds, `end.${key}.seconds`) > 0)) {
      throw new ParseError(IPERF3, `${section}: end.${key} covers 0 seconds`);
    }
    // The client's view: in a reverse run the sender is the server.
    if (
      typeof s.sender === "boolean" &&
      key === "sum_sent" &&
      s.sender !== (section === "forward")
    ) {
      throw new ParseError(IPERF3, `${section}: end.sum_sent.sender is ${s.sender}`);
    }
    const bps = nonNegative(section, s.bits_per_second, `end.${key}.bits_per_second`);
    // iperf3 computes the rate as bytes * 8 / seconds: a value out of place (a line of
    // another object) or garbled in one of the three does not agree with the others.
    const bytes = nonNegative(section, s.bytes, `end.${key}.bytes`);
    const seconds = s.seconds as number;
    if (Math.abs(bps - (bytes * 8) / seconds) > 1e-5 * bps + 1) {
      throw new ParseError(
        IPERF3,
        `${section}: end.${key}: bits_per_second ${bps} is not bytes ${bytes} * 8 / seconds ${seconds}`,
      );
    }
    metrics.push(throughput(bps / 1e6, section, side));
  }
  // TCP retransmits, counted by the sender (Linux reports them; other systems may not).
  const retransmits = doc.end?.sum_sent?.retransmits;
  if (retransmits !== undefined) {
    nonNegative(section, retransmits, "end.sum_sent.retransmits");
    if (retransmits !== added("sender", "retransmits")) {
      throw new ParseError(
        IPERF3,
        `${section}: end.sum_sent.retransmits ${String(retransmits)} is not the streams' ${added("sender", "retransmits")}`,
      );
    }
    metrics.push({
      name: "retransmits",
      value: nonNegative(section, retransmits, "end.sum_sent.retransmits"),
      unit: "count",
      direction: "lower",
      labels: { direction: section },
    });
  }
  return metrics;
}

/** Parses iperf3.sh output: one JSON report (-J) per direction. */
export function parseIperf3(raw: string, params: IperfParameters): BenchmarkResult {
  const got = expectSections(IPERF3, raw, params);
  const version = /^iperf (3\.\d+(?:\.\d+)?\S*)/.exec(got[0].body[0] ?? "");
  if (!version) {
    throw new ParseError(
      IPERF3,
      `version: expected "iperf 3.x ...", got ${JSON.stringify(got[0].body[0])}`,
    );
  }
  const metrics = got.slice(1, -1).flatMap((s) => iperf3Run(s.name as Direction, s.body, params));
  return validated(IPERF3, { benchmark: IPERF3, toolVersion: version[1], metrics });
}

/**
 * Parses iperf3's own JSON report (`iperf3 -c ... -J`), as a run by hand
 * prints it: one direction, and the run it describes (server, port, streams,
 * duration, reverse) read from its "start" in place of parameters.
 */
export function parseIperf3Plain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  let doc: Iperf3Report;
  try {
    doc = JSON.parse(raw) as Iperf3Report;
  } catch {
    throw new ParseError(
      IPERF3,
      /^Connecting to host|^\[\s*ID\]|iperf Done/m.test(raw)
        ? "iperf3's text output is not read: run it with -J (JSON), which carries the sums and how it was run"
        : "not iperf3's JSON report (-J), nor the project's framed output",
    );
  }
  const start = (typeof doc === "object" && doc !== null ? doc.start : undefined) ?? {};
  const to = start.connecting_to;
  const t = start.test_start;
  const version = /^iperf (3\.\d+(?:\.\d+)?\S*)/.exec(String(start.version ?? ""));
  if (!version) {
    throw new ParseError(
      IPERF3,
      `start.version: expected "iperf 3.x", got ${JSON.stringify(start.version)}`,
    );
  }
  if (typeof to?.host !== "string" || !Number.isInteger(to?.port)) {
    throw new ParseError(IPERF3, "start.connecting_to: no host and port: not a client's report");
  }
  if (
    !Number.isInteger(t?.num_streams) ||
    typeof t?.duration !== "number" ||
    ![0, 1].includes(t?.reverse as number)
  ) {
    throw new ParseError(IPERF3, "start.test_start: no num_streams, duration or reverse");
  }
  const direction: Direction = t!.reverse === 1 ? "reverse" : "forward";
  const ran = {
    server: to!.host,
    port: to!.port as number,
    parallel: t!.num_streams as number,
    duration: t!.duration as number,
    direction,
  };
  const metrics = iperf3Run(direction, raw.split("\n"), ran as unknown as IperfParameters);
  // Every setting the client states (-u, -l, -O, -n, -k, -S, -b, -w): trials of one run, and a
  // guest and its bare metal, must have the same; only then are their rates comparable.
  const settings = Object.fromEntries(
    (["protocol", "blksize", "omit", "bytes", "blocks", "tos", "target_bitrate"] as const)
      .filter((k) => t![k] !== undefined)
      .map((k) => [k, t![k]]),
  );
  return {
    result: validated(IPERF3, { benchmark: IPERF3, toolVersion: version[1], metrics }),
    ran: {
      ...ran,
      ...settings,
      ...(start.sock_bufsize !== undefined ? { sock_bufsize: start.sock_bufsize } : {}),
    },
  };
}

export const iperf3: BenchmarkModule<typeof iperf3Parameters> = {
  id: IPERF3,
  description:
    "iperf3 TCP throughput from this target to an iperf3 server (started by serverScript), " +
    "forward and reverse (-R), as sender and receiver see it, in Mbit/s, with TCP retransmits.",
  packages: ["iperf3"],
  parameters: iperf3Parameters,
  quick: { duration: 3 },
  script: script(__dirname, "iperf3.sh"),
  environment: (params) => environment("iperf3", iperf3Parameters.parse(params)),
  parse: parseIperf3,
  plain: parseIperf3Plain,
  // The receiver's figure of each direction.
  mainMetrics: ["throughput"],
  pair: {
    serverScript,
    port: (p) => p.port,
    withAddress: (p, host, port) => ({ ...p, server: host, port }),
  },
};
