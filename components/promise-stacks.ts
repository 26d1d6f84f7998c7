/**
 * The Pulumi SDK records a stack trace for every promise it makes, about twenty
 * per resource, so that with PULUMI_DEBUG_PROMISE_LEAKS set it can say where a
 * leaked promise came from; nothing else reads them. Under ts-node, which is
 * how Pulumi runs this program, every one of those traces goes through
 * source-map-support frame by frame: in a `pulumi preview` of 8 servers (1,524
 * resources; `npm run bench:scale`) that was half of the program's CPU time and
 * 200 MiB of its memory, growing with every resource.
 *
 * This leaves exactly those traces unformatted, unless leak debugging is on.
 * Every other stack trace, an error of the program's or of the SDK's, is
 * formatted as before, source-mapped.
 */

/** What the SDK's promise-debugging traces read instead. */
export const unrecordedStack =
  "Error: stack not recorded (set PULUMI_DEBUG_PROMISE_LEAKS=1 to record where promises start)";

const marker = Symbol.for("virt-testbed.promise-stacks");

/** The frame where the SDK captures a promise's trace: its debuggablePromise. */
function isPromiseDebugTrace(stack: NodeJS.CallSite[]): boolean {
  const top = stack[0];
  if (top === undefined || top.getFunctionName() !== "debuggablePromise") return false;
  const file = top.getFileName() ?? "";
  return /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/.test(file);
}

/**
 * Installs the shortcut in this process's stack trace formatter; returns
 * whether it did. It only wraps a formatter already installed (ts-node's
 * source-map-support): without one, Node's own formatting is cheap enough.
 */
export function skipPromiseDebugStacks(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  const original = Error.prepareStackTrace as
    ((err: Error, stack: NodeJS.CallSite[]) => unknown) | undefined;
  if (typeof original !== "function" || marker in original) return false;
  const wrapped = function (this: unknown, err: Error, stack: NodeJS.CallSite[]): unknown {
    return isPromiseDebugTrace(stack) ? unrecordedStack : original.call(this, err, stack);
  };
  Object.defineProperty(wrapped, marker, { value: true });
  Error.prepareStackTrace = wrapped;
  return true;
}
