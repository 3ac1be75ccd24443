#!/usr/bin/env bash
# rsvsadm setup nat: two LVS-NAT directors, built by rsvsadm
# alone, with real traffic.
#  - lvs_nat.sh's director: wrr 2:1, masquerading of the real servers' own
#    traffic, idempotence, show/save/restore, clear (and what it leaves);
#  - a port-mapping director: rr with port mapping 8888 -> 9999 and `--set 1 120 300`;
#  - the iptables fallback, and refusals that change nothing.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The ipvsadm-syntax commands (-A -a --set -L) are run with ADM.
ADM=${LAB_IPVS_TOOL:-$RSVSADM}

# Names the real servers answer with, one a line, for COUNT requests.
fetch_names() {
  local ns=$1 url=$2 count=$3 i
  for ((i = 0; i < count; i++)); do
    in_ns "$ns" curl -sS --max-time 5 "$url" 2>&1 || echo "curl failed"
  done
}

ruleset() { in_ns "$1" nft list ruleset; }

# has_line NAME LINE TEXT / has_text NAME FRAGMENT TEXT: TEXT holds LINE
# exactly / FRAGMENT somewhere.
has_line() {
  if grep -qxF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no line: $2" "--- in:" "$3"; fi
}
has_text() {
  if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no text: $2" "--- in:" "$3"; fi
}

# --- lvs_nat.sh's director ----------------------------------------------------
# lvs_nat.sh's network (lib.sh), plus a client-side
# server and an unrelated nft table.
build_lvs_nat() {
  lvs_nat_network
  # A server on the client side, to see where the real servers' own
  # requests come from.
  http_server cl 203.0.113.111 8000 client-side
  # An unrelated table that setup and clear must leave alone.
  in_ns dir nft -f - <<'EOF'
table inet keepme {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
EOF
}

lvs_nat_director() {
  build_lvs_nat
  local before
  before=$(ruleset dir)
  check_eq "lvs_nat.sh's director starts without forwarding" 0 \
    "$(in_ns dir cat /proc/sys/net/ipv4/ip_forward)"

  # Refusals: nothing may change.
  check "setup nat refuses an interface that does not exist" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup nat --masquerade 198.51.100.0/24 --interface eth9"
  check "setup nat refuses a malformed interface name" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup nat --interface 'eth0/1'"
  check "setup nat refuses a malformed network" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup nat --masquerade 198.51.100.0/33"
  check_eq "refused commands changed no rule" "$before" "$(ruleset dir)"
  check_eq "refused commands changed no sysctl" "0 1" \
    "$(in_ns dir cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/all/send_redirects | tr '\n' ' ' | sed 's/ $//')"

  # lvs_nat.sh, the rsvsadm way.
  check "setup nat (lvs_nat.sh's sysctls and MASQUERADE)" \
    in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1
  local s v=""
  for s in ipv4/ip_forward ipv4/conf/all/send_redirects ipv4/conf/default/send_redirects \
    ipv4/conf/eth0/send_redirects ipv4/conf/eth1/send_redirects; do
    v+="$s=$(in_ns dir cat "/proc/sys/net/$s") "
  done
  check_eq "setup nat sets lvs_nat.sh's sysctls" \
    "ipv4/ip_forward=1 ipv4/conf/all/send_redirects=0 ipv4/conf/default/send_redirects=0 ipv4/conf/eth0/send_redirects=0 ipv4/conf/eth1/send_redirects=0 " "$v"
  in_ns dir "$ADM" -C
  in_ns dir "$ADM" -A -t 203.0.113.200:80 -s wrr
  in_ns dir "$ADM" -a -t 203.0.113.200:80 -r 198.51.100.107:80 -m -w 2
  in_ns dir "$ADM" -a -t 203.0.113.200:80 -r 198.51.100.110:80 -m -w 1

  local names
  names=$(fetch_names cl http://203.0.113.200/ 9 | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
  check_eq "LVS-NAT: nine new connections split 6:3 (wrr 2:1)" "cenvm71=6 cenvm72=3 " "$names"
  check_eq "LVS-NAT: a real server's own request leaves masqueraded (the client side sees the director)" \
    "client-side saw 203.0.113.200" \
    "$(in_ns rs1 curl -sS --max-time 5 http://203.0.113.111:8000/whoami 2>&1 | sed 's/:[0-9]*$//')"

  # Idempotence: the same command again changes nothing and says nothing.
  local r1 out
  r1=$(ruleset dir)
  out=$(in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1 2>&1)
  check_eq "setup nat run again says nothing" "" "$out"
  check_eq "setup nat run again: nft list ruleset is byte-identical" "$r1" "$(ruleset dir)"
  in_ns dir "$RSVSADM" setup nat --interface eth0 >/dev/null
  check_eq "setup nat with a subset of the options keeps the rest" "$r1" "$(ruleset dir)"

  # show, save, clear, restore.
  out=$(in_ns dir "$RSVSADM" setup show 2>&1)
  has_line "setup show lists the setup" '  nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1' "$out"
  has_line "setup show lists the sysctls with their values" '  net.ipv4.conf.eth1.send_redirects = 0' "$out"
  has_text "setup show lists the rules" 'masquerade comment "masquerade 198.51.100.0/24"' "$out"
  local conf=$NT_STATE/setup.conf
  check "setup save writes a file" in_ns dir "$RSVSADM" setup save "$conf"
  check_eq "the saved file holds the setup command" \
    "nat --masquerade 198.51.100.0/24 --interface eth0 --interface eth1" "$(grep -v '^#' "$conf")"
  out=$(in_ns dir "$RSVSADM" setup clear 2>&1)
  check_eq "setup clear leaves only the unrelated table" "$before" "$(ruleset dir)"
  has_text "setup clear says it leaves the sysctls, and why" \
    'left as they are: kernel parameters. rsvsadm does not know their values' "$out"
  has_line "setup clear names net.ipv4.ip_forward among them" '  net.ipv4.ip_forward = 1' "$out"
  check_eq "after clear, the real servers' own traffic is no longer masqueraded" "failed" \
    "$(in_ns rs1 curl -sS --max-time 3 http://203.0.113.111:8000/whoami >/dev/null 2>&1 && echo worked || echo failed)"
  check "setup restore re-applies the saved file" in_ns dir "$RSVSADM" setup restore "$conf"
  check_eq "after restore, nft list ruleset is as before clear" "$r1" "$(ruleset dir)"
  check_eq "after restore, masquerading works again" "client-side saw 203.0.113.200" \
    "$(in_ns rs1 curl -sS --max-time 5 http://203.0.113.111:8000/whoami 2>&1 | sed 's/:[0-9]*$//')"
  check "setup clear again" in_ns dir "$RSVSADM" setup clear

  # An interface name with a dot (a VLAN's): in /proc/sys the dot stays.
  ip -n "$(nsname dir)" link add eth0.100 type dummy
  check "setup nat accepts a dotted interface name" in_ns dir "$RSVSADM" setup nat --interface eth0.100
  check_eq "send_redirects is off on eth0.100" 0 \
    "$(in_ns dir cat /proc/sys/net/ipv4/conf/eth0.100/send_redirects)"
  has_line "setup show prints it in sysctl(8) notation" '  net.ipv4.conf.eth0/100.send_redirects = 0' \
    "$(in_ns dir "$RSVSADM" setup show)"
  in_ns dir "$RSVSADM" setup clear >/dev/null
  check_eq "setup clear: back to the unrelated table only" "$before" "$(ruleset dir)"

  # The iptables fallback: a dedicated chain, -C before -A, same effect.
  check "setup nat --firewall iptables" \
    in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --firewall iptables
  local i1
  i1=$(in_ns dir iptables -w -t nat -S)
  has_line "iptables: POSTROUTING jumps to RSVSADM-POSTROUTING" '-A POSTROUTING -j RSVSADM-POSTROUTING' "$i1"
  check_eq "iptables: masquerading works" "client-side saw 203.0.113.200" \
    "$(in_ns rs1 curl -sS --max-time 5 http://203.0.113.111:8000/whoami 2>&1 | sed 's/:[0-9]*$//')"
  in_ns dir "$RSVSADM" setup nat --masquerade 198.51.100.0/24 --firewall iptables >/dev/null
  check_eq "iptables: run again, iptables -S is identical" "$i1" "$(in_ns dir iptables -w -t nat -S)"
  check "setup nat (nft) refuses while the rules are in iptables" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup nat --firewall nft 2>/dev/null"
  in_ns dir "$RSVSADM" setup clear >/dev/null
  check_eq "iptables: clear removes rsvsadm's chains and jump" "" \
    "$(in_ns dir iptables -w -t nat -S | grep -i rsvsadm || true)"
  delns cl dir lan rs1 rs2
}

# --- a port-mapping director --------------------------------------------------
#   client 203.0.113.5 --- eth0 203.0.113.58 [director] eth1 198.51.100.90
#   --- LAN --- RS 198.51.100.71:9999, 198.51.100.72:9999 (gateway .90)
port_mapping_director() {
  mkns cl dir lan rs1 rs2
  link cl eth0 203.0.113.5/24 dir eth0 203.0.113.58/24
  bridge lan br0
  link dir eth1 198.51.100.90/24 lan p-dir -
  link rs1 eth0 198.51.100.71/24 lan p-rs1 -
  link rs2 eth0 198.51.100.72/24 lan p-rs2 -
  bridge_port lan br0 p-dir
  bridge_port lan br0 p-rs1
  bridge_port lan br0 p-rs2
  route rs1 add default via 198.51.100.90
  route rs2 add default via 198.51.100.90
  http_server rs1 198.51.100.71 9999 "This is 198.51.100.71."
  http_server rs2 198.51.100.72 9999 "This is 198.51.100.72."
  check "port mapping: setup nat (ip_forward)" in_ns dir "$RSVSADM" setup nat
  in_ns dir "$ADM" -C
  in_ns dir "$ADM" -A -t 203.0.113.58:8888 -s rr
  in_ns dir "$ADM" -a -t 203.0.113.58:8888 -r 198.51.100.71:9999 -m
  in_ns dir "$ADM" -a -t 203.0.113.58:8888 -r 198.51.100.72:9999 -m
  in_ns dir "$ADM" --set 1 120 300
  check_eq "port mapping: --set 1 120 300 is in place" "Timeout (tcp tcpfin udp): 1 120 300" \
    "$(in_ns dir "$ADM" -L --timeout)"
  local got i
  got=$(for ((i = 0; i < 4; i++)); do
    in_ns cl curl -sS --max-time 5 http://203.0.113.58:8888/ 2>&1 || echo failed
    nap 1.2
  done | tr '\n' '|')
  case $got in
    "This is 198.51.100.71.|This is 198.51.100.72.|This is 198.51.100.71.|This is 198.51.100.72.|" | \
      "This is 198.51.100.72.|This is 198.51.100.71.|This is 198.51.100.72.|This is 198.51.100.71.|")
      ok "port mapping: rr alternates between the servers, port 8888 mapped to 9999"
      ;;
    *) fail "port mapping: rr alternates between the servers, port 8888 mapped to 9999" "got: $got" ;;
  esac
  delns cl dir lan rs1 rs2
}

lvs_nat_director
port_mapping_director
