import { z } from "zod";
import { baselineSchema } from "./baseline/schema";
import { kvmSchema } from "./kvm/schema";
import { lxcSchema } from "./lxc/schema";
import { openvzSchema } from "./openvz/schema";
import { vmwareSchema } from "./vmware/schema";
import { xenSchema } from "./xen/schema";

/*
 * The platform kinds' config schemas, pure zod (config validation reads them
 * before any resource exists): each kind's is in its folder, and listed here
 * as in the table of kinds (index.ts).
 */
export const platformSchema = z.discriminatedUnion(
  "type",
  [baselineSchema, kvmSchema, xenSchema, lxcSchema, openvzSchema, vmwareSchema],
  { error: "expected a platform type: baseline, kvm, xen, lxc, openvz or vmware" },
);
export const platformTypes = platformSchema.options.map((o) => o.shape.type.value);
