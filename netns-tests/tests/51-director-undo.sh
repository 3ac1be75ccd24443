#!/usr/bin/env bash
# rsvsadm setup undoes what it made when a later step fails: a failure is
# injected at each step of an LVS-NAT director's setup (IPv4 and IPv6
# masquerading), with each firewall backend, on a fresh director and on one
# already set up, and at each step of an LVS-TUN real server's setup.
# After each failure the host must be exactly as before: kernel parameters,
# the whole nftables ruleset, iptables and ip6tables' nat tables, the
# interfaces and their addresses.
#
# The failures are injected from here; rsvsadm has no hook for it:
#  - a kernel-parameter step fails when its /proc/sys file is bind-mounted
#    read-only over itself, in the mount namespace of that one
#    `ip netns exec` (so nothing outside that command sees it);
#  - a firewall or interface step fails when a wrapper, first on rsvsadm's
#    PATH, makes the Nth changing call of nft (-f), iptables-restore,
#    ip6tables-restore or ip (link/addr add, set, del) fail.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

WRAP=$NT_STATE/failing-tools
COUNT=$NT_STATE/changing-calls

# The wrappers: each passes every call to the real tool, except the
# FAIL_AT-th changing call of all of them together (counted in FAIL_COUNT).
make_wrappers() {
  mkdir -p "$WRAP"
  local tool real
  for tool in nft iptables-restore ip6tables-restore ip; do
    real=$(command -v "$tool")
    # POSIX sh: setup runs these for every change it makes, and dash
    # starts in a third of bash's time under emulation.
    cat >"$WRAP/$tool" <<EOF
#!/bin/sh
# Test-only wrapper (netns-tests/tests/51-director-undo.sh).
changing=0
case $tool in
  nft) case " \$* " in *" -f "*) changing=1 ;; esac ;;
  ip) case "\${1:-} \${2:-}" in
      "link add" | "link set" | "link del" | "addr add" | "addr del") changing=1 ;;
    esac ;;
  *) changing=1 ;;
esac
if [ "\$changing" = 1 ] && [ -n "\${FAIL_AT:-}" ]; then
  n=0
  [ -e "\$FAIL_COUNT" ] && read -r n <"\$FAIL_COUNT"
  n=\$((n + 1))
  echo "\$n" >"\$FAIL_COUNT"
  if [ "\$n" -eq "\$FAIL_AT" ]; then
    echo "$tool: injected failure (changing call \$n)" >&2
    exit 1
  fi
fi
exec $real "\$@"
EOF
    chmod +x "$WRAP/$tool"
  done
}

# Everything a setup may change in NS, one item a line. (It is read after
# every injected failure: one ip process lists links and addresses.)
host_state() {
  in_ns "$1" bash -c '
    for f in ipv4/ip_forward ipv6/conf/all/forwarding \
      ipv4/conf/all/send_redirects ipv4/conf/default/send_redirects \
      ipv4/conf/eth0/send_redirects ipv4/conf/all/arp_ignore \
      ipv4/conf/all/arp_announce ipv4/conf/all/rp_filter; do
      v=absent
      [[ -e /proc/sys/net/$f ]] && v=$(</proc/sys/net/$f)
      printf "%s=%s\n" "$f" "$v"
    done
    nft list ruleset
    iptables -w -t nat -S
    ip6tables -w -t nat -S
    printf "%s\n" "link show" "addr show" | ip -br -batch -'
}

# planned_steps NS ARGS...: the steps rsvsadm would make for `setup ARGS`
# in NS, into the array STEPS.
planned_steps() {
  local ns=$1 line
  shift
  STEPS=()
  while IFS= read -r line; do
    if [[ $line == "would: "* ]]; then STEPS+=("${line#would: }"); fi
  done < <(in_ns "$ns" "$RSVSADM" setup "$@" --dry-run)
}

# A kernel parameter of an interface the same command creates: its
# /proc/sys file does not exist before the run (nothing to make fail), and
# it goes with the interface (nothing to undo).
is_new_link_param() { [[ $1 =~ ^net\.[^\ ]+\ =\ [^\ ]+$ ]]; }

# run_failing NS K ARGS...: runs `rsvsadm setup ARGS` in NS with a failure
# injected at step K (1-based) of STEPS. Prints its stderr; returns its exit
# status. (bash alone picks the step: this runs for every step of every
# case, and a process start costs much under emulation.)
run_failing() {
  local ns=$1 k=$2 step i n=0
  shift 2
  step=${STEPS[k - 1]}
  if [[ $step =~ ^(net\.[^ ]+)\ = ]]; then
    local path=/proc/sys/${BASH_REMATCH[1]//.//}
    in_ns "$ns" bash -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
      shift && exec "$@" 2>&1 >/dev/null' _ "$path" "$RSVSADM" setup "$@"
  else
    # The how-many-th step of those that call a tool.
    for ((i = 0; i < k; i++)); do
      [[ ${STEPS[i]} == net.* ]] || n=$((n + 1))
    done
    rm -f "$COUNT"
    in_ns "$ns" env PATH="$WRAP:$PATH" FAIL_AT="$n" FAIL_COUNT="$COUNT" \
      "$RSVSADM" setup "$@" 2>&1 >/dev/null
  fi
}

# each_step_fails NAME NS ARGS...: for every planned step of `setup ARGS`
# in NS, a run failing at that step must fail, undo each step made before
# it, and leave NS as it was.
each_step_fails() {
  local name=$1 ns=$2 count k before out rc after made
  shift 2
  planned_steps "$ns" "$@"
  count=${#STEPS[@]}
  check "$name: setup plans steps to fail at" test "$count" -gt 0
  before=$(host_state "$ns")
  # made: how many of the steps before step k leave something to undo.
  made=0
  for ((k = 1; k <= count; k++)); do
    local step=${STEPS[k - 1]}
    if is_new_link_param "$step"; then
      continue
    fi
    rc=0
    out=$(run_failing "$ns" "$k" "$@") || rc=$?
    local what="$name: failure at step $k ($step)"
    if ((rc != 0)); then ok "$what: setup fails"; else fail "$what: setup fails" "exit 0" "$out"; fi
    counts "$out" 'rsvsadm: undone: *'
    check_eq "$what: each step made before it is undone" "$made" "${COUNTS[0]}"
    if [[ $out == *"could not undo"* ]]; then
      fail "$what: every undo works" "$out"
    else
      ok "$what: every undo works"
    fi
    after=$(host_state "$ns")
    check_eq "$what: the host is as before" "$before" "$after"
    made=$((made + 1))
  done
}

# A director with an IPv4 and an IPv6 side, and rules of other software in
# nftables, iptables and ip6tables that rsvsadm must leave alone.
build_director() {
  mkns dir
  ip -n "$(nsname dir)" -batch - <<'EOF'
link add eth0 type dummy
addr add 198.51.100.1/24 dev eth0
addr add 2001:db8:2::1/64 dev eth0
link set eth0 up
EOF
  in_ns dir nft -f - <<'EOF'
table inet keepme {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
EOF
  in_ns dir iptables -w -t nat -A POSTROUTING -s 203.0.113.0/24 -o eth0 -j RETURN
  in_ns dir ip6tables -w -t nat -A POSTROUTING -s 2001:db8:3::/64 -o eth0 -j RETURN
}

director_undo() {
  local fw=$1
  build_director
  # A fresh director: every sysctl and firewall step is planned.
  each_step_fails "NAT director ($fw), fresh" dir \
    nat --masquerade 198.51.100.0/24 --masquerade 2001:db8:2::/64 --interface eth0 \
    --firewall "$fw"
  # A director already masquerading IPv4: the next command rewrites the
  # IPv4 rules and adds IPv6 ones; a failure at the IPv6 step must leave
  # the IPv4 rules as they were.
  check "NAT director ($fw): an IPv4 setup" \
    in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --firewall "$fw"
  each_step_fails "NAT director ($fw), set up" dir \
    nat --masquerade 2001:db8:2::/64 --masquerade 192.0.2.0/24 --firewall "$fw"
  check "NAT director ($fw): the same command without a failure works" \
    in_ns dir "$RSVSADM" setup nat --masquerade 2001:db8:2::/64 --masquerade 192.0.2.0/24 \
    --firewall "$fw"
  check_eq "NAT director ($fw): the setup then holds all three networks" \
    "--masquerade 192.0.2.0/24 --masquerade 198.51.100.0/24 --masquerade 2001:db8:2::/64 " \
    "$(in_ns dir "$RSVSADM" setup save - | grep -o -- '--masquerade [^ ]*' | sort | tr '\n' ' ')"
  delns dir
}

# An LVS-TUN real server: a tunnel created, set up, the VIP on it, the ARP
# and reverse-path parameters (strict rp_filter, as distributions ship it).
realserver_undo() {
  mkns rs
  sysctl_ns rs net.ipv4.conf.all.rp_filter=1
  each_step_fails "TUN real server" rs realserver --vip 203.0.113.10 --mode tun
  delns rs
}

make_wrappers
director_undo nft
director_undo iptables
realserver_undo
