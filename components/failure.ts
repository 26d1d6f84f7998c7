import * as pulumi from "@pulumi/pulumi";

/**
 * A step failed softly (recorded, while every other step goes on): name it
 * against its resource and make the update end failed. An unhandled
 * ResourceError is how: Pulumi's runner logs it once and, after the program
 * has registered everything, exits non-zero, so `pulumi up` reports failure.
 */
export function reportFailure(message: string, resource: pulumi.Resource): void {
  void Promise.reject(new pulumi.ResourceError(message, resource, true));
}
