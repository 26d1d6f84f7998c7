import { Debuggable, RuntimeState, skipPromiseDebugStacks } from "../../components/promise-stacks";

// The SDK's own modules, from their real files (so a rename in the SDK fails here).
/* eslint-disable @typescript-eslint/no-require-imports */
const sdk = require("@pulumi/pulumi/runtime/debuggable") as Debuggable & {
  leakedPromises(): [Set<Promise<unknown>>, string];
};
const sdkState = require("@pulumi/pulumi/runtime/state") as RuntimeState;
/* eslint-enable @typescript-eslint/no-require-imports */
const recorded = (p: Promise<unknown>) =>
  (p as unknown as { _debugStackTrace?: string })._debugStackTrace;

describe("skipPromiseDebugStacks", () => {
  // A copy of the module's exports, so the real SDK in this process stays as it was.
  let debuggable: Debuggable;
  let leakCandidates: Set<Promise<unknown>>;
  let state: RuntimeState;
  beforeEach(() => {
    debuggable = { debuggablePromise: sdk.debuggablePromise };
    leakCandidates = new Set();
    state = { getStore: () => ({ leakCandidates }) };
  });

  it("records no trace on the promises and keeps what they resolve or reject with", async () => {
    const before = Promise.resolve(1);
    void debuggable.debuggablePromise(before, "before");
    expect(recorded(before)).toMatch(/\n {4}at /);

    expect(skipPromiseDebugStacks({}, debuggable, state)).toBe(true);
    void debuggable.debuggablePromise(Promise.resolve(0), "the first, the SDK's own");
    const p = Promise.resolve(2);
    const wrapped = debuggable.debuggablePromise(p, "test");
    expect(recorded(p)).toBeUndefined();
    await expect(wrapped).resolves.toBe(2);
    const failing = Promise.reject(new Error("no"));
    const rejected = debuggable.debuggablePromise(failing, "x");
    await expect(rejected).rejects.toThrow("no");
    // As the SDK does: the error names the promise it came from.
    await rejected.catch((e: { promise?: unknown }) => expect(e.promise).toBe(failing));
  });

  it("keeps a pending promise a leak candidate until it settles", async () => {
    skipPromiseDebugStacks({}, debuggable, state);
    void debuggable.debuggablePromise(Promise.resolve(0), "the first, the SDK's own");
    let resolve: (v: number) => void = () => undefined;
    const pending = new Promise<number>((r) => (resolve = r));
    const wrapped = debuggable.debuggablePromise(pending, "pending");
    expect(leakCandidates.has(pending)).toBe(true);
    resolve(3);
    await wrapped;
    expect(leakCandidates.has(pending)).toBe(false);
  });

  it("keeps the SDK's leak check: a promise left pending is reported", () => {
    skipPromiseDebugStacks({}, debuggable, sdkState);
    void debuggable.debuggablePromise(Promise.resolve(0), "the first, the SDK's own");
    const never = new Promise(() => undefined);
    void debuggable.debuggablePromise(never, "never settles");
    const [leaks, message] = sdk.leakedPromises();
    expect(leaks.has(never)).toBe(true);
    expect(message).toMatch(/promises? (was|were) still active/);
  });

  it("leaves every other stack trace as it was", () => {
    skipPromiseDebugStacks({}, debuggable, state);
    void debuggable.debuggablePromise(Promise.resolve(1), "test");
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    function failing(): Error {
      return new Error("boom");
    }
    expect(failing().stack).toMatch(/^Error: boom\n {4}at failing /);
  });

  it("records them when leak debugging is on", () => {
    expect(skipPromiseDebugStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, debuggable, state)).toBe(
      false,
    );
    expect(debuggable.debuggablePromise).toBe(sdk.debuggablePromise);
  });

  it("replaces it only once", () => {
    skipPromiseDebugStacks({}, debuggable, state);
    const once = debuggable.debuggablePromise;
    expect(skipPromiseDebugStacks({}, debuggable, state)).toBe(false);
    expect(debuggable.debuggablePromise).toBe(once);
  });
});
