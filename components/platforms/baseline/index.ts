import { PlatformKind } from "../kind";
import { Baseline, hostTarget } from "./platform";

export { Baseline, hostTarget };

/** Bare metal: the server's own host, the reference every comparison is made against. */
export const baseline: PlatformKind<"baseline"> = {
  platform: (name, args, opts) => new Baseline(name, args, opts),
  guests: () => [],
};
