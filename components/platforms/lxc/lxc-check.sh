#!/usr/bin/env bash
# Reports the LXC version and the cgroup layout containers will get limits from.
set -euo pipefail
echo "lxc: $(lxc-start --version)"
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo "cgroups: v2"; else echo "cgroups: v1"; fi
