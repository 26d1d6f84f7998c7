import * as pulumi from "@pulumi/pulumi";
import { benchmarks, pairs } from "../benchmarks";
import { LoadedConfig, kvmForwards, Server as ServerConfig, serverKey } from "./config";
import { GuestImage, GuestKey, imagePackages, planGuests } from "./guests";
import { ConcurrentGroup } from "./results/summarize";
import { scheduleBeforeReboot, ServerRuns } from "./measure/schedule";
import { Target } from "./measure/target";
import {
  createGuests,
  createPlatform,
  GuestInfo,
  guestInfos,
  hostTarget,
  PlatformInfo,
  rebootsServer,
} from "./platforms";
import { PhysicalServer, PhysicalServerArgs } from "./server";

/** A server stood up: its platforms (for the outputs), and what the scheduler needs. */
export interface StoodUpServer extends ServerRuns {
  platforms: {
    type: string;
    info: pulumi.Output<PlatformInfo>;
    guests: pulumi.Output<GuestInfo[]>;
    targets: Target[];
  }[];
}

/**
 * The stack's servers as resources: each PhysicalServer with its platforms,
 * their guests as the server's plan has them, and the targets benchmarks run
 * on (bare metal with the tools its benchmarks need, and every guest; on a
 * server that Xen reboots, bare metal's runs before the reboot are made here).
 */
export function standUpServers(config: LoadedConfig, stack: string): StoodUpServer[] {
  // Guests carry the configured benchmarks' tools (containers have no uplink to install them).
  const benchmarkPackages = [
    ...new Set(config.benchmarks.flatMap((b) => benchmarks[b.id].packages)),
  ];
  // KVM guests forward the pair benchmarks' ports as configured (iperf3 on port 5300 too).
  const forwards = kvmForwards(config.benchmarks);
  // One SSH key pair for the stack's VM guests, made on first use.
  let guestKey: GuestKey | undefined;
  const key = () => (guestKey ??= new GuestKey("guest-key"));
  // An emulated server in front of another (connection.jump) is made first.
  const made = new Map<string, PhysicalServer>();
  const behindJump = (s: ServerConfig) => s.connection.type === "emulated" && !!s.connection.jump;
  const fronts = new Set(
    config.servers.flatMap((s) => (s.connection.type === "emulated" ? [s.connection.jump] : [])),
  );
  const stood = new Map<string, StoodUpServer>();
  for (const server of [...config.servers].sort((a, b) => +behindJump(a) - +behindJump(b))) {
    const c = server.connection;
    const link =
      c.type === "emulated" && c.jump
        ? { role: "behind" as const, front: made.get(c.jump)!.emulated! }
        : fronts.has(server.name)
          ? { role: "front" as const }
          : undefined;
    const s = standUp(server, { config, stack, benchmarkPackages, forwards, key, link });
    made.set(server.name, s.srv);
    stood.set(server.name, s);
  }
  return config.servers.map((s) => stood.get(s.name)!);
}

function standUp(
  server: ServerConfig,
  shared: {
    config: LoadedConfig;
    stack: string;
    benchmarkPackages: string[];
    forwards: Record<number, number>;
    key: () => GuestKey;
    link: PhysicalServerArgs["link"];
  },
): StoodUpServer {
  const { config, stack, benchmarkPackages, forwards, key, link } = shared;
  const srv = new PhysicalServer(server.name, {
    link,
    server,
    sshPrivateKey:
      server.connection.type === "ssh"
        ? config.sshKeys.apply((k) => serverKey(k, server))
        : undefined,
    defaultProbeKernel: process.env.VTB_GUEST_KERNEL,
  });
  // A server has platforms; a platform has guests. The image is built once per
  // server. A platform that reboots the server into another kernel (Xen) is
  // made first: every other platform's steps then come after the reboot.
  let image: GuestImage | undefined;
  const plan = planGuests(server);
  const byIndex = new Map<number, StoodUpServer["platforms"][number]>();
  const inOrder = server.platforms
    .map((p, j) => ({ p, j }))
    .sort((a, b) => Number(rebootsServer(b.p)) - Number(rebootsServer(a.p)));
  for (const { p, j } of inOrder) {
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
    byIndex.set(j, {
      type: p.type,
      info: platform.info,
      guests: guestInfos(guests),
      targets: guests.map((g) => g.target),
    });
  }
  const platforms = server.platforms.map((_, j) => byIndex.get(j)!);

  // Bare metal is measured with the tools installed on the server itself (and
  // removed on destroy); a pair benchmark's client (iperf, ab) runs there too.
  // On a server that reboots, before the reboot (and removed before the way back).
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
          { parent: srv, beforeReboot: true },
        );
  // The server's own host: bare metal's target, and a pair's client or server.
  const host = tools && hostTarget(srv, tools);
  const runs: StoodUpServer["runs"] = [];

  // A server that a platform rebooted into another kernel (Xen) has its bare
  // metal measured first, on the plain kernel, as the papers compared: runs
  // of its own, once every step before the reboot is done (and the guest
  // image is built, which on an emulated server is the same machine's CPU);
  // the reboot waits for them. Its guests' comparisons with it say they were
  // not interleaved.
  const beforeReboot = baseline && srv.rebooted ? host : undefined;
  srv.measuredBeforeReboot(
    beforeReboot && tools
      ? scheduleBeforeReboot(
          {
            name: server.name,
            srv,
            targets: [beforeReboot],
            host,
            allReady: [
              ...new Set([
                ...(srv.madeBeforeReboot ?? []),
                tools,
                ...(image?.builtHere ? [image.builtHere] : []),
              ]),
            ],
            runs,
          },
          config.benchmarks,
          stack,
        )
      : [],
  );

  const targets: Target[] = [];
  if (baseline && host && !beforeReboot) targets.push(host);
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
    runs,
    concurrent: [] as ConcurrentGroup[],
  };
}
