/**
 * The Pulumi SDK records a stack trace for every promise it makes, about twenty
 * per resource, so that with PULUMI_DEBUG_PROMISE_LEAKS set it can say where a
 * leaked promise came from; nothing else reads them. Capturing a trace costs
 * far more than the promise: in a `pulumi preview` of 64 servers (12,227
 * resources; `npm run bench:scale`) the SDK's debuggablePromise was the
 * program's largest cost, 21 of its CPU seconds, and under ts-node each trace
 * was source-mapped frame by frame besides.
 *
 * This wraps the SDK's debuggablePromise so that it captures no frames (the
 * trace reads "Error"), unless leak debugging is on. It keeps everything else
 * the SDK does there (the leak check at exit still counts promises), and every
 * other stack trace, an error of the program's or of the SDK's, is as before.
 */

const marker = Symbol.for("virt-testbed.promise-stacks");

interface Debuggable {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}

/** Installs the wrapper; returns whether it did (once per process, never with leak debugging). */
export function skipPromiseDebugStacks(
  env: NodeJS.ProcessEnv = process.env,
  // The SDK's callers read it from the module's exports at each call, so replacing it there reaches them.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  debuggable: Debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable,
): boolean {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  const original = debuggable.debuggablePromise;
  if (typeof original !== "function" || marker in original) return false;
  const wrapped = function <T>(p: Promise<T>, ctx: unknown): Promise<T> {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return original(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  Object.defineProperty(wrapped, marker, { value: true });
  debuggable.debuggablePromise = wrapped;
  return true;
}
