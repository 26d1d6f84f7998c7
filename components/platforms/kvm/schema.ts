import { z } from "zod";
import { guests, vmFields } from "../../config-fields";

const kvmGuest = z
  .object({
    ...vmFields,
    network: z
      .object({ model: z.enum(["virtio", "e1000", "rtl8139"]).default("virtio") })
      .strict()
      .default({ model: "virtio" }),
  })
  .strict();

/** A kvm platform in a server's config: `platforms: [{ type: kvm, ... }]`. */
export const kvmSchema = z
  .object({
    type: z.literal("kvm"),
    /** auto: KVM if a KVM guest boots on the server (the probe), else TCG. */
    accel: z.enum(["auto", "kvm", "tcg"]).default("auto"),
    guests: guests(kvmGuest),
  })
  .strict();
