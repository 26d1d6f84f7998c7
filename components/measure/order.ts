import * as crypto from "crypto";
import prand from "pure-rand";

/**
 * The order a server's targets take turns in, round after round, so that the
 * drift of a shared machine (a warming CPU, a neighbour's job, a filling
 * cache) falls on every target alike instead of on whichever ran last.
 *
 * - random: randomized blocks; each round is every unit once, in an order
 *   drawn from the seed (the same seed, the same orders: a rerun is the same
 *   experiment, and the seed is archived with it).
 * - rotate: round-robin; round r starts with unit r mod n, so each unit runs
 *   first, second, ... equally often over n rounds.
 */
export const orderMethods = ["random", "rotate"] as const;
export type OrderMethod = (typeof orderMethods)[number];

/** The units' order for each of `rounds` rounds: indices 0..units-1, each once per round. */
export function roundOrders(
  units: number,
  rounds: number,
  method: OrderMethod,
  seed: string,
): number[][] {
  if (!Number.isInteger(units) || units < 1) throw new Error(`not a count of units: ${units}`);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`not a count of rounds: ${rounds}`);
  const identity = Array.from({ length: units }, (_, i) => i);
  if (method === "rotate") {
    return Array.from({ length: rounds }, (_, r) => identity.map((i) => (i + r) % units));
  }
  // A 32-bit seed from the text: any text seeds, and the same text the same.
  let rng = prand.xoroshiro128plus(
    crypto.createHash("sha256").update(seed).digest().readInt32LE(0),
  );
  const orders: number[][] = [];
  for (let r = 0; r < rounds; r++) {
    const o = [...identity];
    // Fisher-Yates, each draw uniform (pure-rand's unbiased integer distribution).
    for (let i = o.length - 1; i > 0; i--) {
      const [j, next] = prand.uniformIntDistribution(0, i, rng);
      rng = next;
      [o[i], o[j]] = [o[j], o[i]];
    }
    orders.push(o);
  }
  return orders;
}
