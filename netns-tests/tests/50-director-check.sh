#!/usr/bin/env bash
# rsvsadm check: silent on a correct director; each classic mistake, made
# on purpose, is found with a fix (exit status 1 for errors, 0 for
# warnings). The last one: NAT connections stuck in SYN_RECV because a
# real server's default gateway is not the director.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The ipvsadm-syntax commands (-A -a -d -D) are run with ADM.
ADM=${LAB_IPVS_TOOL:-$RSVSADM}

# lvs_nat.sh's LVS-NAT network (lib.sh), configured as lvs_nat.sh would.
build() {
  lvs_nat_network
  in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1 >/dev/null
  in_ns dir "$ADM" -A -t 203.0.113.200:80 -s wrr
  in_ns dir "$ADM" -a -t 203.0.113.200:80 -r 198.51.100.107:80 -m -w 2
  in_ns dir "$ADM" -a -t 203.0.113.200:80 -r 198.51.100.110:80 -m -w 1
}

# Runs `rsvsadm check` on the director: sets OUT and RC.
run_check() {
  RC=0
  OUT=$(in_ns dir "$RSVSADM" check 2>&1) || RC=$?
}

# found NAME RC LINE...: check exited with RC and printed every LINE
# (each a fixed string found somewhere in the output).
found() {
  local name=$1 rc=$2 line missing=()
  shift 2
  for line in "$@"; do
    grep -qF -- "$line" <<<"$OUT" || missing+=("$line")
  done
  if [[ $RC == "$rc" && ${#missing[@]} == 0 ]]; then
    ok "$name"
  else
    fail "$name" "exit status $RC (want $rc)" "${missing[@]/#/missing: }" "--- output:" "$OUT"
  fi
}

silent() {
  run_check
  if [[ $RC == 0 && -z $OUT ]]; then ok "$1"; else fail "$1" "exit status $RC" "$OUT"; fi
}

main() {
  build
  local i
  for ((i = 0; i < 3; i++)); do
    in_ns cl curl -sS --max-time 5 http://203.0.113.200/ >/dev/null
  done
  silent "check is silent on a correct director (after real traffic)"

  in_ns dir sysctl -qw net.ipv4.ip_forward=0
  run_check
  found "check: ip_forward off while NAT destinations exist" 1 \
    "error: net.ipv4.ip_forward = 0: 2 NAT real server(s) are IPv4, but this host does not forward IPv4" \
    "fix: rsvsadm setup nat"
  in_ns dir sysctl -qw net.ipv4.ip_forward=1

  in_ns dir sysctl -qw net.ipv4.conf.eth0.send_redirects=1
  run_check
  found "check: send_redirects on (a warning: exit status 0)" 0 \
    "warning: send_redirects on eth0: this director sends ICMP redirects" \
    "fix: rsvsadm setup nat --interface eth0"
  in_ns dir sysctl -qw net.ipv4.conf.eth0.send_redirects=0

  # A NAT destination whose network went away.
  ip -n "$(nsname dir)" link add dummy0 type dummy
  ip -n "$(nsname dir)" link set dummy0 up
  addr dir dummy0 192.0.2.254/24
  in_ns dir "$ADM" -a -t 203.0.113.200:80 -r 192.0.2.77:80 -m -w 0
  ip -n "$(nsname dir)" addr del 192.0.2.254/24 dev dummy0
  run_check
  found "check: a NAT destination with no route" 1 \
    "error: TCP 203.0.113.200:80 -> 192.0.2.77:80: no route to the real server"
  in_ns dir "$ADM" -d -t 203.0.113.200:80 -r 192.0.2.77:80

  # A DR destination behind a gateway.
  route dir add 192.0.2.0/24 via 198.51.100.107
  in_ns dir "$ADM" -A -t 203.0.113.200:8080 -s rr
  in_ns dir "$ADM" -a -t 203.0.113.200:8080 -r 192.0.2.77 -g
  run_check
  found "check: a DR destination not on a directly connected network" 1 \
    "error: TCP 203.0.113.200:8080 -> 192.0.2.77:8080: a direct-routing (-g) real server must be on a network this director is directly connected to, but it is reached via the gateway 198.51.100.107 on eth0"
  in_ns dir "$ADM" -D -t 203.0.113.200:8080
  route dir del 192.0.2.0/24

  # A virtual service on an address the director doesn't have.
  in_ns dir "$ADM" -A -t 203.0.113.222:80 -s rr
  in_ns dir "$ADM" -a -t 203.0.113.222:80 -r 198.51.100.107:80 -m
  run_check
  found "check: the VIP not on any local interface" 1 \
    "error: TCP 203.0.113.222:80: the virtual address 203.0.113.222 is not on any interface of this director" \
    "fix: ip addr add 203.0.113.222/32 dev IFACE"
  in_ns dir "$ADM" -D -t 203.0.113.222:80

  # FULLNAT, then conntrack turned off behind rsvsadm's back.
  in_ns dir "$RSVSADM" setup fullnat -t 203.0.113.200:80 --laddr 198.51.100.108 >/dev/null
  silent "check is silent with FULLNAT set up"
  in_ns dir sysctl -qw net.ipv4.vs.conntrack=0
  run_check
  found "check: a FULLNAT setup with vs.conntrack off" 1 \
    "error: nft rule in table inet rsvsadm chain postrouting (\"fullnat TCP 203.0.113.200:80\"): net.ipv4.vs.conntrack = 0" \
    "fix: sysctl -w net.ipv4.vs.conntrack=1"
  in_ns dir "$RSVSADM" setup fullnat -t 203.0.113.200:80 --delete >/dev/null
  # A hand-made masquerade rule towards the real servers: only a warning,
  # it may be meant for the director's own traffic.
  in_ns dir nft -f - <<'EOF'
table ip handmade {
  chain post {
    type nat hook postrouting priority srcnat; policy accept;
    ip daddr 198.51.100.0/24 masquerade
  }
}
EOF
  run_check
  found "check: a masquerade rule for the real servers with vs.conntrack off" 0 \
    "warning: nft rule in table ip handmade chain post: net.ipv4.vs.conntrack = 0"
  in_ns dir nft delete table ip handmade
  silent "check is silent again once every mistake is undone"

  # SYN_RECV from a wrong gateway: a real server whose default gateway is not the director.
  # rs1 does not forward: rs2's replies die there.
  route rs2 replace default via 198.51.100.107
  for ((i = 0; i < 6; i++)); do
    in_ns cl curl -sS --max-time 2 http://203.0.113.200/ >/dev/null 2>&1 || true
  done
  run_check
  found "check: NAT connections stuck in SYN_RECV (a real server routes its replies past the director)" 1 \
    "error: TCP 203.0.113.200:80 -> 198.51.100.110:80: 2 connection(s) stuck in SYN_RECV: its replies are not coming back through this director: is its default gateway this director's address?" \
    "fix: on 198.51.100.110: ip route replace default via 198.51.100.108"
  route rs2 replace default via 198.51.100.108
  check_eq "with its gateway fixed, the real server answers again" "cenvm72" \
    "$(for i in 1 2 3; do in_ns cl curl -sS --max-time 5 http://203.0.113.200/; done | sort -u | grep cenvm72)"
}

main
