import { AbParameters, ab, serverScript as abServer } from "./ab";
import { bonnie } from "./bonnie";
import { hepspec06 } from "./hepspec06";
import { IperfParameters, iperf, iperf3, serverScript as iperfServer } from "./iperf";
import { opensslSpeed } from "./openssl-speed";
import { postal } from "./postal";
import { BenchmarkModule } from "./types";
import { unixbench } from "./unixbench";

/** Every benchmark module, by id. */
export const benchmarks: Record<string, BenchmarkModule> = Object.fromEntries(
  [unixbench, bonnie, opensslSpeed, ab, postal, hepspec06, iperf, iperf3].map((m) => [
    m.id,
    m as BenchmarkModule,
  ]),
);

/** Benchmarks measured between two sides: a server in the target, the client on its server's side (iperf, ab). */
export interface PairSpec {
  serverScript: string;
  port(params: unknown): number;
  withAddress(params: unknown, host: string, port: number): unknown;
}

const iperfPair: PairSpec = {
  serverScript: iperfServer,
  port: (p) => (p as IperfParameters).port,
  withAddress: (p, host, port) => ({ ...(p as IperfParameters), server: host, port }),
};
const abPair: PairSpec = {
  serverScript: abServer,
  port: (p) => (p as AbParameters).port,
  withAddress: (p, host, port) => ({ ...(p as AbParameters), server: host, port }),
};
export const pairs: Record<string, PairSpec> = { iperf: iperfPair, iperf3: iperfPair, ab: abPair };

/** Benchmarks a stack may not ask for yet, with the reason. */
export const notRunnableYet: Record<string, string> = {};

export const benchmarkIds = Object.keys(benchmarks);
