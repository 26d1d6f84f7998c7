import * as pulumi from "@pulumi/pulumi";
import { loadTestbedConfig } from "./components/config";
import { PhysicalServer } from "./components/server";

// Validated before any resource exists: a bad key fails here, naming itself.
const config = loadTestbedConfig();

const servers = config.servers.map(
  (server) =>
    new PhysicalServer(server.name, {
      server,
      sshPrivateKey: config.sshKeys.apply((k) => k[server.name]),
      defaultProbeKernel: process.env.VTB_GUEST_KERNEL,
    }),
);

export const testbed = pulumi.output(
  Object.fromEntries(
    servers.map((srv, i) => [
      config.servers[i].name,
      {
        profile: srv.config.profile,
        profileCheck: srv.profileCheck,
        facts: srv.facts,
        accel: srv.accel,
      },
    ]),
  ),
);
