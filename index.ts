import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "./benchmarks";
import { kvmForwards, loadTestbedConfig, serverKey } from "./components/config";
import { GuestImage, GuestKey, imagePackages, planGuests } from "./components/guests";
import { ConcurrentGroup } from "./components/measure/results";
import { Measured } from "./components/measure/run";
import { scheduleRuns } from "./components/measure/schedule";
import { Target } from "./components/measure/target";
import { createGuests, createPlatform, guestInfos, hostTarget } from "./components/platforms";
import { skipPromiseDebugStacks } from "./components/promise-stacks";
import { skipSdkDebugLogs } from "./components/sdk-debug-logs";
import { archiveRun, measure } from "./components/results/archive";
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
  const plan = planGuests(server);
  const platforms = server.platforms.map((p, j) => {
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
      plan: plan.filter((e) => e.platformIndex === j),
      kvmForwards: forwards,
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
  const host = tools && hostTarget(srv, tools);
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

// One run at a time on each server (components/measure/schedule.ts).
scheduleRuns(servers, config.benchmarks, stack);

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
// server's bare metal, and archived in results/<stack>/<run id>/ (kept by destroy):
// components/results/archive.ts, in the results schema (components/results/schema.ts).

const archiving = {
  root: __dirname,
  stack,
  // The configuration (keys and secrets not part of it) explains a difference between two runs.
  config: plainConfig,
  hidden,
  servers: servers.length,
};

const perServer = servers.map((s) => {
  const description = describeServer(s);
  // Once every run is made (see afterMade).
  const measured = s.made.then(() => {
    const m = measure(s);
    return { ...m, archive: archiveRun(s, m, description, archiving) };
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
