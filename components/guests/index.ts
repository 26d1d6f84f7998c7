/*
 * What a server's guests share, whatever their kind: the image they boot, the
 * stack's SSH key for VM guests, their object names and the server's plan of
 * them. Each kind's guest component is in components/platforms/<kind>/.
 */
export { GuestImage, imagePackages } from "./image";
export { GuestKey } from "./key";
export { guestObjectName, stackSlug } from "./naming";
export { planGuests } from "./plan";
export type { PlannedGuest } from "./plan";
