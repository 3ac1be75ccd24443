#!/usr/bin/env bash
# rsvsadm setup realserver: real servers for direct routing (-g) and IP
# tunnelling (-i), prepared by rsvsadm alone, answering the client directly
# (their replies never pass the director). IPv4 and IPv6.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The ipvsadm-syntax commands (-A -a) are run with ADM.
ADM=${LAB_IPVS_TOOL:-$RSVSADM}

has_line() {
  if grep -qxF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no line: $2" "--- in:" "$3"; fi
}

#   client 192.0.2.100 / 2001:db8:1::100 --- router --- LAN 198.51.100.0/24,
#   2001:db8:2::/64: director .2 / ::2, RS1 .11 / ::11, RS2 .12 / ::12.
#   The real servers' default gateway is the router, not the director.
#   VIPs: 198.51.100.10 and 2001:db8:2::10 (DR), 198.51.100.20 and
#   2001:db8:2::20 (TUN).
build() {
  mkns cl rt lan dir rs1 rs2
  link cl eth0 192.0.2.100/24,2001:db8:1::100/64 rt eth0 192.0.2.1/24,2001:db8:1::1/64
  route cl add default via 192.0.2.1
  ip -n "$(nsname cl)" -6 route add default via 2001:db8:1::1
  sysctl_ns rt net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  bridge lan br0
  link rt eth1 198.51.100.1/24,2001:db8:2::1/64 lan p-rt -
  link dir eth0 198.51.100.2/24,2001:db8:2::2/64 lan p-dir -
  link rs1 eth0 198.51.100.11/24,2001:db8:2::11/64 lan p-rs1 -
  link rs2 eth0 198.51.100.12/24,2001:db8:2::12/64 lan p-rs2 -
  local ns
  for ns in rt dir rs1 rs2; do
    bridge_port lan br0 "p-$ns"
  done
  for ns in dir rs1 rs2; do
    route "$ns" add default via 198.51.100.1
    ip -n "$(nsname "$ns")" -6 route add default via 2001:db8:2::1
  done
  addr dir eth0 198.51.100.10/32 198.51.100.20/32 2001:db8:2::10/128 2001:db8:2::20/128
  # Strict reverse-path filtering, as many distributions ship it: TUN
  # must still work.
  for ns in rs1 rs2; do
    sysctl_ns "$ns" net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
  done
  # Counts every reply that would pass the director (it must stay 0).
  in_ns dir nft -f - <<'EOF'
table inet probe {
  chain pre {
    type filter hook prerouting priority -300; policy accept;
    ip saddr { 198.51.100.10, 198.51.100.20 } tcp sport 80 counter
    ip6 saddr { 2001:db8:2::10, 2001:db8:2::20 } tcp sport 80 counter
  }
}
EOF
}

# The interfaces and addresses of NS, one a line (the hand-made test
# address left out).
inventory() {
  ip -n "$(nsname "$1")" -o link show | awk '{print $2}'
  ip -n "$(nsname "$1")" -o addr show | awk '{print $2, $4}' | grep -v '203\.0\.113\.99'
}

# Names of COUNT answers from URL, one a line.
answers() {
  local url=$1 count=$2 i
  for ((i = 0; i < count; i++)); do
    in_ns cl curl -sS --max-time 5 "$url" 2>&1 | sed 's/:[0-9]*$//' || true
  done
}

# alternates NAME ANSWERS: 4 answers from the two servers, in turn, each
# seeing the client's own address.
alternates() {
  local name=$1 got=$2 n
  mapfile -t n < <(awk '{print $1}' <<<"$got")
  if [[ ${#n[@]} == 4 && ${n[0]} != "${n[1]}" && ${n[0]} == "${n[2]}" && ${n[1]} == "${n[3]}" &&
    ${n[0]} == rs[12] && ${n[1]} == rs[12] ]]; then
    ok "$name"
  else
    fail "$name" "got:" "$got"
  fi
}

main() {
  build
  local before_rs1
  before_rs1=$(inventory rs1)
  # Something on lo that rsvsadm did not put there must survive clear.
  addr rs1 lo 203.0.113.99/32

  check "setup realserver refuses a loopback VIP" \
    bash -c "! ip netns exec $(nsname rs1) $RSVSADM setup realserver --vip 127.0.0.2 2>/dev/null"
  check "setup realserver refuses a VIP already on a network interface" \
    bash -c "! ip netns exec $(nsname rs1) $RSVSADM setup realserver --vip 198.51.100.11 2>/dev/null"
  local ns
  for ns in rs1 rs2; do
    check "$ns: setup realserver --mode dr (IPv4 and IPv6)" \
      in_ns "$ns" "$RSVSADM" setup realserver --vip 198.51.100.10 --vip 2001:db8:2::10
    check "$ns: setup realserver --mode tun (IPv4 and IPv6)" \
      in_ns "$ns" "$RSVSADM" setup realserver --vip 198.51.100.20 --vip 2001:db8:2::20 --mode tun
  done
  check_eq "rs1: arp_ignore=1 arp_announce=2, rp_filter relaxed (all 2, tunnel 0)" "1 2 2 0" \
    "$(in_ns rs1 cat /proc/sys/net/ipv4/conf/all/arp_ignore /proc/sys/net/ipv4/conf/all/arp_announce \
      /proc/sys/net/ipv4/conf/all/rp_filter /proc/sys/net/ipv4/conf/rsvs-tun/rp_filter | tr '\n' ' ' | sed 's/ $//')"
  local rs1_addrs out
  rs1_addrs=$(ip -n "$(nsname rs1)" addr show)
  out=$(in_ns rs1 "$RSVSADM" setup realserver --vip 198.51.100.10 --vip 2001:db8:2::10 2>&1)
  out+=$(in_ns rs1 "$RSVSADM" setup realserver --vip 198.51.100.20 --vip 2001:db8:2::20 --mode tun 2>&1)
  check_eq "setup realserver run again says nothing" "" "$out"
  check_eq "setup realserver run again: addresses are identical" "$rs1_addrs" "$(ip -n "$(nsname rs1)" addr show)"
  check "switching a VIP to another mode is refused" \
    bash -c "! ip netns exec $(nsname rs1) $RSVSADM setup realserver --vip 198.51.100.10 --mode tun 2>/dev/null"

  for ns in rs1 rs2; do
    http_server "$ns" 198.51.100.10 80 "$ns"
    http_server "$ns" 2001:db8:2::10 80 "$ns"
    http_server "$ns" 198.51.100.20 80 "$ns"
    http_server "$ns" 2001:db8:2::20 80 "$ns"
  done
  in_ns dir "$ADM" -A -t 198.51.100.10:80 -s rr
  in_ns dir "$ADM" -a -t 198.51.100.10:80 -r 198.51.100.11 -g
  in_ns dir "$ADM" -a -t 198.51.100.10:80 -r 198.51.100.12 -g
  in_ns dir "$ADM" -A -t '[2001:db8:2::10]:80' -s rr
  in_ns dir "$ADM" -a -t '[2001:db8:2::10]:80' -r 2001:db8:2::11 -g
  in_ns dir "$ADM" -a -t '[2001:db8:2::10]:80' -r 2001:db8:2::12 -g
  in_ns dir "$ADM" -A -t 198.51.100.20:80 -s rr
  in_ns dir "$ADM" -a -t 198.51.100.20:80 -r 198.51.100.11 -i
  in_ns dir "$ADM" -a -t 198.51.100.20:80 -r 198.51.100.12 -i
  in_ns dir "$ADM" -A -t '[2001:db8:2::20]:80' -s rr
  in_ns dir "$ADM" -a -t '[2001:db8:2::20]:80' -r 2001:db8:2::11 -i
  in_ns dir "$ADM" -a -t '[2001:db8:2::20]:80' -r 2001:db8:2::12 -i

  # The director's IPv6 VIPs are in the real servers' /64: source address
  # selection prefers them to the director's own address for the tunnel.
  local rc=0
  out=$(in_ns dir "$RSVSADM" check 2>&1) || rc=$?
  if [[ $rc == 1 ]] && grep -qF "error: TCP [2001:db8:2::20]:80 -> [2001:db8:2::11]:80: packets tunnelled to this real server leave with the VIP 2001:db8:2::10 as their source" <<<"$out"; then
    ok "check: an IPv6 tunnel would leave from a VIP"
  else
    fail "check: an IPv6 tunnel would leave from a VIP" "exit status $rc" "$out"
  fi
  # The usual remedy: deprecated VIPs are never chosen as a source.
  ip -n "$(nsname dir)" -6 addr change 2001:db8:2::10/128 dev eth0 preferred_lft 0
  ip -n "$(nsname dir)" -6 addr change 2001:db8:2::20/128 dev eth0 preferred_lft 0
  out=$(in_ns dir "$RSVSADM" check 2>&1) && rc=0 || rc=$?
  check_eq "check is silent on the DR/TUN director once the VIPs are deprecated" "0:" "$rc:$out"

  local got
  got=$(answers http://198.51.100.10/whoami 4)
  alternates "DR: rr alternates between the real servers" "$got"
  check_eq "DR: the real servers see the client's own address" "192.0.2.100" \
    "$(awk '{print $3}' <<<"$got" | sort -u)"
  got=$(answers 'http://[2001:db8:2::10]/whoami' 4)
  alternates "DR over IPv6: rr alternates between the real servers" "$got"
  check_eq "DR over IPv6: the real servers see the client's own address" "2001:db8:1::100" \
    "$(awk '{print $3}' <<<"$got" | sort -u)"
  got=$(answers http://198.51.100.20/whoami 4)
  alternates "TUN: rr alternates between the real servers" "$got"
  check_eq "TUN: the real servers see the client's own address" "192.0.2.100" \
    "$(awk '{print $3}' <<<"$got" | sort -u)"
  got=$(answers 'http://[2001:db8:2::20]/whoami' 4)
  alternates "TUN over IPv6: rr alternates between the real servers" "$got"
  check_eq "TUN over IPv6: the real servers see the client's own address" "2001:db8:1::100" \
    "$(awk '{print $3}' <<<"$got" | sort -u)"
  check_eq "no reply passed the director: the real servers answer the client directly" \
    "packets 0 packets 0" \
    "$(in_ns dir nft list table inet probe | grep -o 'packets [0-9]*' | tr '\n' ' ' | sed 's/ $//')"

  out=$(in_ns rs1 "$RSVSADM" setup show)
  has_line "show: the IPv4 DR VIP on lo, labelled" "  198.51.100.10/32 on lo (label lo:rsvs)" "$out"
  has_line "show: the IPv6 DR VIP on lo, marked by its metric" "  2001:db8:2::10/128 on lo (metric 1920169587)" "$out"
  has_line "show: the tunnel with its VIP" "  rsvs-tun (ipip, up): 198.51.100.20/32" "$out"
  has_line "show: the IPv6 tunnel with its VIP" "  rsvs-tun6 (ip6tnl, up): 2001:db8:2::20/128" "$out"
  check_eq "save: the real server's setup" "realserver --vip 198.51.100.10 --mode dr
realserver --vip 198.51.100.20 --mode tun
realserver --vip 2001:db8:2::10 --mode dr
realserver --vip 2001:db8:2::20 --mode tun" "$(in_ns rs1 "$RSVSADM" setup save - | grep -v '^#')"

  out=$(in_ns rs1 "$RSVSADM" setup clear 2>&1)
  has_line "clear removes the tunnel" "removed interface rsvs-tun (with its addresses)" "$out"
  has_line "clear names arp_ignore among the parameters it leaves" "  net.ipv4.conf.all.arp_ignore = 1" "$out"
  check_eq "clear leaves rs1's interfaces and addresses as before setup" \
    "$before_rs1" "$(inventory rs1)"
  check "clear kept the hand-made address on lo" \
    bash -c "ip -n $(nsname rs1) addr show dev lo | grep -q '203.0.113.99/32'"
}

main
