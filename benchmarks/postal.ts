import { z } from "zod";
import { script } from "../components/bash";
import { BenchmarkModule, BenchmarkResult, Metric, ParseError, num, validated } from "./types";

/**
 * Postal's SMTP delivery rate into a Postfix instance the trial starts on
 * 127.0.0.1 (see postal.sh for why Postfix and how it is kept apart from the
 * system's mail setup). rabid, Postal's POP3 reader, is not run: it needs a POP3
 * server as well, which this module does not set up.
 */

const ID = "postal";
const MAX_MSG_KIB = 40960; // postal's MAX_MSG_SIZE

export const postalParameters = z
  .object({
    /**
     * Minutes postal runs. It reports once a minute and the first report is a part
     * of a minute, so 2 minutes give one whole minute to report, 5 give four.
     */
    minutes: z.number().int().min(2).max(1440).default(5),
    /** Sending threads, each with its own SMTP connection (-t). */
    threads: z.number().int().min(1).max(100).default(4),
    /** Message bodies are random sizes in [minMessageKiB, maxMessageKiB] (-M, -m). */
    minMessageKiB: z.number().int().min(0).max(MAX_MSG_KIB).default(0),
    maxMessageKiB: z.number().int().min(0).max(MAX_MSG_KIB).default(10),
    /** Mailboxes, user1@example.com ...; postal picks senders and recipients among them. */
    users: z.number().int().min(1).max(10000).default(100),
    /** The SMTP port on 127.0.0.1 (not 25: the system's own mail server may have it). */
    port: z.number().int().min(1).max(65535).default(2525),
  })
  .strict()
  .refine((p) => p.minMessageKiB <= p.maxMessageKiB, {
    message: "minMessageKiB at most maxMessageKiB",
    path: ["minMessageKiB"],
  });
export type PostalParameters = z.infer<typeof postalParameters>;

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

/** One of postal's per-minute lines, with the epoch second at which its minute ends. */
export interface PostalRow {
  time: string;
  end: number;
  messages: number;
  dataKiB: number;
  errors: number;
  connections: number;
}

const header = /^time,messages,data\(K\),errors,connections(,SSL connections)?$/;
const row = /^(\d{2}):(\d{2}),(\d+),(\d+),(\d+),(\d+)(,\d+)?$/;

/**
 * Postal's lines "HH:MM,messages,data(K),errors,connections[,SSL]" between the
 * start and stop times. Each line is printed at a wall-clock minute (UTC, as the
 * script sets TZ) and counts the minute that ends there; its epoch is the first
 * minute after the line before whose time of day is HH:MM.
 */
export function postalRows(body: string[], start: number, stop: number): PostalRow[] {
  let ssl: boolean | undefined;
  let last = Math.floor(start / 60) * 60;
  const rows: PostalRow[] = [];
  for (const line of body) {
    if (line.trim() === "") continue;
    const h = header.exec(line);
    if (h) {
      if (ssl !== undefined) throw new ParseError(ID, "postal's header twice");
      ssl = h[1] !== undefined;
      continue;
    }
    const m = row.exec(line);
    if (!m) throw new ParseError(ID, `cannot read ${JSON.stringify(line)}`);
    if (ssl === undefined) throw new ParseError(ID, `a line before postal's header: ${line}`);
    if ((m[7] !== undefined) !== ssl) {
      throw new ParseError(ID, `${JSON.stringify(line)} does not have the header's columns`);
    }
    if (Number(m[1]) > 23 || Number(m[2]) > 59) {
      throw new ParseError(ID, `not a time of day: ${m[1]}:${m[2]}`);
    }
    const minuteOfDay = Number(m[1]) * 60 + Number(m[2]);
    let end = last + 60;
    while ((end / 60) % 1440 !== minuteOfDay && end <= stop) end += 60;
    if (end > stop) {
      throw new ParseError(ID, `line ${m[1]}:${m[2]} is not a minute between start and stop`);
    }
    last = end;
    rows.push({
      time: `${m[1]}:${m[2]}`,
      end,
      messages: num(ID, m[3], "messages"),
      dataKiB: num(ID, m[4], "data(K)"),
      errors: num(ID, m[5], "errors"),
      connections: num(ID, m[6], "connections"),
    });
  }
  if (ssl === undefined) throw new ParseError(ID, "no output from postal (no header line)");
  return rows;
}

/** The means over whole minutes of postal's per-minute lines: its metrics. */
function minuteMeans(rows: readonly PostalRow[]): Metric[] {
  const metric = (
    name: string,
    values: number[],
    unit: string,
    direction: "higher" | "lower",
  ): Metric => ({
    name,
    value: values.reduce((a, b) => a + b, 0) / values.length,
    unit,
    direction,
    labels: {},
  });
  return [
    metric(
      "messages_per_minute",
      rows.map((r) => r.messages),
      "messages/min",
      "higher",
    ),
    // postal's data(K) is bytes / 1024.
    metric(
      "data_kib_per_minute",
      rows.map((r) => r.dataKiB),
      "KiB/min",
      "higher",
    ),
    metric(
      "errors_per_minute",
      rows.map((r) => r.errors),
      "errors/min",
      "lower",
    ),
  ];
}

/** Parses postal.sh output: the means over the whole minutes postal reported. */
export function parsePostal(raw: string, params: PostalParameters): BenchmarkResult {
  const got = sections(raw);
  const names = got.map((s) => s.name);
  const shape = [/^version$/, /^start \d+$/, /^stop \d+$/, /^end$/];
  if (names.length !== shape.length || !shape.every((re, i) => re.test(names[i]))) {
    throw new ParseError(
      ID,
      `sections ${JSON.stringify(names)}, expected version, start EPOCH, stop EPOCH, end: ` +
        "output truncated or not from postal.sh",
    );
  }
  const version = got[0].body.map((l) => /^Postal Version: (\S+)$/.exec(l)).find((m) => m !== null);
  if (!version) throw new ParseError(ID, 'version: no "Postal Version: x" line');
  // Debian's 0.76 still calls itself 0.75: give the package version too when printed.
  const pkg = got[0].body.map((l) => /^postal\t(\S+)$/.exec(l)).find((m) => m !== null);
  const toolVersion = pkg ? `${version[1]} (Debian package ${pkg[1]})` : version[1];

  const start = num(ID, names[1].split(" ")[1], "start time");
  const stop = num(ID, names[2].split(" ")[1], "stop time");
  const ran = stop - start;
  if (ran < params.minutes * 60 - 1 || ran > params.minutes * 60 + 60) {
    throw new ParseError(ID, `postal ran ${ran} s, expected ${params.minutes} minutes`);
  }
  // Whole minutes only: the first line counts from postal's start, not a minute.
  const full = postalRows(got[1].body, start, stop).filter((r) => r.end - 60 >= start);
  if (full.length === 0) {
    throw new ParseError(ID, "no whole minute reported: postal must run at least 2 minutes");
  }
  // Every whole minute between start and stop has its line: a lost line would change
  // the means. The last one may be missing if postal was stopped as it was due.
  const expected: number[] = [];
  for (let end = Math.ceil((start + 60) / 60) * 60; end <= stop; end += 60) expected.push(end);
  if (
    expected.length > 0 &&
    stop - expected[expected.length - 1] < 3 &&
    full.length < expected.length
  ) {
    expected.pop();
  }
  const clock = (epoch: number) => new Date(epoch * 1000).toISOString().slice(11, 16);
  const ends = full.map((r) => r.end);
  if (ends.join(",") !== expected.join(",")) {
    throw new ParseError(
      ID,
      `lines for the minutes ending ${ends.map(clock).join(", ")}, expected ${expected.map(clock).join(", ")}: a line is missing`,
    );
  }
  const metrics = minuteMeans(full);
  return validated(ID, { benchmark: ID, toolVersion, metrics });
}

/**
 * Postal's own output, as a run by hand prints it: its header and its
 * per-minute lines, without the script's start and stop times or version. The
 * first line counts from postal's start, a part of a minute that cannot be
 * told from a whole one, so it is left out, as the script's runs leave it
 * out; the minutes after it must follow one another. Postal prints no version.
 */
export function parsePostalPlain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  if (/^@@@ /m.test(raw))
    throw new ParseError(ID, "the project's framed output: give its parameters");
  const lines = raw.split("\n").filter((l) => l.trim() !== "");
  const first = lines.findIndex((l) => header.test(l));
  if (first < 0)
    throw new ParseError(
      ID,
      'no "time,messages,data(K),errors,connections" header: not postal\'s output',
    );
  const before = lines.slice(0, first).filter((l) => !/^Postal Version: /.test(l));
  if (before.length > 0) throw new ParseError(ID, `cannot read ${JSON.stringify(before[0])}`);
  // A day of minutes from the first line's: postalRows places each line in the minute after the one before.
  const m = row.exec(lines[first + 1] ?? "");
  if (!m) {
    throw new ParseError(
      ID,
      lines[first + 1] === undefined
        ? "no per-minute line after postal's header"
        : `cannot read ${JSON.stringify(lines[first + 1])}`,
    );
  }
  const start = (Number(m[1]) * 60 + Number(m[2]) - 1) * 60;
  const rows = postalRows(lines.slice(first), start, start + 1440 * 60);
  const whole = rows.slice(1);
  if (whole.length === 0) {
    throw new ParseError(
      ID,
      "one line only: the first counts a part of a minute, so postal must report at least 2",
    );
  }
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].end !== rows[i - 1].end + 60) {
      throw new ParseError(
        ID,
        `${rows[i - 1].time} then ${rows[i].time}: a minute's line is missing`,
      );
    }
  }
  const version = /^Postal Version: (\S+)$/m.exec(raw);
  const toolVersion = version ? version[1] : "postal (its output gives no version)";
  const metrics = minuteMeans(whole);
  return {
    result: validated(ID, { benchmark: ID, toolVersion, metrics }),
    ran: { wholeMinutes: whole.length, ssl: /SSL connections/.test(lines[first]) },
  };
}

export const postal: BenchmarkModule<typeof postalParameters> = {
  id: ID,
  description:
    "Postal SMTP delivery into a Postfix instance the trial starts on 127.0.0.1 " +
    "(queue and Maildir delivery on the target's disk): messages, KiB and errors per minute, " +
    "averaged over whole minutes.",
  packages: ["postal", "postfix"],
  parameters: postalParameters,
  quick: { minutes: 2, threads: 2 },
  script: script(__dirname, "postal.sh"),
  environment: (params) => {
    const p = postalParameters.parse(params);
    return {
      VTB_POSTAL_MINUTES: String(p.minutes),
      VTB_POSTAL_THREADS: String(p.threads),
      VTB_POSTAL_MIN_KIB: String(p.minMessageKiB),
      VTB_POSTAL_MAX_KIB: String(p.maxMessageKiB),
      VTB_POSTAL_USERS: String(p.users),
      VTB_POSTAL_PORT: String(p.port),
    };
  },
  parse: parsePostal,
  plain: parsePostalPlain,
  mainMetrics: ["messages_per_minute", "data_kib_per_minute"],
};
