import { forwardPorts, planGuests } from "../../../components/guests/plan";

describe("a server's guest plan", () => {
  const plan = planGuests({
    guestSshPortBase: 2222,
    platforms: [
      { type: "baseline" },
      { type: "kvm", guests: [{ name: "vm", count: 2 }, { name: "one" }] },
      { type: "lxc", guests: [{ name: "ct", count: 2 }] },
      {
        type: "openvz",
        guests: [
          { name: "ve", count: 2 },
          { name: "fixed", ctid: 500 },
        ],
      },
      { type: "vmware", guests: [{ name: "gsx" }] },
    ],
  });
  const row = (i: string) => plan.find((e) => e.instance === i);

  it("names instances name-0, name-1 ... and a single one by its name", () => {
    expect(plan.map((e) => `${e.platform}/${e.instance}`)).toEqual([
      "kvm/vm-0",
      "kvm/vm-1",
      "kvm/one",
      "lxc/ct-0",
      "lxc/ct-1",
      "openvz/ve-0",
      "openvz/ve-1",
      "openvz/fixed",
      "vmware/gsx",
    ]);
  });

  it("gives KVM guests SSH ports from the base up, in config order", () => {
    expect(["vm-0", "vm-1", "one"].map((i) => row(i)?.sshPort)).toEqual([2222, 2223, 2224]);
    expect(row("ct-0")?.sshPort).toBeUndefined();
    expect(forwardPorts(2223, { 5201: 1000, 80: 3000 })).toEqual({ 5201: 3223, 80: 5223 });
  });

  it("numbers Xen and OpenVZ guests server-wide: addresses and default CTIDs follow", () => {
    expect(["ve-0", "ve-1", "fixed"].map((i) => [row(i)?.address, row(i)?.ctid])).toEqual([
      ["10.197.0.10", 1000],
      ["10.197.0.11", 1001],
      ["10.197.0.12", 500],
    ]);
  });
});
