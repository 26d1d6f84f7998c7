#!/usr/bin/env bash
# Shared by enter.sh, pair.sh and group.sh, which start with it: how the
# physical server gets a shell inside a target, and what that shell is given.
# The variables' names are the runner protocol's (components/measure/protocol.ts).
#
# way_in P: a shell reading its commands on stdin, in the place P describes:
#   P_VIA     host (here), netns (ip netns exec P_NAME), lxc (container P_NAME
#             under P_LXCPATH), openvz (container CTID P_NAME) or ssh
#   P_SSH_HOST, P_SSH_PORT, P_SSH_USER (root), P_SSH_KEY  for ssh; the key is
#             written to a private file only while the script runs.
# VTB_WAY_TIMEOUT (seconds), when a caller sets it: how long ssh waits for the
# target to answer at all (a stalled guest's forward accepts, then says nothing),
# and a session that stops answering ends after 10 s more (ServerAlive).
# Keys are the shell's own: read by way_in, never in the environment of what
# it starts (a benchmark on bare metal, a pair's server left running).
way_keys_private() {
  local v
  for v in $(compgen -v); do
    if [[ "$v" == *_SSH_KEY ]]; then export -n "$v"; fi
  done
}
way_keys_private
# Made here, not in way_in: a way_in in a subshell (group.sh) would lose it.
way_keys="$(mktemp -d)"
way_cleanup() { rm -rf "$way_keys"; }
way_in() {
  local via="${1}_VIA" name="${1}_NAME" lxcpath="${1}_LXCPATH"
  local host="${1}_SSH_HOST" port="${1}_SSH_PORT" user="${1}_SSH_USER" key="${1}_SSH_KEY"
  case "${!via:-}" in
    host) bash -s ;;
    netns) ip netns exec "${!name}" bash -s ;;
    lxc) lxc-attach -P "${!lxcpath}" -n "${!name}" -- bash -s ;;
    openvz) vzctl exec "${!name}" - ;;
    ssh)
      (umask 077 && printf '%s\n' "${!key}" >"$way_keys/$1")
      ssh -q -i "$way_keys/$1" -p "${!port}" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
        ${VTB_WAY_TIMEOUT:+-o ConnectTimeout=$VTB_WAY_TIMEOUT -o ServerAliveInterval=5 -o ServerAliveCountMax=2} \
        "${!user:-root}@${!host}" bash -s ;;
    *) echo "unknown way into ${1}: ${!via:-unset}" >&2; return 2 ;;
  esac
}
# The runner (VTB_RUNNER) and the variables it and the benchmark's script need,
# exported into the target: exactly those VTB_RUNNER_ENV names (an allow-list
# the TypeScript side builds from the trial's environment: runnerHandOver),
# quoted with printf %q so no value is re-parsed. Nothing else of this shell's
# environment goes in: the ways in, their keys and whatever a new way adds stay
# here. A listed name that is not a variable name, or any <prefix>_SSH_KEY, is
# refused before anything is printed; a listed variable that is unset is left
# unset.
runner_text() {
  local v names
  if [ -z "${VTB_RUNNER_ENV+set}" ]; then
    echo "runner_text: VTB_RUNNER_ENV is not set" >&2
    return 2
  fi
  read -r -a names <<<"$VTB_RUNNER_ENV"
  for v in "${names[@]}"; do
    if ! [[ "$v" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || [[ "$v" == *_SSH_KEY ]]; then
      echo "runner_text: not the runner's to take into the target: $v" >&2
      return 2
    fi
  done
  for v in "${names[@]}"; do
    if [ -n "${!v+set}" ]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
  done
  printf '%s\n' "$VTB_RUNNER"
}
