import * as path from "path";
import * as vm from "vm";
import { skipPromiseDebugStacks, unrecordedStack } from "../../components/promise-stacks";

// The SDK's own debuggablePromise, from its real file (so a rename in the SDK fails here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
};

describe("skipPromiseDebugStacks", () => {
  const saved = Error.prepareStackTrace;
  const formatted: string[] = [];
  // Stands in for ts-node's source-map-support.
  const formatter = (err: Error, stack: NodeJS.CallSite[]) => {
    const s = `${err.name}: ${err.message}\n${stack.map((c) => `    at ${c}`).join("\n")}`;
    formatted.push(s);
    return s;
  };
  beforeEach(() => {
    formatted.length = 0;
    Error.prepareStackTrace = formatter;
  });
  afterEach(() => {
    Error.prepareStackTrace = saved;
  });

  it("leaves the SDK's promise traces unformatted", () => {
    expect(skipPromiseDebugStacks({})).toBe(true);
    // The SDK hangs the trace on the promise it was given.
    const p = Promise.resolve(1);
    void debuggable.debuggablePromise(p, "test");
    expect((p as unknown as { _debugStackTrace: string })._debugStackTrace).toBe(unrecordedStack);
    expect(formatted).toEqual([]);
  });

  it("formats every other stack as before", () => {
    skipPromiseDebugStacks({});
    function failing(): Error {
      return new Error("boom");
    }
    const stack = failing().stack ?? "";
    expect(stack).toMatch(/^Error: boom\n {4}at failing /);
    expect(formatted).toEqual([stack]);
    // A function of the same name elsewhere is not the SDK's.
    const other = vm.runInThisContext("(function debuggablePromise() { return new Error('x'); })", {
      filename: path.join(__dirname, "debuggable.js"),
    }) as () => Error;
    expect(other().stack).toMatch(/^Error: x\n {4}at debuggablePromise /);
  });

  it("records them when leak debugging is on", () => {
    expect(skipPromiseDebugStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" })).toBe(false);
    expect(Error.prepareStackTrace).toBe(formatter);
  });

  it("wraps only an installed formatter, and only once", () => {
    skipPromiseDebugStacks({});
    const once = Error.prepareStackTrace;
    expect(skipPromiseDebugStacks({})).toBe(false);
    expect(Error.prepareStackTrace).toBe(once);
    // No formatter installed (plain Node): nothing to wrap.
    delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    expect(skipPromiseDebugStacks({})).toBe(false);
    expect(Error.prepareStackTrace).toBeUndefined();
  });
});
