/**
 * The Pulumi SDK sends the engine a debug line for each step of each
 * resource's registration ("Registering resource", "RegisterResource RPC
 * prepared", "... finished", "serialization requested", and the same for its
 * outputs): five or six gRPC calls per resource, made one after another. The
 * engine shows them only with `pulumi up --debug`. In a `pulumi preview` of
 * 8 servers (1,531 resources; `npm run bench:scale`) they were about a tenth
 * of the program's CPU time and a good part of the engine's.
 *
 * This drops the SDK's debug lines unless VTB_SDK_DEBUG_LOGS is set (set it
 * with `--debug` when debugging the SDK itself). Warnings, errors and info,
 * the program's and the SDK's, are unchanged; this program writes no debug
 * lines of its own.
 */

const marker = Symbol.for("virt-testbed.sdk-debug-logs");

interface Log {
  debug(msg: string, ...rest: unknown[]): Promise<void>;
}

/** Installs the filter; returns whether it did (once per process, never when asked to keep them). */
export function skipSdkDebugLogs(
  env: NodeJS.ProcessEnv = process.env,
  // The SDK's modules call debug through the log module's exports, so replacing it there reaches them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  log: Log = require("@pulumi/pulumi/log") as Log,
): boolean {
  if (env.VTB_SDK_DEBUG_LOGS) return false;
  if (typeof log.debug !== "function" || marker in log.debug) return false;
  const skip = (): Promise<void> => Promise.resolve();
  Object.defineProperty(skip, marker, { value: true });
  log.debug = skip;
  return true;
}
