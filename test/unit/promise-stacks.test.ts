import { skipPromiseDebugStacks } from "../../components/promise-stacks";

interface Debuggable {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
}
// The SDK's own module, from its real file (so a rename in the SDK fails here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/pulumi/runtime/debuggable") as Debuggable;
const trace = (p: Promise<unknown>) =>
  (p as unknown as { _debugStackTrace: string })._debugStackTrace;

describe("skipPromiseDebugStacks", () => {
  // A copy of the module's exports, so the real SDK in this process stays as it was.
  let debuggable: Debuggable;
  beforeEach(() => {
    debuggable = { debuggablePromise: sdk.debuggablePromise };
  });

  it("makes the SDK's debuggablePromise capture no frames", async () => {
    const before = Promise.resolve(1);
    void debuggable.debuggablePromise(before, "before");
    expect(trace(before)).toMatch(/\n {4}at /);

    expect(skipPromiseDebugStacks({}, debuggable)).toBe(true);
    const p = Promise.resolve(2);
    const wrapped = debuggable.debuggablePromise(p, "test");
    // No frames: "Error" (or "Error: " through a formatter such as source-map-support).
    expect(trace(p)).toMatch(/^Error:?\s*$/);
    // Still the SDK's promise: it resolves to the value and passes a rejection on.
    await expect(wrapped).resolves.toBe(2);
    await expect(
      debuggable.debuggablePromise(Promise.reject(new Error("no")), "x"),
    ).rejects.toThrow("no");
  });

  it("leaves every other stack trace as it was", () => {
    skipPromiseDebugStacks({}, debuggable);
    void debuggable.debuggablePromise(Promise.resolve(1), "test");
    expect(Error.stackTraceLimit).toBeGreaterThan(0);
    function failing(): Error {
      return new Error("boom");
    }
    expect(failing().stack).toMatch(/^Error: boom\n {4}at failing /);
  });

  it("records them when leak debugging is on", () => {
    expect(skipPromiseDebugStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, debuggable)).toBe(false);
    expect(debuggable.debuggablePromise).toBe(sdk.debuggablePromise);
  });

  it("wraps only once", () => {
    skipPromiseDebugStacks({}, debuggable);
    const once = debuggable.debuggablePromise;
    expect(skipPromiseDebugStacks({}, debuggable)).toBe(false);
    expect(debuggable.debuggablePromise).toBe(once);
  });
});
