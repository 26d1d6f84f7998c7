// npm run benchmarks [-- <id>] [--json]: each benchmark with its parameters
// (type, default, range), its quick profile and its headline metrics, read
// from the modules themselves (benchmarks/*.ts), so the list is never stale.
import { parseArgs } from "util";
import { benchmarks } from "../benchmarks";
import { jsonSchemaOf } from "../components/config-keys";

export const usage =
  "usage: npm run --silent benchmarks -- [<benchmark-id>] [--json]\n" +
  "Lists each benchmark a stack's testbed:benchmarks may name: what it measures, its\n" +
  "parameters (type, default, range) for `parameters:`, its `profile: quick`, and the\n" +
  "metrics its report leads with.\n";

type Prop = {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  items?: Prop;
  pattern?: string;
};

/** "integer 1..16777216, default 1024". */
function describe(p: Prop): string {
  const type =
    p.enum !== undefined
      ? `one of ${p.enum.map((v) => JSON.stringify(v)).join(", ")}`
      : p.type === "array"
        ? `list of ${p.items?.type ?? "values"}`
        : (p.type ?? "value");
  const range =
    p.minimum !== undefined || p.maximum !== undefined
      ? ` ${p.minimum ?? ""}..${p.maximum ?? ""}`
      : "";
  const def = p.default !== undefined ? `, default ${JSON.stringify(p.default)}` : ", required";
  return `${type}${range}${def}`;
}

export function listing(ids = Object.keys(benchmarks)): string {
  return ids
    .map((id) => {
      const m = benchmarks[id];
      const props = (jsonSchemaOf(m.parameters).properties ?? {}) as Record<string, Prop>;
      const lines = [
        `${id}: ${m.description}`,
        `  packages: ${m.packages.join(", ") || "none"}${m.pair ? "; a pair: its server runs in the target, its client on the host" : ""}`,
        "  parameters:",
        ...Object.entries(props).map(([k, p]) => `    ${k}: ${describe(p)}`),
        `  profile quick: ${JSON.stringify(m.quick)}`,
        ...(m.mainMetrics ? [`  headline metrics: ${m.mainMetrics.join(", ")}`] : []),
        ...(m.plain
          ? ["  npm run parse / import read its own output, as a run by hand prints it"]
          : []),
      ];
      return lines.join("\n");
    })
    .join("\n\n");
}

export function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void },
): number {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: { json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
    });
  } catch (e) {
    io.err(`benchmarks: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if (a.values.help) {
    io.out(usage);
    return 0;
  }
  const ids = a.positionals.length > 0 ? a.positionals : Object.keys(benchmarks);
  const unknown = ids.filter((id) => !Object.prototype.hasOwnProperty.call(benchmarks, id));
  if (unknown.length > 0) {
    io.err(
      `benchmarks: unknown benchmark ${unknown[0]} (known: ${Object.keys(benchmarks).join(", ")})\n`,
    );
    return 2;
  }
  if (a.values.json) {
    const out = Object.fromEntries(
      ids.map((id) => {
        const m = benchmarks[id];
        return [
          id,
          {
            description: m.description,
            packages: m.packages,
            parameters: jsonSchemaOf(m.parameters),
            quick: m.quick,
            mainMetrics: m.mainMetrics ?? [],
            pair: m.pair !== undefined,
            readsOwnOutput: m.plain !== undefined,
          },
        ];
      }),
    );
    io.out(JSON.stringify(out, null, 2) + "\n");
  } else {
    io.out(listing(ids) + "\n");
  }
  return 0;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  });
}
