# (after host-state.sh) Shared by the emulated server's steps on the Pulumi host.

# True if pid $2 is emulated server $1's QEMU: alive (not a zombie), root's,
# the QEMU binary, and `-name vtb-emu-$1` on its command line as two
# arguments. Anyone can start a process whose arguments look alike; not as
# root, not as that binary.
vtb_emu_is() {
  local pid="$2" stat
  [[ $pid =~ ^[0-9]+$ ]] && [ -d "/proc/$pid" ] || return 1
  # The state follows the command's last closing parenthesis.
  read -r stat <"/proc/$pid/stat" 2>/dev/null || return 1
  read -r stat _ <<<"${stat##*)}"
  [[ $stat != [ZX] ]] || return 1
  [ "$(stat -c %u "/proc/$pid")" = 0 ] || return 1
  # A QEMU still running from a binary since upgraded reads "... (deleted)".
  local exe
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
  [ "$(basename "${exe% (deleted)}")" = qemu-system-x86_64 ] || return 1
  local named
  # Read whole, then matched: no `grep -q` cutting a pipe under pipefail.
  named="$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -xF -A1 -- -name || true)"
  [[ $'\n'"$named"$'\n' == *$'\n'"vtb-emu-$1"$'\n'* ]]
}

# The pid of emulated server $1's QEMU, or nothing: from its pid file in $2
# (its directory), else found among root's QEMUs, so a lost pid file loses
# no QEMU.
vtb_emu_pid() {
  local pid f
  pid="$(cat "$2/qemu.pid" 2>/dev/null || true)"
  if vtb_emu_is "$1" "$pid"; then
    echo "$pid"
    return 0
  fi
  for f in /proc/[0-9]*; do
    pid="${f#/proc/}"
    if vtb_emu_is "$1" "$pid"; then
      echo "$pid"
      return 0
    fi
  done
}

# Stops emulated server $1's QEMU (directory $2), if it runs: asked first,
# killed after 30 s, the same process (checked again) each time.
vtb_emu_stop() {
  local pid
  pid="$(vtb_emu_pid "$1" "$2")"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 30); do vtb_emu_is "$1" "$pid" || return 0; sleep 1; done
  kill -KILL "$pid" 2>/dev/null || true
}
