import { ab } from "./ab";
import { bonnie } from "./bonnie";
import { hepspec06 } from "./hepspec06";
import { iperf, iperf3 } from "./iperf";
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

/**
 * Benchmarks that measure between two targets (a server on one, the client on
 * the other). Their modules parse, but the run pipeline does not pair targets
 * yet, so a stack that asks for them is refused with this reason.
 */
export const notRunnableYet: Record<string, string> = {
  iperf: "runs between two targets, which the run pipeline cannot pair yet (npm run parse works)",
  iperf3: "runs between two targets, which the run pipeline cannot pair yet (npm run parse works)",
};

export const benchmarkIds = Object.keys(benchmarks);
