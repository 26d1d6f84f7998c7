import * as fs from "fs";
import * as path from "path";
import {
  parsePostal,
  parsePostalPlain,
  postal,
  postalParameters,
  postalRows,
} from "../../../benchmarks/postal";
import { BenchmarkResult, ParseError } from "../../../benchmarks/types";
import { fuzzParser } from "../../helpers/fuzz";

const dir = path.join(__dirname, "..", "..", "fixtures", "benchmarks", "postal");
const fixture = (name: string) => fs.readFileSync(path.join(dir, name), "utf8");
const params = (p: object = {}) => postalParameters.parse(p);

// Recorded here (Debian bookworm, postal 0.76+nmu1, postfix 3.7.11, 2 vCPUs, other
// work running) by running benchmarks/postal.sh: postal against the script's own
// Postfix on 127.0.0.1:2525, delivering into Maildirs under /var/tmp.
const fixtures = {
  // The quick parameters: 2 minutes, 2 threads, bodies of 0-10 KiB, 100 users.
  "postal-0.76-postfix-3.7.11-bookworm-loopback-quick.txt": params({ minutes: 2, threads: 2 }),
  // 3 minutes, 4 threads, bodies of 1-50 KiB, 500 users.
  "postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt": params({
    minutes: 3,
    threads: 4,
    minMessageKiB: 1,
    maxMessageKiB: 50,
    users: 500,
  }),
};

const value = (r: BenchmarkResult, name: string) => {
  const found = r.metrics.filter((m) => m.name === name);
  expect(found).toHaveLength(1);
  return found[0].value;
};

// 2026-11-21 23:59:30 UTC: a run across midnight (constructed from postal's format).
const midnight = Date.UTC(2026, 10, 21, 23, 59, 30) / 1000;
const acrossMidnight = [
  "@@@ version",
  "Postal Version: 0.75",
  `@@@ start ${midnight}`,
  "time,messages,data(K),errors,connections,SSL connections",
  "00:00,40,210,0,40,0",
  "00:01,100,500,1,100,0",
  "00:02,120,700,2,120,0",
  `@@@ stop ${midnight + 180}`,
  "@@@ end",
  "",
].join("\n");

describe("parsePostal on recorded output", () => {
  it("keeps the one whole minute of a 2-minute run", () => {
    const name = "postal-0.76-postfix-3.7.11-bookworm-loopback-quick.txt";
    const raw = fixture(name);
    // Started at 23:21:24: the 23:22 line counts 36 seconds, the 23:23 line a minute.
    expect(raw).toContain("23:22,1604,8664,0,1606,0");
    const r = parsePostal(raw, fixtures[name]);
    expect(r.benchmark).toBe("postal");
    expect(r.toolVersion).toBe("0.75 (Debian package 0.76+nmu1)");
    expect(r.metrics).toEqual([
      {
        name: "messages_per_minute",
        value: 2652,
        unit: "messages/min",
        direction: "higher",
        labels: {},
      },
      {
        name: "data_kib_per_minute",
        value: 14336,
        unit: "KiB/min",
        direction: "higher",
        labels: {},
      },
      { name: "errors_per_minute", value: 0, unit: "errors/min", direction: "lower", labels: {} },
    ]);
  });

  it("averages the whole minutes of a longer run", () => {
    const name = "postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt";
    // Started at 23:23:28: 23:24 is 32 seconds, 23:25 and 23:26 are whole minutes.
    const r = parsePostal(fixture(name), fixtures[name]);
    expect(value(r, "messages_per_minute")).toBe((5308 + 5334) / 2);
    expect(value(r, "data_kib_per_minute")).toBe((138364 + 138137) / 2);
    expect(value(r, "errors_per_minute")).toBe(0);
  });

  it("maps lines to minutes across midnight (constructed)", () => {
    const r = parsePostal(acrossMidnight, params({ minutes: 3 }));
    expect(r.toolVersion).toBe("0.75");
    expect(value(r, "messages_per_minute")).toBe(110);
    expect(value(r, "data_kib_per_minute")).toBe(600);
    expect(value(r, "errors_per_minute")).toBe(1.5);
    const rows = postalRows(acrossMidnight.split("\n").slice(3, 7), midnight, midnight + 180);
    expect(rows.map((x) => [x.time, x.end - midnight])).toEqual([
      ["00:00", 30],
      ["00:01", 90],
      ["00:02", 150],
    ]);
  });

  it("reads postal without the SSL column", () => {
    const noSsl = acrossMidnight
      .replace(",SSL connections", "")
      .replace(/^(\d\d:\d\d(,\d+){4}),0$/gm, "$1");
    expect(value(parsePostal(noSsl, params({ minutes: 3 })), "messages_per_minute")).toBe(110);
  });
});

describe("parsePostal rejects what postal.sh does not print on success", () => {
  const name = "postal-0.76-postfix-3.7.11-bookworm-loopback-quick.txt";
  const raw = fixture(name);
  const p = fixtures[name];
  const reject = (text: string, message: RegExp, q = p) => {
    expect(() => parsePostal(text, q)).toThrow(ParseError);
    expect(() => parsePostal(text, q)).toThrow(message);
  };

  // Found by the fuzzer (minimized): a lost line changed the means over the minutes.
  it("rejects output that lost the line of a whole minute", () => {
    const name3 = "postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt";
    const three = fixture(name3);
    reject(
      three.replace(/^23:25,.*\n/m, ""),
      /lines for the minutes ending 23:26, expected 23:25, 23:26: a line is missing/,
      fixtures[name3],
    );
    reject(
      three.replace(/^23:26,.*\n/m, ""),
      /minutes ending 23:25, expected 23:25, 23:26/,
      fixtures[name3],
    );
    const lost = acrossMidnight.replace(/^00:00,.*\n/m, "").replace(/^00:01,.*\n/m, "");
    reject(lost, /minutes ending 00:02, expected 00:01, 00:02/, params({ minutes: 3 }));
  });

  it("rejects empty and truncated output", () => {
    reject("", /sections \[\], expected version, start EPOCH, stop EPOCH, end/);
    reject(raw.slice(0, raw.indexOf("@@@ stop")), /output truncated/);
    reject(raw.slice(0, raw.indexOf("@@@ end")), /output truncated/);
  });

  it("rejects a run with no whole minute", () => {
    // Only the partial first line left (postal stopped early, or its lines were lost).
    reject(raw.replace(/^23:23,.*\n/m, ""), /no whole minute reported/);
    reject(raw.replace(/^time,messages.*\n(.*\n)*(?=@@@ stop)/m, ""), /no output from postal/);
  });

  it("rejects a run that did not last the configured time", () => {
    reject(raw, /postal ran 120 s, expected 3 minutes/, params({ minutes: 3 }));
    const short = raw.replace("@@@ stop 1795303404", "@@@ stop 1795303390");
    reject(short, /postal ran 106 s, expected 2 minutes/);
  });

  it("rejects lines whose times are not minutes of the run", () => {
    // Local time instead of UTC: 00:22 is not within 23:21:24 .. 23:23:24 UTC.
    reject(raw.replace(/^23:(\d\d),/gm, "00:$1,"), /line 00:22 is not a minute between/);
    reject(raw.replace("23:23,", "23:25,"), /line 23:25 is not a minute between/);
    reject(raw.replace("23:22,", "24:22,"), /not a time of day: 24:22/);
  });

  it("rejects garbled lines", () => {
    reject(raw.replace("23:23,2652,", "23:23,26x2,"), /cannot read "23:23,26x2,/);
    reject(raw.replace("23:23,2652,14336,0,2652,0", "23:23,2652,14336,0,2652"), /columns/);
    reject(raw.replace(/^(time,.*)$/m, "$1\n$1"), /header twice/);
    reject(raw.replace(/^time,.*\n/m, ""), /a line before postal's header/);
  });

  it("rejects a version section without postal's version", () => {
    reject(raw.replace("Postal Version: 0.75", "Postal 0.75"), /version: no "Postal Version/);
  });
});

/**
 * postal's metrics are means over whole minutes, so "no invented number" means: the
 * value is the mean of that column over consecutive lines found in the text.
 */
function meanOfLinesIn(v: number, column: number, text: string): boolean {
  const rows = [...text.matchAll(/^\d\d:\d\d((?:,\d+){4,5})$/gm)].map((m) =>
    m[1].slice(1).split(",").map(Number),
  );
  for (let i = 0; i < rows.length; i++) {
    let sum = 0;
    for (let j = i; j < rows.length; j++) {
      sum += rows[j][column];
      if (Math.abs(sum / (j - i + 1) - v) < 1e-9) return true;
    }
  }
  return false;
}
const columns: Record<string, number> = {
  messages_per_minute: 0,
  data_kib_per_minute: 1,
  errors_per_minute: 2,
};

fuzzParser({
  benchmark: "postal",
  parse: parsePostal,
  fixtures: [
    ...Object.entries(fixtures).map(([name, params]) => ({ name, raw: fixture(name), params })),
    { name: "constructed across midnight", raw: acrossMidnight, params: params({ minutes: 3 }) },
  ],
  // Means over the minutes: an edited row changes them.
  derived: () => true,
  consistent: (r, text) => {
    for (const m of r.metrics) {
      expect([m.name, meanOfLinesIn(m.value, columns[m.name], text)]).toEqual([m.name, true]);
    }
  },
});

/** What postal itself printed: the framed file's lines between its start and stop sections. */
const ownOutput = (framed: string) =>
  framed
    .split("\n")
    .filter((l) => !/^@@@ |^Postal Version|^postal\t/.test(l))
    .join("\n");

// Postal's own output, as a run by hand prints it: its header and per-minute lines.
fuzzParser({
  benchmark: "postal",
  name: "postal (its own output, run by hand)",
  parse: (raw: string) => parsePostalPlain(raw).result,
  shorterRun:
    "postal prints a line a minute and no total or end: a run stopped early is this file cut; " +
    "its whole minutes are said (ran.wholeMinutes), and import refuses trials of different lengths",
  fixtures: [
    ...Object.keys(fixtures).map((name) => ({
      name,
      raw: ownOutput(fixture(name)),
      params: undefined,
    })),
    { name: "constructed across midnight", raw: ownOutput(acrossMidnight), params: undefined },
  ],
  derived: () => true,
  consistent: (r, text) => {
    for (const m of r.metrics) {
      expect([m.name, meanOfLinesIn(m.value, columns[m.name], text)]).toEqual([m.name, true]);
    }
  },
});

describe("postal's own output, run by hand", () => {
  it("gives the framed run's figures: the first, part minute left out", () => {
    for (const [name, p] of Object.entries(fixtures)) {
      const { result, ran } = parsePostalPlain(ownOutput(fixture(name)));
      expect(result.metrics).toEqual(parsePostal(fixture(name), p).metrics);
      expect(result.toolVersion).toBe("postal (its output gives no version)");
      expect(ran).toEqual({ wholeMinutes: p.minutes - 1, ssl: true });
    }
    expect(parsePostalPlain(ownOutput(acrossMidnight)).result.metrics[0].value).toBe(110);
  });

  it("refuses one line, a missing minute, and a file of something else, saying which", () => {
    const own = ownOutput(
      fixture("postal-0.76-postfix-3.7.11-bookworm-loopback-3min-4threads.txt"),
    );
    const lines = own.split("\n");
    expect(() => parsePostalPlain(lines.slice(0, 2).join("\n"))).toThrow(
      /one line only: the first counts a part of a minute/,
    );
    expect(() => parsePostalPlain([lines[0], lines[1], lines[3]].join("\n"))).toThrow(
      /23:24 then 23:26: a minute's line is missing/,
    );
    expect(() => parsePostalPlain("hello\n" + own)).toThrow(/cannot read "hello"/);
    expect(() => parsePostalPlain(lines.slice(1).join("\n"))).toThrow(
      /no "time,messages,data\(K\),errors,connections" header/,
    );
    expect(() =>
      parsePostalPlain(fixture("postal-0.76-postfix-3.7.11-bookworm-loopback-quick.txt")),
    ).toThrow(/framed output/);
  });
});

describe("postal module", () => {
  it("has defaults, a quick profile and an environment for the script", () => {
    expect(postal.id).toBe("postal");
    expect(postal.packages).toEqual(["postal", "postfix"]);
    expect(params()).toEqual({
      minutes: 5,
      threads: 4,
      minMessageKiB: 0,
      maxMessageKiB: 10,
      users: 100,
      port: 2525,
    });
    const quick = postalParameters.parse(postal.quick);
    expect(postal.environment(quick)).toEqual({
      VTB_POSTAL_MINUTES: "2",
      VTB_POSTAL_THREADS: "2",
      VTB_POSTAL_MIN_KIB: "0",
      VTB_POSTAL_MAX_KIB: "10",
      VTB_POSTAL_USERS: "100",
      VTB_POSTAL_PORT: "2525",
    });
  });

  it("runs postal against its own Postfix on 127.0.0.1, in UTC, stopped by SIGTERM", () => {
    expect(postal.script).toContain("inet_interfaces = 127.0.0.1");
    expect(postal.script).toContain("127.0.0.1:$port inet n - n - - smtpd");
    expect(postal.script).toContain("default_transport = error:");
    expect(postal.script).toMatch(/TZ=UTC timeout -s TERM "\$\{minutes\}m" postal -p "\$port"/);
  });

  it("refuses parameters postal or the script cannot take", () => {
    expect(postalParameters.safeParse({ minutes: 1 }).success).toBe(false);
    expect(postalParameters.safeParse({ threads: 0 }).success).toBe(false);
    expect(postalParameters.safeParse({ maxMessageKiB: 40961 }).success).toBe(false);
    expect(postalParameters.safeParse({ minMessageKiB: 20, maxMessageKiB: 10 }).success).toBe(
      false,
    );
    expect(postalParameters.safeParse({ users: 0 }).success).toBe(false);
    expect(postalParameters.safeParse({ port: "25; id" }).success).toBe(false);
    expect(postalParameters.safeParse({ rabid: true }).success).toBe(false);
    expect(() => postal.environment({ ...params(), threads: 2.5 })).toThrow();
  });
});
