import { z } from "zod";
import { guests, vmFields } from "../../config-fields";

const xenGuest = z
  .object({
    ...vmFields,
    /** para: paravirtualized kernel, no emulation; hvm: full virtualization with VT-x/AMD-V. */
    mode: z.enum(["para", "hvm"]),
    network: z
      .object({ model: z.enum(["netfront", "e1000", "rtl8139"]).default("netfront") })
      .strict()
      .default({ model: "netfront" }),
  })
  .strict()
  .refine((g) => g.mode === "hvm" || g.network.model === "netfront", {
    message: "para guests only have netfront",
    path: ["network", "model"],
  });

/** A xen platform in a server's config: `platforms: [{ type: xen, ... }]`. */
export const xenSchema = z
  .object({
    type: z.literal("xen"),
    dom0MemoryMiB: z.number().int().min(256).max(1048576).default(1024),
    /** Minutes to wait for the server to come back from the reboot into Xen. */
    rebootTimeoutMinutes: z.number().int().min(1).max(120).default(15),
    guests: guests(xenGuest),
  })
  .strict();
