import { BenchmarkModule, PairSpec } from "../../benchmarks/types";
import { exportLines } from "../command";
import { hostStateOwner } from "../server/host-state";
import { envNames } from "./protocol";
import { pairProblem, PairSide } from "./reach";
import { Target, targetKey } from "./target";
import { Way } from "./way";
import { wayInto } from "./way-in";

/**
 * Where the two sides of a pair benchmark (iperf, ab) run, as seen from the
 * physical server where its client runs and its step starts.
 */
export interface Pairing {
  /** Where the benchmark's server is started and stopped. */
  server: Way;
  /** Where the client's trials run. */
  client: Way;
  /** The address the server listens on, in its target. */
  bind: string;
  /** Where the client connects. */
  connect: { host: string; port: number };
  /** The client's target, when it is not the server target's own host. */
  clientKey?: string;
}

/** A target as one side of a pair, for the reachability rule (reach.ts). */
function side(t: Target): PairSide {
  return {
    key: targetKey(t),
    physical: t.server,
    platform: t.platform,
    // A host is reached at its address when it has one for others; a VMware guest when it can serve.
    atAddress: t.platform === "baseline" ? t.remote !== undefined : t.peer !== undefined,
  };
}

/**
 * Pairs a server in `target` with a client in `client` (default: the target's
 * own host), or says why the two cannot reach each other (reach.ts: the same
 * rule config validation applies).
 */
export function pairUp(target: Target, port: number, client?: Target): Pairing {
  const where = targetKey(target);
  const clientKey = client ? targetKey(client) : undefined;
  const ownHost = !client || (client.server === target.server && client.platform === "baseline");
  if (client && (!ownHost || clientKey === where)) {
    const problem = pairProblem(side(target), side(client));
    if (problem) throw new Error(`${where} served to ${clientKey}: ${problem.message}`);
  }
  if (ownHost) {
    if (!target.peer)
      throw new Error(`${where}: this kind of target cannot host a pair's server yet`);
    const p = target.peer;
    return {
      server: p.way,
      client: p.netns ? { via: "netns", netns: p.netns } : { via: "host" },
      bind: p.bind,
      connect: p.connect(port),
      ...(clientKey ? { clientKey } : {}),
    };
  }
  if (client.server === target.server) {
    // Past the rule, the client is a KVM guest and the server bare metal or a KVM guest.
    const way = wayInto(client);
    const p = target.peer;
    const c = p && !p.netns ? p.connect(port) : undefined;
    if (!client.hostLoopback || !way || !p || !c || c.host !== "127.0.0.1") {
      throw new Error(`${where} served to ${clientKey}: the two do not reach each other here`);
    }
    return {
      server: p.way,
      client: way,
      bind: p.bind,
      connect: { host: client.hostLoopback, port: c.port },
      clientKey,
    };
  }
  // Past the rule, both are hosts and the target's is reached at its address.
  const remote = target.remote!;
  return {
    server: remote.way,
    client: { via: "host" },
    bind: remote.address,
    connect: { host: remote.address, port },
    clientKey,
  };
}

/**
 * The `export` lines a pair's server script is sent in with: the benchmark's
 * environment for the server's side, and the owner its server is named for
 * (listen.sh): the stack, the server's target and the benchmark, so the next
 * start of this pair stops a server it left running (its stop failed) and never
 * touches another's.
 */
export function pairServerExports(
  m: BenchmarkModule,
  pair: PairSpec,
  params: unknown,
  target: Target,
  p: Pairing,
): string {
  return exportLines({
    ...m.environment(pair.withAddress(params, p.bind, pair.port(params))),
    [envNames.serveOwner]: hostStateOwner(`pair server: ${targetKey(target)}: ${m.id}`),
  });
}
