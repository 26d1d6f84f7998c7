import { ab } from "./ab";
import { bonnie } from "./bonnie";
import { hepspec06 } from "./hepspec06";
import { iperf, iperf3 } from "./iperf";
import { opensslSpeed } from "./openssl-speed";
import { postal } from "./postal";
import { BenchmarkModule, PairSpec } from "./types";
import { unixbench } from "./unixbench";

export type { PairSpec };

/** Every benchmark module, by id. */
export const benchmarks: Record<string, BenchmarkModule> = Object.fromEntries(
  [unixbench, bonnie, opensslSpeed, ab, postal, hepspec06, iperf, iperf3].map((m) => [
    m.id,
    m as BenchmarkModule,
  ]),
);

/** The pair benchmarks (iperf, ab), by id: each module declares its own server side. */
export const pairs: Record<string, PairSpec> = Object.fromEntries(
  Object.values(benchmarks).flatMap((m) => (m.pair ? [[m.id, m.pair as PairSpec]] : [])),
);

/** Benchmarks a stack may not ask for yet, with the reason. */
export const notRunnableYet: Record<string, string> = {};

export const benchmarkIds = Object.keys(benchmarks);
