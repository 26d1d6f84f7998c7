import { z } from "zod";
import { script } from "../components/bash";
import {
  BenchmarkModule,
  BenchmarkResult,
  Metric,
  ParseError,
  num,
  roundedFrom,
  validated,
} from "./types";

import { opensslSignNames, opensslSymmetricNames } from "./openssl-names";

const ID = "openssl-speed";

// A name, not an option: "-engine" or "-" would be read by `openssl speed` as one.
const symmetricName = z
  .string()
  .regex(
    /^[a-z0-9]+(-[a-z0-9]+)*$/,
    "an OpenSSL cipher or digest name such as aes-128-cbc or sha256: lowercase letters " +
      "and digits, in parts joined by single '-' (not an option such as -engine)",
  );
// The public-key tests whose tables have sign/s and verify/s columns.
const publicKeyName = z
  .string()
  .regex(
    /^(rsa\d+|dsa\d+|ecdsa[a-z0-9]+|ed25519|ed448)$/,
    "an `openssl speed` signature algorithm: rsaN, dsaN, ecdsaCURVE, ed25519 or ed448",
  );
const unique = (list: string[]) => new Set(list).size === list.length;

export const opensslSpeedParameters = z
  .object({
    /** Ciphers and digests, each run through EVP (`-evp NAME`). */
    ciphers: z
      .array(symmetricName)
      .max(32)
      .refine(unique, "no algorithm twice")
      .default(["aes-128-cbc", "sha256"]),
    /** Public-key signature algorithms, as `openssl speed` names them. */
    publicKey: z
      .array(publicKeyName)
      .max(32)
      .refine(unique, "no algorithm twice")
      .default(["rsa2048"]),
    /** Seconds per test (per block size for ciphers, per operation for public keys). */
    seconds: z.number().int().min(1).max(600).default(3),
  })
  .strict()
  .refine((p) => p.ciphers.length + p.publicKey.length > 0, {
    message: "at least one cipher, digest or public-key algorithm",
    path: ["ciphers"],
  });
export type OpensslSpeedParameters = z.infer<typeof opensslSpeedParameters>;

/** Splits the script's "@@@ name" blocks, in order. */
function sections(raw: string): { name: string; body: string[] }[] {
  const out: { name: string; body: string[] }[] = [];
  for (const line of raw.split("\n")) {
    const m = /^@@@ (.+)$/.exec(line);
    if (m) out.push({ name: m[1].trim(), body: [] });
    else if (out.length > 0) out[out.length - 1].body.push(line);
  }
  return out;
}

/** "AES-128-CBC" (3.x EVP), "aes-128 cbc" (1.x built-in), "aes-128-cbc" -> "aes-128-cbc". */
export function normalizeAlgorithm(printed: string): string {
  return printed.trim().toLowerCase().replace(/\s+/g, "-");
}

// %11.2f, followed by 'k' when the value was divided by 1000 (see throughputTable).
const throughputValue = /^(\d+\.\d{2})(k?)$/;

/**
 * The table of one symmetric run:
 *   The 'numbers' are in 1000s of bytes per second processed.
 *   type             16 bytes     64 bytes ...  16384 bytes
 *   AES-128-CBC     682770.34k  1353061.18k ...
 * One row, since the script runs one algorithm per `openssl speed`. Values above
 * 10000 bytes/s are printed divided by 1000 with a 'k'; smaller ones are printed in
 * bytes/s without it (the header notwithstanding), so those are divided here.
 */
// The block sizes `openssl speed` tests without -bytes: 1.0.x stops at 8192.
const blockSizes = ["16", "64", "256", "1024", "8192", "16384"];

/** Lines that start another run's output in a file of several (never a table's row). */
const nextRun =
  /^(Forked child \d|Got: |version: |built on: |options: ?|compiler: |CPUINFO: |Doing |(OpenSSL|LibreSSL) \d)/;

function throughputTable(
  section: string,
  expected: string | undefined,
  body: string[],
  from = 0,
): Metric[] {
  const start = body.findIndex(
    (l, i) =>
      i >= from && /^The 'numbers' are in 1000s of bytes per second processed\.\s*$/.test(l),
  );
  if (start < 0) throw new ParseError(ID, `${section}: no throughput table`);
  const header = body[start + 1] ?? "";
  if (!/^type\s/.test(header)) {
    throw new ParseError(ID, `${section}: no "type ... bytes" header after the table title`);
  }
  const sizes = [...header.matchAll(/(\d+) bytes/g)].map((m) => m[1]);
  if (
    sizes.length === 0 ||
    header
      .replace(/^type/, "")
      .replace(/\d+ bytes/g, "")
      .trim() !== ""
  ) {
    throw new ParseError(ID, `${section}: cannot read block sizes from ${JSON.stringify(header)}`);
  }
  // A garbled size would label a real number with a size that was not run.
  if (sizes.join(" ") !== blockSizes.slice(0, sizes.length).join(" ") || sizes.length < 5) {
    throw new ParseError(
      ID,
      `${section}: block sizes ${sizes.join(", ")}, expected ${blockSizes.join(", ")}`,
    );
  }
  // The script runs one algorithm per `openssl speed`: one row. A run by hand
  // may list several: its rows, up to a blank line or the next table's header.
  const after = body.slice(start + 2);
  const end = after.findIndex((l) => l.trim() === "" || !/\d/.test(l) || nextRun.test(l));
  const rows =
    expected === undefined
      ? after.slice(0, end < 0 ? after.length : end)
      : after.filter((l) => l.trim() !== "");
  if (expected !== undefined ? rows.length !== 1 : rows.length === 0) {
    throw new ParseError(
      ID,
      `${section}: expected ${expected !== undefined ? "one row" : "rows"} in the throughput table, got ${rows.length}`,
    );
  }
  const seen = new Set<string>();
  return rows.flatMap((row) => {
    const algorithm = throughputRow(section, row, sizes.length);
    if (expected !== undefined && algorithm.name !== expected) {
      throw new ParseError(ID, `${section}: row for ${algorithm.name}, expected ${expected}`);
    }
    if (expected === undefined && !opensslSymmetricNames.has(algorithm.name)) {
      throw new ParseError(
        ID,
        `${section}: ${algorithm.name} is not a cipher or digest name OpenSSL prints (benchmarks/openssl-names.ts)`,
      );
    }
    if (seen.has(algorithm.name)) throw new ParseError(ID, `${section}: ${algorithm.name} twice`);
    seen.add(algorithm.name);
    return throughputValues(section, algorithm.name, algorithm.values, sizes);
  });
}

/** A throughput row: its algorithm and its values, one per block size. */
function throughputRow(section: string, row: string, n: number) {
  const tokens = row.trim().split(/\s+/);
  const values = tokens.slice(-n);
  const nameTokens = tokens.slice(0, -n);
  if (nameTokens.length === 0 || nameTokens.some((t) => throughputValue.test(t))) {
    throw new ParseError(ID, `${section}: expected ${n} values in ${JSON.stringify(row)}`);
  }
  return { name: normalizeAlgorithm(nameTokens.join(" ")), values };
}

function throughputValues(
  section: string,
  algorithm: string,
  values: string[],
  sizes: string[],
): Metric[] {
  return values.map((v, i) => {
    const m = throughputValue.exec(v);
    if (!m) {
      throw new ParseError(
        ID,
        `${section}: ${sizes[i]} bytes: expected a number like 1234.56k, got ${JSON.stringify(v)}`,
      );
    }
    const n = num(ID, m[1], `${section} ${sizes[i]} bytes`);
    if (m[2] !== "k" && n > 10000) {
      // openssl prints anything above 10000 bytes/s with 'k': this one lost its unit.
      throw new ParseError(ID, `${section}: ${sizes[i]} bytes: ${v} without 'k' is out of range`);
    }
    return {
      name: "throughput",
      value: m[2] === "k" ? n : n / 1000,
      unit: "kB/s",
      direction: "higher" as const,
      labels: { algorithm, blockBytes: sizes[i] },
    };
  });
}

// Column headers of the public-key tables with sign/s and verify/s: 1.0 to 3.1 (rsa,
// dsa, ecdsa, EdDSA) and the rsa table of 3.2 and later. Other tables (ecdh "op op/s",
// 3.2's "keygen encaps decaps ..." and "keygen signs verify ..." provider tables, which
// repeat rsa and dsa under other names) are skipped.
const signHeaders = [
  "sign verify sign/s verify/s",
  "sign verify encrypt decrypt sign/s verify/s encr./s decr./s",
];

/** "nistp256" -> "p256", "secp160r1" -> "p160", "brainpoolP256r1" -> "brp256r1". */
function curveOption(curve: string): string {
  const nist = /^nist([pkb]\d+)$/.exec(curve);
  if (nist) return nist[1];
  const secp = /^secp(\d+)r1$/.exec(curve);
  if (secp) return `p${secp[1]}`;
  const bp = /^brainpoolP(\d+)([rt]1)$/.exec(curve);
  if (bp) return `brp${bp[1]}${bp[2]}`;
  return `-${curve.toLowerCase()}`;
}

/** A row of a sign/verify table -> the `openssl speed` option naming it, and its numbers. */
function signRow(line: string): { algorithm: string; rest: string } | undefined {
  // "rsa 2048 bits ..." (1.x, 3.0, 3.1), "rsa  2048 bits ..." (3.2+), "dsa 2048 bits ...".
  const rd = /^(rsa|dsa)\s+(\d+)\s+bits?\s+(.*)$/.exec(line.trim());
  if (rd) return { algorithm: `${rd[1]}${rd[2]}`, rest: rd[3] };
  // " 256 bits ecdsa (nistp256) ..." (1.0 prints "bit"), " 253 bits EdDSA (Ed25519) ...".
  const ec = /^(\d+)\s+bits?\s+(ecdsa|EdDSA)\s+\(([^)]+)\)\s+(.*)$/.exec(line.trim());
  if (ec && ec[2] === "ecdsa") return { algorithm: `ecdsa${curveOption(ec[3])}`, rest: ec[4] };
  if (ec) return { algorithm: ec[3].toLowerCase(), rest: ec[4] };
  return undefined;
}

/**
 * openssl prints each time per operation as 1 / its rate ("%8.6fs" or "%8.4fs",
 * then "%8.1f"): with each one's rounding, the two must still meet, or one of
 * them was changed (a digit, a row of another run). A ParseError names both.
 */
function checkTimesAndRates(section: string, columns: string[], values: string[]): void {
  const times = columns.filter((c) => !c.endsWith("/s"));
  const rates = columns.filter((c) => c.endsWith("/s"));
  times.forEach((column, k) => {
    const time = values[columns.indexOf(column)];
    const rate = values[columns.indexOf(rates[k])];
    const [tLow, tHigh] = roundedFrom(time.replace(/s$/, ""));
    const [rLow, rHigh] = roundedFrom(rate);
    if (1 / rHigh > tHigh * (1 + 1e-9) || tLow > (1 / rLow) * (1 + 1e-9)) {
      throw new ParseError(
        ID,
        `${section}: ${rates[k]} ${rate} disagrees with ${column} ${time} ` +
          `(openssl prints the time as 1 / the rate, each rounded)`,
      );
    }
  });
}

function signTable(section: string, expected: string | undefined, body: string[]): Metric[] {
  let columns: string[] | undefined; // of the table we are in, if it is a sign/verify table
  const found: Metric[] = [];
  for (const line of body) {
    if (line.trim() === "") continue;
    const tokens = line.trim().split(/\s+/);
    const isHeader = !/\d/.test(line) && tokens.some((t) => t.endsWith("/s"));
    if (isHeader) {
      columns = signHeaders.includes(tokens.join(" ")) ? tokens : undefined;
      continue;
    }
    if (columns === undefined) continue; // preamble (version, options, ...) or another table
    const row = signRow(line);
    if (!row) throw new ParseError(ID, `${section}: cannot read row ${JSON.stringify(line)}`);
    const values = row.rest.split(/\s+/);
    if (values.length !== columns.length) {
      throw new ParseError(
        ID,
        `${section}: expected ${columns.length} columns in ${JSON.stringify(line)}, got ${values.length}`,
      );
    }
    values.forEach((v, i) => {
      const time = !columns![i].endsWith("/s");
      if (!(time ? /^\d+\.\d+s$/ : /^\d+\.\d$/).test(v)) {
        throw new ParseError(ID, `${section}: ${columns![i]}: garbled value ${JSON.stringify(v)}`);
      }
    });
    if (expected !== undefined && row.algorithm !== expected) {
      throw new ParseError(ID, `${section}: row for ${row.algorithm}, expected ${expected}`);
    }
    if (expected === undefined && !opensslSignNames.has(row.algorithm)) {
      throw new ParseError(
        ID,
        `${section}: ${row.algorithm} is not a signature test of \`openssl speed\` (benchmarks/openssl-names.ts)`,
      );
    }
    if (found.some((m) => m.labels.algorithm === row.algorithm)) {
      throw new ParseError(ID, `${section}: ${row.algorithm} twice`);
    }
    checkTimesAndRates(section, columns, values);
    for (const [column, name] of [
      ["sign/s", "sign_rate"],
      ["verify/s", "verify_rate"],
    ] as const) {
      found.push({
        name,
        value: num(ID, values[columns.indexOf(column)], `${section} ${column}`),
        unit: "ops/s",
        direction: "higher",
        labels: { algorithm: row.algorithm },
      });
    }
  }
  if (expected !== undefined && found.length !== 2) {
    throw new ParseError(ID, `${section}: expected one sign/verify row, got ${found.length / 2}`);
  }
  return found;
}

/**
 * Parses `openssl speed`'s own output, as a run by hand prints it: one or
 * several algorithms (`-evp NAME`, ciphers, digests, rsa/dsa/ecdsa/EdDSA),
 * their throughput table and sign/verify tables. The algorithms it has are
 * the run it describes.
 */
const throughputTitle = "The 'numbers' are in 1000s of bytes per second processed.";
/** A throughput table's row: a name, then a rate in kB/s ("1091977.22k") per block size. */
const throughputRowShape = /^\S.*?\s\d+(?:\.\d+)?k(?:\s+\d+(?:\.\d+)?k)*\s*$/;

/**
 * With -multi, OpenSSL prints the children's summed rows with neither the
 * table's title nor its "type ... bytes" header (speed.c prints them only after
 * tests the parent ran itself); the block sizes are in the children's "+H"
 * lines ("Got: +H:16:64:256:1024:8192:16384 from 0"). The title and header are
 * put back before each such block of rows, so one reader reads every table.
 */
function withMultiHeaders(lines: string[]): string[] {
  const sizes = [
    ...new Set(lines.flatMap((l) => /^Got: \+H:([\d:]+) from \d+\s*$/.exec(l)?.[1] ?? [])),
  ];
  if (sizes.length === 0) return lines;
  if (sizes.length > 1) {
    throw new ParseError(ID, `-multi children ran different block sizes: ${sizes.join(", ")}`);
  }
  const header = `type ${sizes[0]
    .split(":")
    .map((b) => `${b} bytes`)
    .join(" ")}`;
  const out: string[] = [];
  lines.forEach((l, i) => {
    const prev = out[out.length - 1] ?? "";
    if (
      throughputRowShape.test(l) &&
      !throughputRowShape.test(lines[i - 1] ?? "") &&
      !/^type\s/.test(prev)
    ) {
      out.push(throughputTitle, header);
    }
    out.push(l);
  });
  return out;
}

export function parseOpensslSpeedPlain(raw: string): {
  result: BenchmarkResult;
  ran: Record<string, unknown>;
} {
  const lines = raw.split("\n").map((l) => l.replace(/\r$/, ""));
  // 3.x prints "version: 3.0.22"; 1.x its banner "OpenSSL 1.1.1v  1 Aug 2023".
  const versions = lines.flatMap((l) => {
    const v3 = /^version: (\d+\.\d+\.\d+[a-z]*(?:-[a-z0-9]+)?)\s*$/.exec(l);
    if (v3) return [`OpenSSL ${v3[1]}`];
    const v1 = /^(OpenSSL|LibreSSL)\s+(\d+\.\d+\.\d+[a-z]*(?:-[a-z0-9]+)?)(\s|$)/.exec(l);
    return v1 ? [`${v1[1]} ${v1[2]}`] : [];
  });
  if (new Set(versions).size !== 1) {
    throw new ParseError(
      ID,
      versions.length === 0
        ? 'no "version: x.y.z" (3.x) or "OpenSSL x.y.z" (1.x) line: not `openssl speed` output'
        : `versions ${[...new Set(versions)].join(", ")}: one run per file`,
    );
  }
  const body = withMultiHeaders(lines);
  const titles = body.flatMap((l, i) =>
    /^The 'numbers' are in 1000s of bytes per second processed\.\s*$/.test(l) ? [i] : [],
  );
  const metrics: Metric[] = [
    ...titles.flatMap((i) => throughputTable("throughput table", undefined, body, i)),
    ...signTable("sign/verify tables", undefined, body),
  ];
  if (metrics.length === 0) throw new ParseError(ID, "no throughput or sign/verify table");
  const algorithms = (name: string) => [
    ...new Set(metrics.filter((m) => m.name === name).map((m) => m.labels.algorithm)),
  ];
  return {
    result: validated(ID, { benchmark: ID, toolVersion: versions[0], metrics }),
    ran: {
      ciphers: algorithms("throughput"),
      publicKey: algorithms("sign_rate"),
      // -multi N forks N children (their rates are summed); -seconds S or the default lengths.
      // (Several runs in one file each say theirs: the children's numbers, counted once.)
      multi: new Set(body.flatMap((l) => /^Forked child (\d+)/.exec(l)?.[1] ?? [])).size || 1,
      seconds: [
        ...new Set(body.flatMap((l) => /^Doing .* for (\d+(?:\.\d+)?)s/.exec(l)?.[1] ?? [])),
      ],
    },
  };
}

/** Parses openssl-speed.sh output; every configured algorithm must have its table. */
export function parseOpensslSpeed(raw: string, params: OpensslSpeedParameters): BenchmarkResult {
  const got = sections(raw);
  const expected = [
    "version",
    ...params.ciphers.map((a) => `evp ${a}`),
    ...params.publicKey.map((a) => `pk ${a}`),
    "end",
  ];
  const names = got.map((s) => s.name);
  if (names.join("\n") !== expected.join("\n")) {
    const missing = expected.filter((e) => !names.includes(e));
    throw new ParseError(
      ID,
      missing.length > 0
        ? `missing section(s) ${missing.join(", ")}: output truncated or not from openssl-speed.sh`
        : `sections ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`,
    );
  }
  const version = /^(OpenSSL|LibreSSL)\s+(\d+\.\d+\.\d+[a-z]*(?:-[a-z0-9]+)?)(\s|$)/.exec(
    got[0].body[0] ?? "",
  );
  if (!version) {
    throw new ParseError(
      ID,
      `version: expected "OpenSSL x.y.z ...", got ${JSON.stringify(got[0].body[0])}`,
    );
  }
  const metrics: Metric[] = [];
  for (const s of got.slice(1, -1)) {
    const [kind, algorithm] = s.name.split(" ");
    metrics.push(
      ...(kind === "evp"
        ? throughputTable(s.name, algorithm, s.body)
        : signTable(s.name, algorithm, s.body)),
    );
  }
  return validated(ID, { benchmark: ID, toolVersion: `${version[1]} ${version[2]}`, metrics });
}

export const opensslSpeed: BenchmarkModule<typeof opensslSpeedParameters> = {
  id: ID,
  description:
    "OpenSSL's built-in speed test: cipher and digest throughput per block size, and " +
    "signature sign/verify rates, in wall-clock time so CPU quotas show.",
  packages: ["openssl"],
  parameters: opensslSpeedParameters,
  plain: parseOpensslSpeedPlain,
  quick: { seconds: 1 },
  script: script(__dirname, "openssl-speed.sh"),
  environment: (params) => {
    const p = opensslSpeedParameters.parse(params);
    return {
      VTB_OPENSSL_CIPHERS: p.ciphers.join(" "),
      VTB_OPENSSL_PUBLIC_KEY: p.publicKey.join(" "),
      VTB_OPENSSL_SECONDS: String(p.seconds),
    };
  },
  parse: parseOpensslSpeed,
  // Each cipher or digest at OpenSSL 3's six block sizes; a public key's sign,
  // verify, encrypt and decrypt (some versions run fewer).
  trialSeconds: (p) => p.seconds * (6 * p.ciphers.length + 4 * p.publicKey.length),
  // The bulk rate at the largest block size of each algorithm, as the 2006 paper quoted it.
  mainMetrics: ["throughput", "sign_rate", "verify_rate"],
};
