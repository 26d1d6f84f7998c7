#!/usr/bin/env bash
# Decides by booting, not by reading capabilities: boots the kernel at
# $PROBE_KERNEL (or the running one from /boot) under QEMU with KVM, then with
# TCG, each within a timeout. With no root disk given, a kernel that works
# reaches "VFS: Unable to mount root", which counts as a boot.
# Prints one line per accelerator for parseAccelProbe (accel.ts).
set -u
kernel="${PROBE_KERNEL:-}"
if [ -z "$kernel" ] || [ ! -f "$kernel" ]; then kernel="/boot/vmlinuz-$(uname -r)"; fi
qemu="$(command -v qemu-system-x86_64 || true)"
probe() {
  local accel="$1" limit="$2"
  if [ -z "$qemu" ]; then
    echo "$accel result=unavailable seconds=0 serial=0 detail=qemu-system-x86_64 is not installed"; return
  fi
  if [ ! -r "$kernel" ]; then
    echo "$accel result=unavailable seconds=0 serial=0 detail=no kernel to boot (set probe.kernel)"; return
  fi
  if [ "$accel" = kvm ] && [ ! -w /dev/kvm ]; then
    echo "$accel result=unavailable seconds=0 serial=0 detail=/dev/kvm is missing or not writable"; return
  fi
  local log rc start end result detail
  log="$(mktemp)"
  start="$(date +%s.%N)"
  timeout --kill-after=5 "$limit" "$qemu" -name vtb-accel-probe -accel "$accel" -m 256 -smp 1 -nodefaults \
    -display none -monitor none -no-reboot -serial "file:$log" \
    -kernel "$kernel" -append "console=ttyS0 panic=-1" >/dev/null 2>"$log.err"
  rc=$?
  end="$(date +%s.%N)"
  if grep -q 'VFS: Unable to mount root' "$log"; then
    result=boots; detail="reached the root mount"
  elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    result=hang; detail="no root mount within ${limit}s; last serial line: $(tail -n1 "$log" | tr -cd '[:print:]' | cut -c1-100)"
  else
    result=error; detail="qemu exited $rc: $(tr -cd '[:print:]\n' <"$log.err" | grep -v warning | tail -n1 | cut -c1-160)"
  fi
  printf '%s result=%s seconds=%.1f serial=%d detail=%s\n' "$accel" "$result" \
    "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$(wc -l <"$log")" "$detail"
  rm -f "$log" "$log.err"
}
probe kvm "${PROBE_KVM_TIMEOUT:-20}"
probe tcg "${PROBE_TCG_TIMEOUT:-120}"
