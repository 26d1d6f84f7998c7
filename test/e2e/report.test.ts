// The report rendered by a real headless Chromium (Debian `chromium`): the
// charts and tables are in the DOM it builds, and a screenshot is kept in
// test-artifacts/report.png.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { benchmarksOf } from "../../report/tables";
import { readRun } from "../../report/load";
import { writeReport } from "../../report/write";
import { scratchDir } from "../helpers/scratch";

const fixture = path.join(__dirname, "../fixtures/report/2026-11-22T01-09-34-979Z-bff16c54");
const artifacts = path.join(__dirname, "../../test-artifacts");

function chromium(args: string[], profile: string): string {
  return execFileSync(
    "chromium",
    [
      "--headless=new",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      ...args,
    ],
    {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 120000,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
}

describe("the report in headless Chromium", () => {
  const tmp = scratchDir("vtb-report-e2e-");
  const run = readRun(fixture);
  const dir = path.join(tmp, run.runId);
  let html = "";
  let dom = "";

  beforeAll(async () => {
    html = (await writeReport(run, dir)).html;
    dom = chromium(["--dump-dom", `file://${html}`], path.join(tmp, "profile-dom"));
  }, 180000);

  it("has an SVG chart for every benchmark", () => {
    const charts = [
      ...dom.matchAll(/<figure class="chart" data-benchmark="([^"]+)"[^>]*>\s*<svg[^>]*>/g),
    ].map((m) => m[1]);
    expect(charts.sort()).toEqual(benchmarksOf(run.results).sort());
    // Each chart has bars: vega draws them as paths in a mark-rect group.
    const figures = dom.split('<figure class="chart"').slice(1);
    for (const f of figures) expect(f).toMatch(/class="mark-rect role-mark/);
  });

  it("has the summary table with a row per benchmark and a column per platform", () => {
    const table = /<table id="summary-local">([\s\S]*?)<\/table>/.exec(dom);
    expect(table).not.toBeNull();
    const rows = [...table![1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => m[1]);
    // A header row, then one row per benchmark.
    expect(rows).toHaveLength(1 + benchmarksOf(run.results).length);
    expect(rows[0]).toMatch(/lxc\/vtb-testbed-ct/);
    expect(rows[0]).toMatch(/kvm\/vtb-testbed-vm/);
    for (const b of benchmarksOf(run.results)) {
      const row = rows.find((r) => r.includes(`<td>${b}</td>`));
      expect(row).toBeDefined();
      expect(row).toMatch(/\d%/);
    }
  });

  it("has the % loss table and says within noise where the spread swallows the difference", () => {
    expect(dom).toMatch(/<table id="loss">/);
    expect(dom).toMatch(/class="noise">within noise/);
  });

  it("takes a screenshot", () => {
    fs.mkdirSync(artifacts, { recursive: true });
    const png = path.join(artifacts, "report.png");
    fs.rmSync(png, { force: true });
    chromium(
      [`--screenshot=${png}`, "--window-size=1280,2000", "--hide-scrollbars", `file://${html}`],
      path.join(tmp, "profile-shot"),
    );
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(1, 4).toString()).toBe("PNG");
    // 1280 x 2000 as the PNG header states it, and far more than a blank page compresses to.
    expect(bytes.readUInt32BE(16)).toBe(1280);
    expect(bytes.readUInt32BE(20)).toBe(2000);
    expect(bytes.length).toBeGreaterThan(50000);
  }, 180000);
});
