import * as path from "path";

/*
 * Ephemeral status messages to the Pulumi engine: what a running step shows
 * in its row of `pulumi up`'s display (the Info column), replaced by the next
 * and gone once the step ends, as native providers report progress
 * (pulumi/pulumi#1853). The dynamic provider API has no way to it
 * (pulumi/pulumi#6065), but its process is handed the engine's address, and
 * the engine's Log call takes any resource's URN: the same call
 * `pulumi.log.info(msg, resource, undefined, true)` makes from a program.
 */

/** The engine's gRPC address, when this process is Pulumi's dynamic provider. */
export const engineAddress = () => process.argv.slice(2).find((a) => /^127\.0\.0\.1:\d+$/.test(a));

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
let engine: { client: any; pb: any } | undefined;
/** The engine's client and messages, from the SDK's own gRPC stubs and library (the engine's wire format). */
function engineOf(address: string): { client: any; pb: any } {
  if (engine) return engine;
  const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdk] }));
  const { EngineClient } = require(path.join(sdk, "proto", "engine_grpc_pb.js"));
  engine = {
    client: new EngineClient(address, grpc.credentials.createInsecure()),
    pb: require(path.join(sdk, "proto", "engine_pb.js")),
  };
  return engine;
}

/**
 * A function that shows a message as the resource `urn`'s status, or does
 * nothing outside the dynamic provider. A message that cannot be sent is
 * dropped: a status is never worth failing a measurement for.
 */
export function statusOf(urn: string | undefined): (message: string) => void {
  const address = engineAddress();
  if (!urn || !address) return () => {};
  // One at a time, in order: the engine shows the last it received.
  let sent = Promise.resolve();
  return (message) => {
    try {
      const { client, pb } = engineOf(address);
      const req = new pb.LogRequest();
      req.setSeverity(pb.LogSeverity.INFO);
      req.setMessage(message);
      req.setUrn(urn);
      req.setEphemeral(true);
      // Each call has 5 s, from when it is sent; one that fails or is late does not hold up the next.
      sent = sent
        .then(
          () =>
            new Promise<void>((done) =>
              client.log(req, { deadline: new Date(Date.now() + 5000) }, () => done()),
            ),
        )
        .catch(() => {});
    } catch {
      // Dropped, as said.
    }
  };
}
/* eslint-enable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any */
