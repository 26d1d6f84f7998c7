/** The report's blocks as Markdown: tables and text; the charts are in report.html. */
import { Block, Cell, cellText } from "./document";

/**
 * Any text made inert in Markdown, wherever it goes (heading, paragraph, table
 * cell, list item): a report's names and guest error messages come from an
 * archive, which anyone able to write in results/ could have written. Line
 * breaks and control characters become spaces (a line break would end a table
 * row or start a block of its own); \ ` * _ ~ [ ] | are backslash-escaped
 * (code spans, emphasis, links, table columns); & < > become entities (raw
 * HTML, autolinks); and a leading # - + = or "1." is escaped, so the text
 * starts no heading or list.
 */
export function mdEscape(s: string): string {
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, " ")
      // Leading spaces: four would make an indented code block.
      .trimStart()
      .replace(/[\\`*_~[\]|]/g, "\\$&")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/^[#+=-]/, "\\$&")
      .replace(/^(\d{1,9})([.)])(?=\s|$)/, "$1\\$2")
  );
}

/**
 * A fenced code block that no line of its text can close: the fence is longer
 * than any run of backticks inside (CommonMark's rule). Text in it is shown as
 * is, so only control characters other than newlines and tabs are escaped
 * (compare's Markdown is also printed to a terminal).
 */
export function mdCode(text: string, lang = ""): string {
  const longest = (text.match(/`+/g) ?? []).reduce((n, run) => Math.max(n, run.length), 0);
  const fence = "`".repeat(Math.max(3, longest + 1));
  const shown = text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${fence}${mdEscape(lang)}\n${shown}\n${fence}`;
}

export function markdownTable(head: string[], rows: Cell[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdEscape).join(" | ")} |`;
  return [
    line(head.map((h) => h || " ")),
    `| ${head.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => line(r.map(cellText))),
  ].join("\n");
}

export function renderMarkdown(blocks: Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case "heading":
        out.push(`${"#".repeat(b.level)} ${mdEscape(b.text)}`);
        break;
      case "paragraph":
        // A warning (different tool versions) in bold: the escaped text cannot close it early.
        out.push(b.warn ? `**${mdEscape(b.text)}**` : mdEscape(b.text));
        break;
      case "code":
        out.push(mdCode(b.text, b.lang));
        break;
      case "table":
        out.push((b.caption ? `${mdEscape(b.caption)}\n\n` : "") + markdownTable(b.head, b.rows));
        break;
      case "fields":
        out.push(
          `**${mdEscape(b.caption)}**\n\n` +
            (b.note
              ? `_${mdEscape(b.note)}_`
              : b.rows.map(([k, v]) => `- ${mdEscape(k)}: ${mdEscape(v)}`).join("\n")),
        );
        break;
      case "chart":
        out.push(
          `_Chart: ${mdEscape(b.chart.benchmark)}, ${b.chart.keys.length} main metric(s) as % of bare metal (in report.html)._`,
        );
        break;
    }
  }
  return out.join("\n\n") + "\n";
}
