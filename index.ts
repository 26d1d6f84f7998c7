import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "./benchmarks";
import { isIpv4 } from "./benchmarks/types";
import { BenchmarkConfig, kvmForwards, loadTestbedConfig, serverKey } from "./components/config";
import { createGuests, GuestImage, GuestKey, guestInfos, imagePackages } from "./components/guests";
import { guestObjectName } from "./components/guests/naming";
import {
  aggregateConcurrent,
  assemble,
  compareToBaseline,
  ConcurrentGroup,
  RunRecord,
} from "./components/measure/results";
import { ConcurrentRun } from "./components/measure/group";
import { wayInto } from "./components/measure/way-in";
import { BenchmarkRun, Measured } from "./components/measure/run";
import { Target, targetKey } from "./components/measure/target";
import { createPlatform } from "./components/platforms";
import { skipPromiseDebugStacks } from "./components/promise-stacks";
import { skipSdkDebugLogs } from "./components/sdk-debug-logs";
import { ResultsArchive } from "./components/results/archive";
import { PhysicalServer } from "./components/server";
import { keepSecret, redactor } from "./components/secrets";

// The SDK's per-promise debug traces cost half the program's time at scale;
// they are left unformatted unless PULUMI_DEBUG_PROMISE_LEAKS is set.
skipPromiseDebugStacks();
// Nor does it send the engine its debug lines, a few gRPC calls per resource,
// unless VTB_SDK_DEBUG_LOGS is set.
skipSdkDebugLogs();

// Validated before any resource exists: a bad key fails here, naming itself
// (a RunError: the message alone, without a stack trace).
function load() {
  try {
    return loadTestbedConfig();
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}
const config = load();
// Before the first resource: every one made from here on keeps them secret.
keepSecret(config.secrets);
/** Outputs and the archive show [secret] where a value set as secret would be. */
const hidden = redactor(config.secrets).deep;
const stack = pulumi.getStack();
const { sshKeys: _secret, secrets: _secrets, ...plainConfig } = config;

// Guests carry the configured benchmarks' tools (containers have no uplink to install them).
const benchmarkPackages = [...new Set(config.benchmarks.flatMap((b) => benchmarks[b.id].packages))];

// KVM guests forward the pair benchmarks' ports as configured (iperf3 on port 5300 too).
const forwards = kvmForwards(config.benchmarks);

// One SSH key pair for the stack's VM guests, made on first use.
let guestKey: GuestKey | undefined;
const key = () => (guestKey ??= new GuestKey("guest-key"));

const servers = config.servers.map((server) => {
  const srv = new PhysicalServer(server.name, {
    server,
    sshPrivateKey: config.sshKeys.apply((k) => serverKey(k, server)),
    defaultProbeKernel: process.env.VTB_GUEST_KERNEL,
  });
  // A server has platforms; a platform has guests. The image is built once per server.
  let image: GuestImage | undefined;
  let port = server.guestSshPortBase;
  let ordinal = 0;
  const platforms = server.platforms.map((p) => {
    const platform = createPlatform(
      `${server.name}-${p.type}`,
      { server: srv, config: p },
      { parent: srv },
    );
    const guests = createGuests({
      server: srv,
      platform,
      config: p,
      stack,
      image: () =>
        (image ??= new GuestImage(
          `${server.name}-image`,
          { server: srv, packages: [...new Set([...imagePackages, ...benchmarkPackages])] },
          { parent: srv },
        )),
      key,
      nextSshPort: () => port++,
      kvmForwards: forwards,
      nextOrdinal: () => ordinal++,
      sshKeys: config.sshKeys,
    });
    return {
      type: p.type,
      info: platform.info,
      guests: guestInfos(guests),
      targets: guests.map((g) => g.target),
    };
  });

  // Bare metal is measured with the tools installed on the server itself (and
  // removed on destroy); a pair benchmark's client (iperf, ab) runs there too.
  const targets: Target[] = [];
  const baseline = server.platforms.some((p) => p.type === "baseline");
  const onServer = config.benchmarks.filter((b) =>
    b.pairs
      ? b.pairs.some((p) => [p.server, p.client].some((k) => k.startsWith(`${server.name}/`)))
      : baseline || pairs[b.id],
  );
  const tools =
    onServer.length === 0
      ? undefined
      : srv.installPackages(
          `${server.name}-benchmark-tools`,
          {
            step: `server ${server.name}: install benchmark tools`,
            packages: [...new Set(onServer.flatMap((b) => benchmarks[b.id].packages))],
          },
          { parent: srv },
        );
  // The server's own host: bare metal's target, and a pair's client or server.
  const c = server.connection;
  const host: Target | undefined = tools && {
    server: server.name,
    platform: "baseline",
    guest: "host",
    connection: srv.connection,
    ready: [tools],
    info: srv.facts,
    peer: {
      way: { via: "host" },
      bind: "127.0.0.1",
      connect: (port) => ({ host: "127.0.0.1", port }),
    },
    // Another server reaches it at its SSH address, with its key.
    ...(c.type === "ssh" && !c.jump && isIpv4(c.host) && srv.connection
      ? {
          remote: {
            address: c.host,
            way: {
              via: "ssh" as const,
              host: c.host,
              port: c.port,
              user: c.user,
              privateKey: srv.connection.privateKey,
            },
          },
        }
      : {}),
  };
  if (baseline && host) targets.push(host);
  targets.push(...platforms.flatMap((p) => p.targets));
  return {
    name: server.name,
    srv,
    platforms,
    targets,
    host,
    // Every target up before the server's first run: a guest booting would disturb a measurement.
    allReady: [...new Set([...targets.flatMap((t) => t.ready), ...(tools ? [tools] : [])])],
    /** The runs so far on this server; the next one starts after them. */
    previous: [] as pulumi.Resource[],
    /** Settles once the runs made so far are registered: the next run is made then. */
    made: Promise.resolve(),
    runs: [] as { target: Target; benchmark: string; run: Measured }[],
    concurrent: [] as ConcurrentGroup[],
  };
});
type Server = (typeof servers)[number];

// One run at a time on each server, in config order, after every target there is
// up; different servers measure in parallel. A concurrent benchmark starts all
// guests of a platform together instead; a pair across two servers holds both.
//
// A server's runs of a benchmark (one per target) are made once its runs of the
// benchmark before are registered (at `up`: have run), not all at the start. A
// resource waiting on its dependencies holds the SDK's promises for each of its
// outputs, about 160 KB, and runs are three fifths of a server's resources:
// made at once, 64 servers' runs held 1.2 GiB of the program's heap (npm run
// bench:scale). They wait for each other anyway, so nothing runs later for it.
for (const b of config.benchmarks) {
  if (b.pairs) b.pairs.forEach((p) => pairRun(b, p));
  else servers.forEach((s) => (s.made = afterMade([s], () => serverRuns(s, b))));
}

/** Runs `make` once the servers' runs so far are registered; settles when what it made is. */
function afterMade(sides: Server[], make: () => void): Promise<void> {
  return Promise.all(sides.map((s) => s.made))
    .then(make)
    .then(() => Promise.all(sides.flatMap((s) => s.previous.map(registered))))
    .then(() => undefined);
}

/** Settles when the resource is registered (its URN known); rejects when that fails. */
function registered(r: pulumi.Resource): Promise<string> {
  // `promise()` is the SDK's own, left out of its typings: `apply` would never
  // call back for a registration that failed, and the program would hang.
  return (r.urn as unknown as { promise(): Promise<string> }).promise();
}

/** `b` on each of the server's targets: the server's own host runs a pair's client. */
function serverRuns(s: Server, b: BenchmarkConfig) {
  const groups: Target[][] = [];
  for (const t of s.targets) {
    if (b.platforms && !b.platforms.includes(t.platform as (typeof b.platforms)[number])) continue;
    if (pairs[b.id] && !t.peer) {
      pulumi.log.warn(
        `${targetKey(t)}: ${b.id} needs a server inside the target, which this kind of target cannot have yet; skipped`,
      );
      continue;
    }
    const last = groups[groups.length - 1];
    if (b.concurrent && t.platform !== "baseline" && last?.[0].platform === t.platform) {
      last.push(t);
    } else {
      groups.push([t]);
    }
  }
  const ready = (t: Target) => (s.previous.length > 0 ? t.ready : s.allReady);
  for (const group of groups) {
    // A concurrent group starts as one step from the server, so it also reruns as one.
    if (group.length > 1 && !pairs[b.id] && group.every((t) => wayInto(t))) {
      const first = group[0];
      const together = new ConcurrentRun(
        `${first.server}-${first.platform}-${b.id}`,
        {
          targets: group.map((t) => ({ ...t, ready: ready(t) })),
          module: benchmarks[b.id],
          params: b.params,
          repeats: b.repeats,
          trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
          after: s.previous,
          serverConnection: s.srv.connection,
        },
        { parent: s.srv },
      );
      group.forEach((t, i) =>
        s.runs.push({ target: t, benchmark: b.id, run: together.members[i] }),
      );
      s.previous = [together.command];
      s.concurrent.push({
        server: s.name,
        platform: first.platform,
        benchmark: b.id,
        guests: group.map((t) => t.guest),
      });
      continue;
    }
    if (group.length > 1) {
      pulumi.log.warn(
        `${s.name}/${group[0].platform}: ${b.id} cannot start its guests as one step ` +
          `(${pairs[b.id] ? "it pairs each guest with the host" : "the server cannot enter them"}); ` +
          "they start together but a guest that fails reruns alone",
      );
    }
    const started = group.map((t) => {
      const run = new BenchmarkRun(
        `${t.server}-${t.platform}-${t.guest}-${b.id}`,
        {
          target: { ...t, ready: ready(t) },
          module: benchmarks[b.id],
          params: b.params,
          repeats: b.repeats,
          trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
          after: s.previous,
          pair: pairs[b.id],
          serverConnection: s.srv.connection,
        },
        { parent: s.srv },
      );
      s.runs.push({ target: t, benchmark: b.id, run });
      return run.command;
    });
    s.previous = started;
    if (group.length > 1) {
      s.concurrent.push({
        server: s.name,
        platform: group[0].platform,
        benchmark: b.id,
        guests: group.map((t) => t.guest),
      });
    }
  }
}

/**
 * `b` between two named targets (`pairs`): its server in one, its client in the
 * other, started from the client's physical server. Runs on both servers wait
 * for it and it for them, so neither measures anything else meanwhile.
 */
function pairRun(b: BenchmarkConfig, p: { server: string; client: string }) {
  const sides = pairSides(b, p);
  const made = afterMade(sides.servers, () => pairRunNow(b, sides));
  for (const s of sides.servers) s.made = made;
}

function pairSides(b: BenchmarkConfig, p: { server: string; client: string }) {
  // Config names a guest as configured (vm, vm-0); its objects are named for the stack.
  const find = (key: string) => {
    const [server, platform, guest] = key.split("/");
    const objectKey = `${server}/${platform}/${guestObjectName(stack, guest, 0, 1)}`;
    for (const s of servers) {
      const t = [...s.targets, ...(s.host ? [s.host] : [])].find(
        (t) => targetKey(t) === key || targetKey(t) === objectKey,
      );
      if (t) return { s, t };
    }
    throw new Error(`${b.id}: no target ${key}`); // config validation names it first
  };
  const { s: a, t: target } = find(p.server);
  const { s: c, t: client } = find(p.client);
  return { a, target, c, client, servers: a === c ? [a] : [a, c] };
}

function pairRunNow(b: BenchmarkConfig, p: ReturnType<typeof pairSides>) {
  const { a, target, c, client, servers: sides } = p;
  const run = new BenchmarkRun(
    `${target.server}-${target.platform}-${target.guest}-${b.id}`,
    {
      target,
      client,
      module: benchmarks[b.id],
      params: b.params,
      repeats: b.repeats,
      trialTimeoutSeconds: b.trialTimeoutMinutes * 60,
      after: sides.flatMap((s) => (s.previous.length > 0 ? s.previous : s.allReady)),
      pair: pairs[b.id],
      serverConnection: c.srv.connection,
    },
    { parent: a.srv },
  );
  a.runs.push({ target, benchmark: b.id, run });
  for (const s of sides) s.previous = [run.command];
}

// Everything below is per server: a server that cannot be reached (its steps
// fail) leaves its own outputs unknown, never the other servers' results.

function describeServer({ srv, platforms }: Server) {
  return pulumi.output({
    profile: srv.config.profile,
    profileCheck: srv.profileCheck,
    facts: srv.facts,
    accel: srv.accel,
    platforms: Object.fromEntries(
      platforms.map((p) => [p.type, { info: p.info, guests: p.guests }]),
    ),
  });
}

// Results: every trial parsed, summarized per metric, compared with the same
// server's bare metal, and archived in results/<stack>/<run id>/ (kept by destroy).
function measure(s: Server) {
  // One Output for all of the server's runs, not one per run: each costs memory
  // a large farm feels (bench:scale).
  const trials = pulumi.all(s.runs.map(({ run }) => run.trials));
  const records = trials.apply((all) =>
    all.map((t, i): RunRecord => ({
      server: s.runs[i].target.server,
      platform: s.runs[i].target.platform,
      guest: s.runs[i].target.guest,
      benchmark: s.runs[i].benchmark,
      ...(s.runs[i].run.client ? { client: s.runs[i].run.client } : {}),
      trials: t,
    })),
  );
  const results = records.apply(assemble);
  const comparison = results.apply(compareToBaseline);
  /** Guests that ran a benchmark at once, as one (the 2009 paper's 8-VM aggregate). */
  const aggregates = results.apply((r) => aggregateConcurrent(r, s.concurrent));
  return { trials, results, comparison, aggregates };
}

function archiveRun(s: Server, m: ReturnType<typeof measure>, description: pulumi.Output<unknown>) {
  if (s.runs.length === 0) return undefined;
  const targetInfos = pulumi.all(Object.fromEntries(s.targets.map((t) => [targetKey(t), t.info])));
  // Each trial's output exactly as the tool printed it, so `npm run parse` reads it back.
  const rawOutputs = m.trials.apply((all) =>
    Object.fromEntries(
      all.flatMap((trials, i) => {
        const { target, benchmark, run } = s.runs[i];
        const dir = `raw/${targetKey(target)}/${benchmark}`;
        return [
          ...trials.map((t) => [`${dir}/trial-${t.index}.txt`, t.raw] as const),
          // The parameters the trials ran with: `npm run parse` reads them from beside the trials.
          [`${dir}/parameters.json`, JSON.stringify(run.params, null, 2) + "\n"] as const,
        ];
      }),
    ),
  );
  const newest = pulumi
    .all(s.runs.map((r) => r.run.startedAt))
    .apply((ts) => [...ts].sort().pop() ?? "");
  const files = pulumi
    .all([m.results, m.comparison, m.aggregates, targetInfos, description, rawOutputs])
    .apply(([r, c, agg, infos, tb, raw]): Record<string, string> => ({
      "results.json":
        JSON.stringify(
          // The configuration (keys and secrets not part of it) explains a difference between two runs.
          hidden({
            stack,
            server: s.name,
            config: plainConfig,
            testbed: { [s.name]: tb },
            targets: infos,
            results: r,
            comparison: c,
            aggregates: agg,
          }),
          null,
          2,
        ) + "\n",
      ...hidden(raw),
    }));
  const runId = pulumi.all([files, newest]).apply(([f, started]) => {
    const digest = crypto.createHash("sha256").update(JSON.stringify(f)).digest("hex").slice(0, 8);
    // One folder per server and run; a stack of several servers has several per run.
    const who = servers.length > 1 ? `-${s.name}` : "";
    return `${started.replace(/[:.]/g, "-")}${who}-${digest}`;
  });
  return new ResultsArchive(
    `${s.name}-results-archive`,
    { root: __dirname, stack, runId, files },
    { parent: s.srv },
  ).dir;
}

const perServer = servers.map((s) => {
  const description = describeServer(s);
  // Once every run is made (see afterMade).
  const measured = s.made.then(() => {
    const m = measure(s);
    return { ...m, archive: archiveRun(s, m, description) };
  });
  return { name: s.name, description, measured };
});
const byServer = <T>(pick: (p: (typeof perServer)[number]) => T) =>
  Object.fromEntries(perServer.map((p) => [p.name, pick(p)]));
const measuredOf = <T>(p: (typeof perServer)[number], pick: (m: Measurement) => T) =>
  pulumi.output(p.measured.then(pick)).apply(hidden);
type Measurement = Awaited<(typeof perServer)[number]["measured"]>;

export const testbed = byServer((p) => p.description.apply(hidden));
export const results = byServer((p) =>
  measuredOf(p, (m) => m.results.apply((r) => r[p.name] ?? {})),
);
export const comparison = byServer((p) =>
  measuredOf(p, (m) => m.comparison.apply((c) => c[p.name] ?? {})),
);
export const aggregates = byServer((p) =>
  measuredOf(p, (m) => m.aggregates.apply((a) => a[p.name] ?? {})),
);
/** server -> this run's folder in results/<stack>/. */
export const archive = byServer((p) => measuredOf(p, (m) => m.archive));
