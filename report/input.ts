/**
 * Input from outside the program, read defensively: files named on the
 * command line or found in a run folder, and the names inside them (an
 * archive is data that anyone able to write in results/ could have made).
 * Reads have a size limit, lookups by a name from a file are own-property
 * only, and an error quotes at most a short excerpt of what it read.
 */
import * as fs from "fs";
import type { z } from "zod";

/** results.json: the default stack's run is 110 KB; 8 guests of every benchmark stay under 10 MB. */
export const MAX_RESULTS_BYTES = 64 * 1024 * 1024;
/**
 * A raw output of one trial: the largest a benchmark's schema allows (iperf3's
 * JSON, 600 s with 8 streams) is about 16 MB; a step's whole output may be
 * larger (components/command-provider.ts), but a file here is one trial.
 */
export const MAX_RAW_BYTES = 64 * 1024 * 1024;
/** parameters.json: a few hundred bytes. */
export const MAX_PARAMETERS_BYTES = 1024 * 1024;

export const sizeText = (n: number): string =>
  n >= 1 << 20 ? `${+(n / (1 << 20)).toFixed(1)} MiB` : `${+(n / 1024).toFixed(1)} KiB`;

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * A regular file's text, refused when it is anything else (/dev/zero, a FIFO,
 * a directory) or larger than `limit` bytes: the error names the file and the
 * limit. Read through one descriptor, so what is checked is what is read.
 */
export function readInputFile(file: string, limit: number, what = "this file"): string {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO does not wait for a writer; it is refused below.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : (err.code ?? err.message);
    throw new Error(`${file}: cannot read: ${why}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file}: ${kindOf(st)}, not a regular file: not read`);
    const over = () =>
      new Error(
        `${file}: larger than ${sizeText(limit)}, the limit for ${what}: not read (${st.size} bytes)`,
      );
    if (st.size > limit) throw over();
    // The file may grow while it is read: read at most one byte past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1 << 20, limit + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) throw over();
    }
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}

/** At most `max` characters of `s`, quoted as JSON so that newlines and control characters show as escapes. */
export function excerpt(s: string, max = 60): string {
  return s.length <= max
    ? JSON.stringify(s)
    : `${JSON.stringify(s.slice(0, max))}… (${s.length} characters)`;
}

/**
 * A message for a terminal or a log: control characters (a terminal's escape
 * sequences, carriage returns) as escapes, lines kept, at most `max` characters.
 */
export function bounded(message: string, max = 1000): string {
  // eslint-disable-next-line no-control-regex
  const shown = message.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) =>
    c === "\r" ? "\\r" : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return shown.length <= max
    ? shown
    : `${shown.slice(0, max)}… (${shown.length - max} more characters)`;
}

/** `results.local.kvm["vm 1"].ab`: a key path, each name plain when it is a word, else quoted and cut short. */
export function keyPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top)";
  return path
    .map((p, i) =>
      typeof p === "number"
        ? `[${p}]`
        : /^[\w$-]{1,60}$/.test(String(p))
          ? `${i === 0 ? "" : "."}${String(p)}`
          : `[${excerpt(String(p), 40)}]`,
    )
    .join("");
}

/** zod's issues as "key path: message" lines, the first `max` of them, each of bounded length. */
export function issueLines(issues: readonly z.core.$ZodIssue[], max = 8): string[] {
  const lines = issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `${keyPath([...i.path, k])}: unknown key`)
      : [`${keyPath(i.path)}: ${i.message}`],
  );
  const shown = lines.slice(0, max).map((l) => bounded(l, 300));
  return lines.length > max ? [...shown, `... and ${lines.length - max} more`] : shown;
}

const MAX_DEPTH = 100;

/**
 * A JSON file from outside, read within `limit`: its value, and the path of
 * its first key named "__proto__" if it has one (for the caller to refuse).
 */
export function readJsonInput(
  file: string,
  limit: number,
  what: string,
): { json: unknown; proto?: PropertyKey[] } {
  const text = readInputFile(file, limit, what);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON: ${bounded((e as Error).message, 200)}`);
  }
  try {
    return { json, proto: protoKeyPaths(json)[0] };
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
}

/**
 * Key paths of keys named "__proto__" (JSON.parse makes them own keys): zod
 * drops them without a word, and assigning one sets an object's prototype.
 */
export function protoKeyPaths(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (typeof value !== "object" || value === null) return [];
  // JSON nests as deep as it likes; this walk recurses, so it stops well before the stack does.
  if (path.length > MAX_DEPTH) {
    throw new Error(`${keyPath(path.slice(0, 4))}...: nested more than ${MAX_DEPTH} levels deep`);
  }
  return Object.keys(value).flatMap((k) =>
    k === "__proto__"
      ? [[...path, k]]
      : protoKeyPaths((value as Record<string, unknown>)[k], [
          ...path,
          Array.isArray(value) ? Number(k) : k,
        ]),
  );
}

/**
 * record[key] when the record has it as its own: a name from a file or the
 * command line ("constructor", "toString", "hasOwnProperty") must never find
 * what every object inherits.
 */
export function own<T>(
  record: Readonly<Record<string, T>> | undefined,
  key: string,
): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
