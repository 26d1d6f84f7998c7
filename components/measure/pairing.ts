import { Target, targetKey } from "./target";
import { Way, wayInto } from "./way-in";

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

/**
 * Pairs a server in `target` with a client in `client` (default: the target's
 * own host), or says why the two cannot reach each other. What reaches what:
 * a server's host reaches each of its targets; a VM guest reaches its host's
 * loopback, so bare metal and the other VMs' forwards; another server reaches
 * a host at its SSH address. A container's own network namespace is reached
 * from its host only.
 */
export function pairUp(target: Target, port: number, client?: Target): Pairing {
  const where = targetKey(target);
  const clientKey = client ? targetKey(client) : undefined;
  if (clientKey === where) throw new Error(`${where}: a pair needs two targets`);
  const ownHost = !client || (client.server === target.server && client.platform === "baseline");
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
    const way = wayInto(client);
    if (!client.hostLoopback || !way) {
      throw new Error(
        `${clientKey}: a pair's client runs on a server's host or in a VM guest; ` +
          "a container has a network namespace of its own",
      );
    }
    const p = target.peer;
    const c = p && !p.netns ? p.connect(port) : undefined;
    if (!p || !c || c.host !== "127.0.0.1") {
      throw new Error(
        `${where}: not reachable from ${clientKey}: a VM guest reaches its host's loopback ` +
          "(bare metal, other VM guests' forwards) only",
      );
    }
    return {
      server: p.way,
      client: way,
      bind: p.bind,
      connect: { host: client.hostLoopback, port: c.port },
      clientKey,
    };
  }
  if (client.platform !== "baseline" || target.platform !== "baseline" || !target.remote) {
    throw new Error(
      `${where}: not reachable from ${clientKey}: across servers a pair runs host to host, ` +
        "with the server's host an SSH server at an IPv4 address without a jump host",
    );
  }
  return {
    server: target.remote.way,
    client: { via: "host" },
    bind: target.remote.address,
    connect: { host: target.remote.address, port },
    clientKey,
  };
}
