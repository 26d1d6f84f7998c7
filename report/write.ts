/**
 * A run's report and exports written into its folder (or another); a
 * comparison beside run B.
 *
 * A run folder is data like any other: someone may have put a link where
 * report.md goes, to a user's script say, for the report to overwrite it. So
 * the report never writes through a link, and writes only where it is plainly
 * the user's own:
 * - the folder must be a directory, not a symbolic link (which would move the
 *   report where the user did not say), owned by the user running the report
 *   (its owner could change what is in it at any time, and a report run as
 *   root would leave root's files in another user's folder); `--out` writes
 *   elsewhere;
 * - a file it replaces must be a regular file of that user: a link or anything
 *   else there is refused and named, not quietly replaced, since someone put it
 *   there;
 * - each file is written to a new file of a random name created with O_EXCL
 *   (never an existing file, never through a link), then renamed over its
 *   name: a rename replaces a link itself, not what it points to, so even a
 *   link planted after the checks changes nothing but itself, and a reader
 *   never sees half a file.
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { benchmarkCharts } from "./charts";
import { compareBlocks } from "./compare";
import { reportBlocks } from "./document";
import { exportFiles } from "./export";
import { renderHtml } from "./html";
import { excerpt } from "./input";
import type { Run } from "./load";
import { renderMarkdown } from "./markdown";

export interface Written {
  html: string;
  md: string;
  jsonl: string;
  csv: string;
}

const lstat = (p: string): fs.Stats | undefined => {
  try {
    return fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
};

/** Refuses a link or another user's entry: why, in words, or undefined when it may be written. */
function refusal(p: string, st: fs.Stats, want: "folder" | "file"): string | undefined {
  if (st.isSymbolicLink()) {
    return `a symbolic link (to ${excerpt(fs.readlinkSync(p), 100)}): not written through`;
  }
  if (want === "folder" ? !st.isDirectory() : !st.isFile()) return `not a ${want}: not written`;
  const me = process.getuid?.();
  if (me !== undefined && st.uid !== me) {
    return `owned by uid ${st.uid}, not by this user (uid ${me}): not written`;
  }
  return undefined;
}

/**
 * Writes `files` (name -> text) into `dir` as above and returns their paths.
 * Every check comes before the first write, so a refusal leaves the folder as it was.
 */
export function writeFiles(dir: string, files: Record<string, string>): Record<string, string> {
  if (!lstat(dir)) fs.mkdirSync(dir, { recursive: true });
  const why = refusal(dir, fs.lstatSync(dir), "folder");
  if (why) throw new Error(`${dir}: ${why} (--out <dir> writes elsewhere)`);
  for (const name of Object.keys(files)) {
    const target = path.join(dir, name);
    const st = lstat(target);
    const no = st && refusal(target, st, "file");
    if (no) throw new Error(`${target}: ${no}; remove it to write the report`);
  }
  const written: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(dir, name);
    const tmp = path.join(dir, `.${name}.${randomBytes(8).toString("hex")}.tmp`);
    const fd = fs.openSync(tmp, "wx");
    try {
      try {
        fs.writeFileSync(fd, text);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, target);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    written[name] = target;
  }
  return written;
}

export async function writeReport(run: Run, dir = run.dir): Promise<Written> {
  const blocks = reportBlocks(run, await benchmarkCharts(run));
  const w = writeFiles(dir, {
    "report.html": renderHtml(blocks),
    "report.md": renderMarkdown(blocks),
    ...exportFiles(run),
  });
  return {
    html: w["report.html"],
    md: w["report.md"],
    jsonl: w["samples.jsonl"],
    csv: w["samples.csv"],
  };
}

/** compare-<run A>.{md,html} in run B's folder (or dir); returns the paths and the Markdown. */
export function writeComparison(
  a: Run,
  b: Run,
  dir = b.dir,
): { html: string; md: string; markdown: string } {
  const blocks = compareBlocks(a, b);
  const base = `compare-${a.runId === b.runId ? "self" : a.runId}`;
  const markdown = renderMarkdown(blocks);
  const w = writeFiles(dir, { [`${base}.md`]: markdown, [`${base}.html`]: renderHtml(blocks) });
  return { html: w[`${base}.html`], md: w[`${base}.md`], markdown };
}
