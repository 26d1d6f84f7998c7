/**
 * The XSLT applied to the domain XML the libvirt provider generates. It adds
 * what the provider cannot express: QEMU user networking whose only listener
 * is a port forward on 127.0.0.1 (Debian's libvirt 9.0 has passt disabled),
 * the NIC model, the disk bus, and a serial console logged to a file.
 * Every value is a checked number, enum or path: nothing from config is
 * spliced in unchecked.
 */
export interface DomainXsltArgs {
  sshPort: number;
  /** Guest TCP port -> port on the server's 127.0.0.1, besides SSH (e.g. iperf's). */
  forwards?: Record<number, number>;
  nicModel: "virtio" | "e1000" | "rtl8139";
  /** libvirt's domain type: "qemu" is TCG. */
  domainType: "kvm" | "qemu";
  diskBus: "virtio" | "ide" | "sata" | "scsi" | "xen";
  consoleLog: string;
  mac: string;
}

/**
 * The QEMU device a guest's NIC model is, as its info records it. Under TCG,
 * virtio-net sends on a timer, not from a bottom half: with the bottom half,
 * QEMU 7.2 behind slirp stopped taking the guest's sends now and then mid-trial
 * (its transmit index frozen while the guest's ran ahead) until the guest was
 * next paused and resumed, and a trial failed after ab's 30 s. The timer costs
 * the guest receive throughput (its ACKs wait for the timer), so a KVM guest
 * (not tried: KVM guests hang on the machine this was seen on) keeps QEMU's
 * default (docs/measurement.md, "Known limits").
 */
export function qemuNicDevice(
  model: DomainXsltArgs["nicModel"],
  domainType: DomainXsltArgs["domainType"],
) {
  if (model === "virtio")
    return domainType === "qemu" ? "virtio-net-pci,tx=timer" : "virtio-net-pci";
  return model; // e1000 and rtl8139 are QEMU's device names too
}
const diskDev: Record<DomainXsltArgs["diskBus"], string> = {
  virtio: "vda",
  ide: "hda",
  sata: "sda",
  scsi: "sda",
  xen: "xvda",
};

export function domainXslt(a: DomainXsltArgs): string {
  if (!Number.isInteger(a.sshPort) || a.sshPort < 1024 || a.sshPort > 65535) {
    throw new Error(`bad guest ssh port ${a.sshPort}`);
  }
  const forwards = Object.entries(a.forwards ?? {}).map(([guest, host]) => {
    if (![+guest, host].every((p) => Number.isInteger(p) && p >= 1 && p <= 65535)) {
      throw new Error(`bad port forward ${host} -> ${guest}`);
    }
    return `,hostfwd=tcp:127.0.0.1:${host}-:${guest}`;
  });
  if (!/^\/[A-Za-z0-9._/-]+$/.test(a.consoleLog))
    throw new Error(`bad console log path ${a.consoleLog}`);
  if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(a.mac)) throw new Error(`bad MAC ${a.mac}`);
  return `<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <xsl:output method="xml" indent="yes"/>
  <xsl:template match="@*|node()">
    <xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy>
  </xsl:template>
  <xsl:template match="/domain">
    <domain>
      <xsl:apply-templates select="@*|node()"/>
      <qemu:commandline>
        <qemu:arg value="-netdev"/>
        <qemu:arg value="user,id=vtbnet0,hostfwd=tcp:127.0.0.1:${a.sshPort}-:22${forwards.join("")}"/>
        <qemu:arg value="-device"/>
        <qemu:arg value="${qemuNicDevice(a.nicModel, a.domainType)},netdev=vtbnet0,mac=${a.mac},bus=pci.0,addr=0x10"/>
      </qemu:commandline>
    </domain>
  </xsl:template>
  <xsl:template match="/domain/devices/interface"/>
  <xsl:template match="/domain/devices/graphics"/>
  <xsl:template match="/domain/devices/serial"/>
  <xsl:template match="/domain/devices/disk[@device='disk']/target">
    <target dev="${diskDev[a.diskBus]}" bus="${a.diskBus}"/>
  </xsl:template>
  <xsl:template match="/domain/devices">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
      <serial type="pty">
        <log file="${a.consoleLog}" append="off"/>
        <target port="0"/>
      </serial>
      <xsl:if test="not(console)">
        <console type="pty"><target type="serial" port="0"/></console>
      </xsl:if>
    </xsl:copy>
  </xsl:template>
</xsl:stylesheet>
`;
}
