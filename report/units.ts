/**
 * Values in their natural scale: a throughput a tool printed in kB/s as
 * 1058000 reads "1.06 GB/s", a latency of 0.042 ms "42.0 µs", 12345 ops/s
 * "12.3 k ops/s". One rule for every unit: the prefix that puts the value
 * between 1 and 1000, three significant digits (more only where two values
 * shown together would otherwise look equal).
 *
 * A unit is a numerator, optionally per something ("/s", "/min"):
 * - bytes stay in their system: kB, MB, GB (powers of 1000: openssl's "kB/s"
 *   is 1000 bytes) or KiB, MiB, GiB (powers of 1024: bonnie's and ab's);
 * - bits: bit, kbit, Mbit, Gbit (iperf's "Mbit/s"; "bps", "Mbps" read too);
 * - time: ns, µs, ms, s ("us" reads as µs);
 * - a count per time (ops/s, requests/s, messages/min): k, M, G before it;
 * - anything else (%, count, index, ratio, HS06, a unit unknown here) is left
 *   as it is, the number with sensible digits.
 */

/** A ladder of prefixes: each step's factor against the unit's base, and its label. */
interface Ladder {
  steps: [factor: number, label: string][];
}

interface ParsedUnit {
  /** The ladder the unit climbs, and the factor of the unit as written against the ladder's base. */
  ladder?: Ladder;
  factor: number;
  /** How a step's label and the rest of the unit make a unit again. */
  compose: (step: string) => string;
}

const decimalBytes: Ladder = {
  steps: [
    [1, "B"],
    [1e3, "kB"],
    [1e6, "MB"],
    [1e9, "GB"],
    [1e12, "TB"],
    [1e15, "PB"],
  ],
};
const binaryBytes: Ladder = {
  steps: [
    [1, "B"],
    [1024, "KiB"],
    [1024 ** 2, "MiB"],
    [1024 ** 3, "GiB"],
    [1024 ** 4, "TiB"],
    [1024 ** 5, "PiB"],
  ],
};
const bits: Ladder = {
  steps: [
    [1, "bit"],
    [1e3, "kbit"],
    [1e6, "Mbit"],
    [1e9, "Gbit"],
    [1e12, "Tbit"],
  ],
};
const seconds: Ladder = {
  steps: [
    [1e-9, "ns"],
    [1e-6, "µs"],
    [1e-3, "ms"],
    [1, "s"],
  ],
};
const counts: Ladder = {
  steps: [
    [1, ""],
    [1e3, "k"],
    [1e6, "M"],
    [1e9, "G"],
    [1e12, "T"],
  ],
};

const decimalPrefix: Record<string, number> = {
  "": 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
};
const binaryPrefix: Record<string, number> = {
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
};
const timeFactor: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
};

/** A unit's ladder, or none when the unit is not one this module scales. */
function parseUnit(unit: string): ParsedUnit {
  const plain: ParsedUnit = { factor: 1, compose: () => unit };
  const m = /^([^/\s]+)(\/[A-Za-z]+)?$/.exec(unit.trim());
  if (!m) return plain;
  const [, num, written = ""] = m;
  const per = written === "/sec" ? "/s" : written;
  const bytes = /^(|[kMGTP]|[KMGTP]i)B$/.exec(num);
  if (bytes) {
    const p = bytes[1];
    const binary = p.endsWith("i");
    return {
      ladder: binary ? binaryBytes : decimalBytes,
      factor: binary ? binaryPrefix[p] : decimalPrefix[p],
      compose: (s) => `${s}${per}`,
    };
  }
  const bit = /^([kKMGT]?)(bits?|b(?=ps$))(ps)?$/.exec(num);
  if (bit && (per === "/s" || (per === "" && bit[3] === "ps"))) {
    return { ladder: bits, factor: decimalPrefix[bit[1]], compose: (s) => `${s}/s` };
  }
  if (per === "" && Object.hasOwn(timeFactor, num)) {
    return { ladder: seconds, factor: timeFactor[num], compose: (s) => s };
  }
  // A count per time: "ops/s", "requests/s", "messages/min" (not "%/s" nor "kB/min", handled above).
  if (per !== "" && /^[A-Za-z][A-Za-z_-]*$/.test(num)) {
    return {
      ladder: counts,
      factor: 1,
      compose: (s) => (s ? `${s} ${num}${per}` : `${num}${per}`),
    };
  }
  return plain;
}

/** 1234567 -> "1,234,567": an integer with thousands separators. */
function grouped(x: number): string {
  const s = Math.round(Math.abs(x)).toString();
  return `${x < 0 ? "-" : ""}${s.replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

/** x with `digits` significant digits, never in exponent notation; 1000 and above grouped. */
function significant(x: number, digits: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000) return grouped(x);
  // toPrecision's exponent form starts below 1e-6: show such a value as it is, it is rare.
  if (a < 1e-6) return x.toExponential(digits - 1);
  const s = x.toPrecision(digits);
  // 999.7 to three digits is "1.00e+3": a thousand or more is grouped.
  if (Math.abs(Number(s)) >= 1000) return grouped(x);
  // 170 to two digits is "1.7e+2": the rounded number is written out, "170".
  return s.includes("e") ? String(Number(s)) : s;
}

/** A scale for values of one unit: the prefix chosen, and a formatter for numbers in it. */
export interface Scale {
  /** The unit the values are shown in, e.g. "GB/s". */
  unit: string;
  /** What a value in the original unit is divided by. */
  divisor: number;
  /** The number alone in this scale, with `digits` significant digits. */
  number: (x: number, digits?: number) => string;
  /** The number and the unit: "1.06 GB/s". */
  format: (x: number, digits?: number) => string;
}

function checked(x: number): number {
  if (!Number.isFinite(x)) throw new Error(`a value came out as ${x}`);
  return x;
}

/**
 * The scale that shows `reference` (in `unit`) between 1 and 1000 of a
 * prefix: the same scale then shows its neighbours (a range, a standard
 * deviation) in the same prefix.
 */
export function scaleFor(unit: string, reference: number): Scale {
  checked(reference);
  const p = parseUnit(unit);
  if (!p.ladder) {
    // Dimensionless or unknown: an integer as it is, else three significant digits.
    const number = (x: number, digits = 3) =>
      Number.isInteger(checked(x)) ? grouped(x) : significant(x, digits);
    return {
      unit,
      divisor: 1,
      number,
      // "12.3%", "5 count", "42.0 HS06".
      format: (x, d) =>
        unit === "%" || unit === "" ? `${number(x, d)}${unit}` : `${number(x, d)} ${unit}`,
    };
  }
  const base = Math.abs(reference) * p.factor;
  const steps = p.ladder.steps;
  // The largest step not above the value; the smallest for zero or a value below every step.
  let step = steps[0];
  // 999.7 MB/s shows as "1.00 GB/s", not "1,000 MB/s": a step is taken from where three digits round up to it.
  for (const s of steps) if (base >= s[0] * 0.9995) step = s;
  if (base === 0) step = steps.find((s) => s[0] === p.factor) ?? steps[0];
  const divisor = step[0] / p.factor;
  const shown = p.compose(step[1]);
  const number = (x: number, digits = 3) => significant(checked(x) / divisor, digits);
  return {
    unit: shown,
    divisor,
    number,
    format: (x, d) => `${number(x, d)} ${shown}`,
  };
}

/** One value in its natural scale: formatQuantity(1.058e6, "kB/s") is "1.06 GB/s". */
export function formatQuantity(x: number, unit: string): string {
  return scaleFor(unit, x).format(x);
}

/**
 * Significant digits (3 to 6) enough to tell apart values that differ, in a
 * scale: a range of 1.0612 to 1.0648 GB/s shows as "1.061–1.065", not "1.06–1.06".
 */
export function digitsFor(scale: Scale, values: number[]): number {
  for (let d = 3; d < 6; d++) {
    const shown = new Map<string, number>();
    let clash = false;
    for (const v of values) {
      const s = scale.number(v, d);
      const prev = shown.get(s);
      if (prev !== undefined && prev !== v) clash = true;
      shown.set(s, v);
    }
    if (!clash) return d;
  }
  return 6;
}
