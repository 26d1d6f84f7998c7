import * as fs from "fs";
import * as path from "path";
import { StringDecoder } from "string_decoder";
import { benchmarks } from "../../benchmarks";
import { mainMetrics } from "../../benchmarks/headline";
import { formatQuantity } from "../../report/units";
import { statusOf } from "../engine-status";
import { minSecretLength, redactor } from "../secrets";
import { outputLimitBytes } from "../command-provider";
import { metricKey } from "../results/summarize";
import { markerLinePattern, markers } from "./protocol";
import { parseTrials } from "./trials";

/*
 * A benchmark step while it runs, in the dynamic provider's process: its raw
 * output streamed to a file as it comes (`npm run logs` follows it), and its
 * row in `pulumi up`'s display kept saying how far it is: the trial (or round)
 * n/N, an estimate of the time left from this run's trials so far or else
 * from the step's run before, and the last trial's headline figure.
 */

/** What a benchmark step shows while it runs: the Command input `progress`. */
export interface Progress {
  /** The step's own URN (the Command fills it in), for the engine's display. */
  urn?: string;
  benchmark: string;
  params: unknown;
  /** Trials asked for, or an interleaved run's most rounds. */
  total: number;
  /** What `total` counts. */
  counts: "trial" | "round";
  /** Said first in the row: what the step is when it is not a measured run ("pilot, not counted"). */
  label?: string;
  /**
   * An interleaved run's units: each named by its targets ("local/lxc/ct"),
   * with the parameters its trials ran with (a pair's client connects to the
   * unit's own forwarded port), for its figures.
   */
  units?: { name: string; params: unknown }[];
}

/** Where a step's output streams to: <dir>/<name>.<start>.log. */
export interface StreamTo {
  dir: string;
  name: string;
}

/** Where a stack's benchmark steps stream their output: results/<stack>/trials/ in the project. */
export const streamDir = (stack: string) =>
  path.join(__dirname, "..", "..", "results", stack, "trials");

const safeName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, "_");

/**
 * Makes `dir` and the folders above it up to `results/` (0700), or checks
 * them: each a real folder (no symbolic link) of this user that no one else
 * may write in, since a planted link or a folder another user can change
 * would have root write a benchmark's output where that user chose.
 */
function ownFolder(dir: string): void {
  const top = path.dirname(path.dirname(dir));
  for (const d of [top, path.dirname(dir), dir]) {
    try {
      fs.mkdirSync(d, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const st = fs.lstatSync(d);
    const me = process.getuid?.();
    if (st.isSymbolicLink() || !st.isDirectory()) throw new Error(`${d}: not a folder (a link?)`);
    if (me !== undefined && st.uid !== me)
      throw new Error(`${d}: owned by uid ${st.uid}, not this user`);
    if ((st.mode & 0o022) !== 0)
      throw new Error(`${d}: others may write in it (mode ${(st.mode & 0o777).toString(8)})`);
  }
}

/** The stream file of a step started at t0: made new (never through a link), 0600, open for appending. */
export function streamFile(to: StreamTo, t0: number): { file: string; fd: number } {
  ownFolder(to.dir);
  const stamp = new Date(t0).toISOString().replace(/[:.]/g, "-");
  const file = path.join(to.dir, `${safeName(to.name)}.${stamp}.log`);
  const { O_CREAT, O_EXCL, O_NOFOLLOW, O_APPEND, O_WRONLY } = fs.constants;
  return {
    file,
    fd: fs.openSync(file, O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_WRONLY, 0o600),
  };
}

/** A stream file's name: `<step name>.<start>.log`, the start as streamFile writes it. */
const streamName = /^(.+)\.(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)\.log$/;

/**
 * The stream files in `dir`, oldest first, with their step's name. No folder
 * is no streams; another reason not to read it is thrown when `strict`.
 */
export function streamsIn(dir: string, strict = false): { file: string; name: string }[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if (!strict || (e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  return names
    .flatMap((n) => {
      const m = streamName.exec(n);
      return m ? [{ file: path.join(dir, n), name: m[1], start: m[2] }] : [];
    })
    .sort((a, b) => a.start.localeCompare(b.start) || a.name.localeCompare(b.name))
    .map(({ file, name }) => ({ file, name }));
}

/** The step's earlier stream files, newest first. */
export function earlierStreams(to: StreamTo, except?: string): string[] {
  return streamsIn(to.dir)
    .filter((s) => s.name === safeName(to.name) && s.file !== except)
    .map((s) => s.file)
    .reverse();
}

const endLine = new RegExp(
  markerLinePattern(markers.end, "(\\d+)", "(\\d+)", "(\\d+(?:\\.\\d+)?)"),
);
const trialLine = new RegExp(markerLinePattern(markers.trial, "(\\d+)"));
const roundLine = new RegExp(`^${markers.round.head} \\d+`);
const turnLine = new RegExp(`^${markers.turn.head} \\d+ unit=(\\d+)`);

/** Seconds a trial (or a round) took in an earlier run's stream, if it says. */
function earlierPace(file: string | undefined, counts: Progress["counts"]): number | undefined {
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  const seconds = lines.map((l) => endLine.exec(l)).filter((m) => m !== null);
  if (seconds.length === 0) return undefined;
  const sum = seconds.reduce((a, m) => a + Number(m[3]), 0);
  const n = counts === "round" ? lines.filter((l) => roundLine.test(l)).length : seconds.length;
  return n > 0 ? sum / n : undefined;
}

/** "1m40s", "45s", "2h05m". */
export function shortDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A trial's headline figure, e.g. "aes-256-cbc 1.06 GB/s", or undefined when it did not parse. */
export function headlineOf(benchmark: string, params: unknown, trial: string): string | undefined {
  const m = Object.hasOwn(benchmarks, benchmark) ? benchmarks[benchmark] : undefined;
  if (!m) return undefined;
  // The trial's own number may be past 1 (a round's): the others are "missing", not it.
  const metrics = parseTrials(m, trial, params).find((t) => !t.missing)?.result?.metrics;
  if (!metrics) return undefined;
  const keyed = metrics.map((x) => ({ ...x, key: metricKey(x) }));
  const [first] = mainMetrics(benchmark, keyed);
  const h = keyed.find((x) => x.key === first);
  if (!h) return undefined;
  const labels = Object.values(h.labels).filter((v) => !/^\d+$/.test(v));
  return `${[h.name, ...labels].join(" ")} ${formatQuantity(h.value, h.unit)}`;
}

/**
 * A running step's live side. `stdout` takes its output as it arrives; the
 * file gets it line by line with the stack's secrets hidden (a secret of
 * several lines, such as a key, has each of its lines hidden too).
 */
export class Live {
  private readonly file?: string;
  private fd?: number;
  private written = 0;
  /** Set once something of the live side failed: it stops, and the step goes on. */
  private broken = false;
  private trialChars = 0;
  private readonly show: (message: string) => void;
  private readonly hide: (s: string) => string;
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  private trial: string[] = [];
  private done = 0;
  private spent = 0;
  private current = 0;
  private currentSince = Date.now();
  private round = 0;
  private closed = false;
  private unit?: { name: string; params: unknown };
  private readonly roundStarts: number[] = [];
  private last?: string;
  private readonly pace?: number;
  private readonly timer?: NodeJS.Timeout;
  /** The status last shown. */
  status = "";

  constructor(
    private readonly progress: Progress | undefined,
    stream: StreamTo | undefined,
    secrets: readonly string[],
    t0: number,
  ) {
    const lines = secrets
      .flatMap((s) => s.split("\n"))
      .filter((l) => l.trim().length >= minSecretLength);
    this.hide = redactor([...secrets, ...lines]).text;
    if (stream) {
      try {
        ({ file: this.file, fd: this.fd } = streamFile(stream, t0));
      } catch (e) {
        // The status still goes on.
        console.error(
          `warning: ${stream.name}: its output is not streamed: ${(e as Error).message}`,
        );
      }
    }
    this.show = statusOf(progress?.urn);
    if (progress && stream) {
      this.pace = earlierPace(earlierStreams(stream, this.file)[0], progress.counts);
    }
    if (progress) {
      this.say();
      // The estimate counts down between trials too.
      this.timer = setInterval(() => this.say(), 10_000);
      this.timer.unref();
    }
  }

  /** Output as it arrives. Nothing here fails the step: a failure stops the live side alone. */
  stdout(chunk: Buffer): void {
    if (this.broken) return;
    try {
      const text = this.pending + this.decoder.write(chunk);
      const cut = text.lastIndexOf("\n");
      this.pending = text.slice(cut + 1);
      if (cut >= 0) this.lines(text.slice(0, cut + 1));
      // A line without end (a tool's progress bar) is written as it is, not kept.
      if (this.pending.length > 1 << 20) {
        const long = this.pending;
        this.pending = "";
        this.write(long);
      }
    } catch (e) {
      this.warn(`stopped: ${(e as Error).message}`);
    }
  }

  private warn(message: string): void {
    this.broken = true;
    console.error(
      `warning: a benchmark step's live output (${this.file ?? "no file"}): ${message}`,
    );
  }

  /** A line of the tool's own (a failed round or try), after what the step printed. */
  note(text: string): void {
    this.flush();
    this.write(`\n[${text}]\n`);
    this.trial = [];
    this.current = 0;
  }

  /** An interleaved run's round r starts. */
  roundStarted(r: number): void {
    this.flush();
    this.round = r;
    this.roundStarts.push(Date.now());
    this.say();
  }

  /** What is left unwritten goes; the status says what ran (the display keeps a step's last). */
  close(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    this.closed = true;
    this.say();
  }

  private flush(): void {
    if (this.broken) return;
    try {
      const rest = this.pending + this.decoder.end();
      this.pending = "";
      if (rest) this.lines(rest);
    } catch (e) {
      this.warn(`stopped: ${(e as Error).message}`);
    }
  }

  /** To the file, secrets hidden, up to the most a step may print (then a line says it is cut). */
  private write(text: string): void {
    if (this.fd === undefined || this.written > outputLimitBytes) return;
    const bytes = Buffer.from(this.hide(text));
    const room = outputLimitBytes - this.written;
    fs.writeSync(this.fd, bytes.length <= room ? bytes : bytes.subarray(0, room));
    this.written += bytes.length;
    if (this.written > outputLimitBytes) {
      fs.writeSync(this.fd, `\n[cut: the step printed more than ${outputLimitBytes} bytes]\n`);
    }
  }

  private lines(text: string): void {
    this.write(text);
    if (!this.progress) return;
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    for (const line of lines) {
      const turn = turnLine.exec(line);
      if (turn) this.unit = this.progress.units?.[Number(turn[1])];
      const start = trialLine.exec(line);
      if (start) {
        this.trial = [line];
        this.trialChars = line.length;
        this.current = Number(start[1]);
        this.currentSince = Date.now();
        this.say();
        continue;
      }
      // A trial's text is kept to read its figure, up to 64 MiB (the figure is then not read).
      if (this.trial.length > 0 && this.trialChars < 64 << 20) {
        this.trial.push(line);
        this.trialChars += line.length;
      }
      const end = endLine.exec(line);
      if (!end) continue;
      this.done++;
      this.spent += Number(end[3]);
      const rc = Number(end[2]);
      // An interleaved round's trials are of several targets: each figure names its own.
      const whose = this.progress.counts === "round" ? this.unit : undefined;
      if (this.progress.counts === "round" && !whose) continue;
      const params = whose ? whose.params : this.progress.params;
      const figure =
        rc === 0
          ? headlineOf(this.progress.benchmark, params, this.trial.join("\n") + "\n")
          : undefined;
      const said =
        rc !== 0
          ? `trial ${end[1]} failed (exit ${rc})`
          : (figure ?? `trial ${end[1]}: its output did not parse`);
      this.last = whose ? `${whose.name} ${said}` : said;
      this.trial = [];
      this.current = 0;
      this.say();
    }
  }

  /** Seconds left, from this run's pace so far or else the run before. */
  private left(): number | undefined {
    const p = this.progress!;
    if (p.counts === "round") {
      const r = this.roundStarts.length;
      const per =
        r > 1 ? (this.roundStarts[r - 1] - this.roundStarts[0]) / 1000 / (r - 1) : this.pace;
      if (per === undefined || r === 0) return per === undefined ? undefined : per * p.total;
      const inRound = (Date.now() - this.roundStarts[r - 1]) / 1000;
      return Math.max(0, per * (p.total - r + 1) - inRound);
    }
    const per = this.done > 0 ? this.spent / this.done : this.pace;
    if (per === undefined) return undefined;
    const running = this.current ? (Date.now() - this.currentSince) / 1000 : 0;
    return Math.max(0, per * (p.total - this.done) - running);
  }

  private say(): void {
    const p = this.progress;
    if (!p) return;
    const n = this.closed
      ? p.counts === "round"
        ? `${this.round} of ${p.total} rounds ran`
        : `${this.done} of ${p.total} trials ran`
      : p.counts === "round"
        ? `round ${Math.max(this.round, 1)}/${p.total}`
        : `trial ${Math.min(this.current || this.done + 1, p.total)}/${p.total}`;
    const left = this.closed ? undefined : this.left();
    const parts = [
      p.label ?? "",
      n,
      left === undefined
        ? ""
        : `~${shortDuration(left)} left${this.done === 0 && this.roundStarts.length < 2 ? " (as last time)" : ""}`,
      this.last ? `last: ${this.last}` : "",
    ];
    this.status = this.hide(parts.filter(Boolean).join(" · "));
    this.show(this.status);
  }
}
