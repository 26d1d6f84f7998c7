// What the harness benchmarks (bench:scale, bench:harness) share: reading
// pulumi's step summary and printing figures as a plain-text table.

/**
 * The step counts of pulumi's last "Resources:" summary, by operation: a
 * preview's "+ 1234 to create" is { create: 1234 }, an update's "213
 * unchanged" is { unchanged: 213 }, "~ 1 updated" is { updated: 1 }.
 */
export function resourceSteps(out: string): Record<string, number> {
  const summary = out.slice(out.lastIndexOf("Resources:"));
  const steps: Record<string, number> = {};
  for (const m of summary.matchAll(
    /^\s+[+~-]*\+?-?\s*(\d+) (to [a-z]+|created|updated|deleted|replaced|unchanged)/gm,
  )) {
    steps[m[2].replace(/^to /, "")] = Number(m[1]);
  }
  return steps;
}

/** Columns padded to their widest cell, two spaces apart; the first one left-aligned if asked. */
export function textTable(rows: string[][], firstColumn: "left" | "right" = "right"): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) =>
          i === 0 && firstColumn === "left" ? c.padEnd(widths[i]) : c.padStart(widths[i]),
        )
        .join("  "),
    )
    .join("\n");
}
