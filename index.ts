import * as pulumi from "@pulumi/pulumi";
import { loadTestbedConfig } from "./components/config";
import { createGuests, GuestImage, GuestKey, guestInfos } from "./components/guests";
import { createPlatform } from "./components/platforms";
import { PhysicalServer } from "./components/server";

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
const stack = pulumi.getStack();

// One SSH key pair for the stack's VM guests, made on first use.
let guestKey: GuestKey | undefined;
const key = () => (guestKey ??= new GuestKey("guest-key"));

const servers = config.servers.map((server) => {
  const srv = new PhysicalServer(server.name, {
    server,
    sshPrivateKey: config.sshKeys.apply((k) => k[server.name]),
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
        (image ??= new GuestImage(`${server.name}-image`, { server: srv }, { parent: srv })),
      key,
      nextSshPort: () => port++,
      nextOrdinal: () => ordinal++,
      sshKeys: config.sshKeys,
    });
    return { type: p.type, info: platform.info, guests: guestInfos(guests) };
  });
  return { name: server.name, srv, platforms };
});

export const testbed = pulumi.output(
  Object.fromEntries(
    servers.map(({ name, srv, platforms }) => [
      name,
      {
        profile: srv.config.profile,
        profileCheck: srv.profileCheck,
        facts: srv.facts,
        accel: srv.accel,
        platforms: Object.fromEntries(
          platforms.map((p) => [p.type, { info: p.info, guests: p.guests }]),
        ),
      },
    ]),
  ),
);
