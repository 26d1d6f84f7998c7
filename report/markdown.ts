/** The report's blocks as Markdown: tables and text; the charts are in report.html. */
import { Block, Cell, cellText } from "./document";

/** A cell's text made safe inside a Markdown table row. */
export function mdEscape(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");
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
        out.push(`${"#".repeat(b.level)} ${b.text}`);
        break;
      case "paragraph":
        out.push(b.text);
        break;
      case "code":
        out.push("```" + (b.lang ?? "") + "\n" + b.text + "\n```");
        break;
      case "table":
        out.push((b.caption ? `${b.caption}\n\n` : "") + markdownTable(b.head, b.rows));
        break;
      case "fields":
        out.push(
          `**${b.caption}**\n\n` +
            (b.note ? `_${b.note}_` : b.rows.map(([k, v]) => `- ${k}: ${v}`).join("\n")),
        );
        break;
      case "chart":
        out.push(
          `_Chart: ${b.chart.benchmark}, ${b.chart.keys.length} main metric(s) as % of bare metal (in report.html)._`,
        );
        break;
    }
  }
  return out.join("\n\n") + "\n";
}
