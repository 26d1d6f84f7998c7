import { bonnie } from "./bonnie";
import { hepspec06 } from "./hepspec06";
import { opensslSpeed } from "./openssl-speed";
import { BenchmarkModule } from "./types";
import { unixbench } from "./unixbench";

/** Every benchmark module, by id. */
export const benchmarks: Record<string, BenchmarkModule> = Object.fromEntries(
  [unixbench, bonnie, opensslSpeed, hepspec06].map((m) => [m.id, m as BenchmarkModule]),
);

export const benchmarkIds = Object.keys(benchmarks);
