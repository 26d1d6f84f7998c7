/** A run's report and exports written into its folder (or another); a comparison beside run B. */
import * as fs from "fs";
import * as path from "path";
import { benchmarkCharts } from "./charts";
import { compareBlocks } from "./compare";
import { reportBlocks } from "./document";
import { writeExports } from "./export";
import { renderHtml } from "./html";
import type { Run } from "./load";
import { renderMarkdown } from "./markdown";

export interface Written {
  html: string;
  md: string;
  jsonl: string;
  csv: string;
}

export async function writeReport(run: Run, dir = run.dir): Promise<Written> {
  fs.mkdirSync(dir, { recursive: true });
  const blocks = reportBlocks(run, await benchmarkCharts(run.results));
  const html = path.join(dir, "report.html");
  const md = path.join(dir, "report.md");
  fs.writeFileSync(html, renderHtml(blocks));
  fs.writeFileSync(md, renderMarkdown(blocks));
  return { html, md, ...writeExports(run, dir) };
}

/** compare-<run A>.{md,html} in run B's folder (or dir); returns the paths and the Markdown. */
export function writeComparison(
  a: Run,
  b: Run,
  dir = b.dir,
): { html: string; md: string; markdown: string } {
  fs.mkdirSync(dir, { recursive: true });
  const blocks = compareBlocks(a, b);
  const base = path.join(dir, `compare-${a.runId === b.runId ? "self" : a.runId}`);
  const markdown = renderMarkdown(blocks);
  fs.writeFileSync(`${base}.md`, markdown);
  fs.writeFileSync(`${base}.html`, renderHtml(blocks));
  return { html: `${base}.html`, md: `${base}.md`, markdown };
}
