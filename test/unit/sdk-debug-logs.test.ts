import { skipSdkDebugLogs } from "../../components/sdk-debug-logs";

interface Log {
  debug(msg: string, ...rest: unknown[]): Promise<void>;
  warn(msg: string, ...rest: unknown[]): Promise<void>;
}
// The SDK's own module, from its real file (so a rename in the SDK fails here).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/pulumi/log") as Log;

describe("skipSdkDebugLogs", () => {
  // A copy of the module's exports, so the real SDK in this process stays as it was.
  let log: Log;
  let sent: string[];
  beforeEach(() => {
    sent = [];
    const record = async (msg: string) => {
      sent.push(msg);
    };
    log = { debug: record, warn: record };
  });

  it("is where the SDK's modules call it", () => {
    expect(typeof sdk.debug).toBe("function");
    // The SDK's resource code reads `debug` from this module's exports at each call.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    expect(require("@pulumi/pulumi").log).toBe(sdk);
  });

  it("drops debug lines and keeps warnings", async () => {
    expect(skipSdkDebugLogs({}, log)).toBe(true);
    await log.debug("Registering resource: t=testbed:index:Command");
    await log.warn("a failed trial");
    expect(sent).toEqual(["a failed trial"]);
  });

  it("keeps them when VTB_SDK_DEBUG_LOGS is set", async () => {
    expect(skipSdkDebugLogs({ VTB_SDK_DEBUG_LOGS: "1" }, log)).toBe(false);
    await log.debug("Registering resource");
    expect(sent).toEqual(["Registering resource"]);
  });

  it("installs once", () => {
    skipSdkDebugLogs({}, log);
    const once = log.debug;
    expect(skipSdkDebugLogs({}, log)).toBe(false);
    expect(log.debug).toBe(once);
  });
});
