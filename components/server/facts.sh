#!/usr/bin/env bash
# Prints the facts of the machine it runs on as "@@@ <section>" blocks for
# parseFacts (facts.ts). Read-only; tools that are missing leave a section empty.
set -u
export LC_ALL=C
section() { printf '@@@ %s\n' "$1"; }
section lscpu; lscpu -J 2>/dev/null
section cpuinfo; grep -m1 -E '^(cpu MHz)' /proc/cpuinfo; grep -m1 -E '^flags' /proc/cpuinfo
section cache
for c in /sys/devices/system/cpu/cpu0/cache/index*; do
  [ -r "$c/size" ] && echo "$(cat "$c/level") $(cat "$c/type") $(cat "$c/size")"
done
section meminfo; grep -E '^(MemTotal|SwapTotal):' /proc/meminfo
section disks; lsblk -J -b -d -o NAME,SIZE,ROTA,TYPE,MODEL 2>/dev/null
section uname; uname -r; uname -v; uname -m
section os-release; cat /etc/os-release 2>/dev/null
section hostname; hostname
section dmi
for f in sys_vendor product_name board_name; do
  [ -r "/sys/class/dmi/id/$f" ] && echo "$f=$(cat "/sys/class/dmi/id/$f")"
done
section virt
echo "vm=$(systemd-detect-virt --vm 2>/dev/null)"
echo "container=$(systemd-detect-virt --container 2>/dev/null)"
section devkvm; if [ -c /dev/kvm ]; then echo present; else echo absent; fi
section end
