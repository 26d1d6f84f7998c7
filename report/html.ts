/**
 * The report's blocks as one self-contained HTML page: inline CSS, charts as
 * inline SVG, no script, no font, no address outside the file, so it opens
 * offline and prints as it shows.
 */
import { Block, Cell, cellText } from "./document";

export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const style = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 0 auto; padding: 16px 24px 48px; max-width: 1200px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 22px 0 6px; }
p { margin: 6px 0; max-width: 75em; }
table { border-collapse: collapse; margin: 8px 0 14px; font-size: 13px; }
caption { caption-side: top; text-align: left; color: #555; padding: 2px 0 4px; font-size: 12.5px; }
th, td { border: 1px solid #d8d8d8; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f4f6; font-weight: 600; }
.noise { background: #f1f1f1; color: #555; font-style: italic; }
.loss { background: #fdecea; }
.win { background: #e8f5e9; }
.muted { color: #888; }
.warn { outline: 2px solid #e8a317; outline-offset: -2px; font-weight: 600; }
p.warn { background: #fff4d6; padding: 6px 10px; outline: none; border-left: 4px solid #e8a317; }
figure.chart { margin: 8px 0 6px; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
table.fields th { background: none; font-weight: 500; color: #444; white-space: nowrap; }
table.fields caption { font-weight: 600; color: #1d1d1f; }
nav { font-size: 13px; color: #555; }
nav a { margin-right: 12px; }
pre { background: #f6f8fa; padding: 8px 12px; overflow-x: auto; font-size: 12px; }
.legend span { display: inline-block; padding: 0 6px; margin-right: 6px; border: 1px solid #d8d8d8; }
`;

function cellHtml(c: Cell, tag: "td" | "th"): string {
  const classes = typeof c === "string" ? [] : [c.tone, c.warn ? "warn" : undefined];
  const cls = classes.filter(Boolean).join(" ");
  return `<${tag}${cls ? ` class="${cls}"` : ""}>${escapeHtml(cellText(c))}</${tag}>`;
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `<h${b.level}${b.id ? ` id="${escapeHtml(b.id)}"` : ""}>${escapeHtml(b.text)}</h${b.level}>`;
    case "paragraph":
      return `<p${b.warn ? ' class="warn"' : ""}>${escapeHtml(b.text)}</p>`;
    case "code":
      return `<pre>${escapeHtml(b.text)}</pre>`;
    case "table": {
      const head = b.head.some((h) => h !== "")
        ? `<thead><tr>${b.head.map((h) => cellHtml(h, "th")).join("")}</tr></thead>`
        : "";
      const rows = b.rows
        .map((r) => `<tr>${r.map((c) => cellHtml(c, "td")).join("")}</tr>`)
        .join("\n");
      return (
        `<table${b.id ? ` id="${escapeHtml(b.id)}"` : ""}>` +
        (b.caption ? `<caption>${escapeHtml(b.caption)}</caption>` : "") +
        `${head}<tbody>\n${rows}\n</tbody></table>`
      );
    }
    case "fields":
      return (
        `<table class="fields"><caption>${escapeHtml(b.caption)}</caption><tbody>` +
        (b.note
          ? `<tr><td class="muted">${escapeHtml(b.note)}</td></tr>`
          : b.rows
              .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
              .join("")) +
        `</tbody></table>`
      );
    case "chart":
      return `<figure class="chart" data-benchmark="${escapeHtml(b.chart.benchmark)}" data-server="${escapeHtml(b.chart.server)}">${b.chart.svg}</figure>`;
  }
}

export function renderHtml(blocks: Block[]): string {
  const title = blocks.find((b) => b.kind === "heading")?.text ?? "Testbed report";
  const nav = blocks
    .filter(
      (b): b is Extract<Block, { kind: "heading" }> =>
        b.kind === "heading" && b.level === 2 && !!b.id,
    )
    .map((b) => `<a href="#${escapeHtml(b.id!)}">${escapeHtml(b.text)}</a>`)
    .join("");
  const legend =
    `<p class="legend">Cells: <span class="loss">slower than bare metal</span>` +
    `<span class="win">faster</span><span class="noise">no difference found (or within noise, old runs)</span>` +
    `<span class="muted">one trial: no uncertainty</span><span class="warn">⚠ different tool versions</span></p>`;
  const body = blocks.map(blockHtml);
  // The navigation and the legend go after the title and the introduction.
  body.splice(Math.min(3, body.length), 0, `<nav>${nav}</nav>`, legend);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${style}</style>
</head>
<body>
${body.join("\n")}
</body>
</html>
`;
}
