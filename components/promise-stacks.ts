/**
 * The Pulumi SDK wraps every promise it makes, about twenty per resource, in
 * `debuggablePromise`: it records a stack trace, an id and a context string on
 * the promise and chains two more promises so that a promise still pending
 * when the program exits is reported as a leak. Only the leak check reads it
 * at all, and the trace, id and context only with PULUMI_DEBUG_PROMISE_LEAKS
 * set. In a `pulumi preview` of 64 servers (12,227 resources; `npm run
 * bench:scale`) capturing the traces was the program's largest cost, 21 of its
 * CPU seconds; and the records held a quarter of its live heap.
 *
 * This replaces it with one that keeps the leak check (a pending promise is
 * still a leak candidate, so a program that leaves one still fails) but
 * records nothing on the promise, unless leak debugging is on. Every other
 * stack trace, an error of the program's or of the SDK's, is as before.
 */

const marker = Symbol.for("virt-testbed.promise-stacks");

export interface Debuggable {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}
export interface RuntimeState {
  getStore(): { leakCandidates: Set<Promise<unknown>> };
}

/** Installs the replacement; returns whether it did (once per process, never with leak debugging). */
export function skipPromiseDebugStacks(
  env: NodeJS.ProcessEnv = process.env,
  // The SDK's callers read it from the module's exports at each call, so replacing it there reaches them.
  /* eslint-disable @typescript-eslint/no-require-imports */
  debuggable: Debuggable = require("@pulumi/pulumi/runtime/debuggable") as Debuggable,
  state: RuntimeState = require("@pulumi/pulumi/runtime/state") as RuntimeState,
  /* eslint-enable @typescript-eslint/no-require-imports */
): boolean {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  const original = debuggable.debuggablePromise;
  if (typeof original !== "function" || marker in original) return false;
  let scheduled = false;
  const light = function <T>(p: Promise<T>, ctx: unknown): Promise<T> {
    if (!scheduled) {
      // The SDK's own, once: it is what schedules the leak check at exit.
      scheduled = true;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 0;
      try {
        return original(p, ctx);
      } finally {
        Error.stackTraceLimit = limit;
      }
    }
    // The same bookkeeping as the SDK's, in one chained promise instead of two.
    const store = state.getStore();
    store.leakCandidates.add(p);
    return p.then(
      (v) => {
        store.leakCandidates.delete(p);
        return v;
      },
      (e: unknown) => {
        store.leakCandidates.delete(p);
        if (e !== null && typeof e === "object") (e as { promise?: unknown }).promise = p;
        throw e;
      },
    );
  };
  Object.defineProperty(light, marker, { value: true });
  debuggable.debuggablePromise = light;
  return true;
}
