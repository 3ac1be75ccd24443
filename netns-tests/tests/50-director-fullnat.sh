#!/usr/bin/env bash
# rsvsadm setup fullnat: FULLNAT's effect on a stock kernel. The
# real servers have no route back to the clients at all; the director's
# IPVS NAT plus rsvsadm's source-NAT rule make every request arrive from a
# local address of the director, and the replies find their way back.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The ipvsadm-syntax commands (-A -a -L) are run with ADM.
ADM=${LAB_IPVS_TOOL:-$RSVSADM}

ruleset() { in_ns "$1" nft list ruleset; }

#   client 203.0.113.100 --- eth0 203.0.113.1 + VIP 203.0.113.10 [director]
#   eth1 198.51.100.1, 198.51.100.2 (the local addresses) --- LAN ---
#   RS1 198.51.100.11, RS2 198.51.100.12: no default route, no route to the
#   client network. IPv6 alongside: client 2001:db8:1::100, VIP
#   2001:db8:1::10, local address 2001:db8:2::1, RS 2001:db8:2::11/12.
build() {
  mkns cl dir lan rs1 rs2
  link cl eth0 203.0.113.100/24,2001:db8:1::100/64 dir eth0 203.0.113.1/24,2001:db8:1::1/64
  addr dir eth0 203.0.113.10/32 2001:db8:1::10/128
  bridge lan br0
  link dir eth1 198.51.100.1/24,2001:db8:2::1/64 lan p-dir -
  addr dir eth1 198.51.100.2/24
  link rs1 eth0 198.51.100.11/24,2001:db8:2::11/64 lan p-rs1 -
  link rs2 eth0 198.51.100.12/24,2001:db8:2::12/64 lan p-rs2 -
  bridge_port lan br0 p-dir
  bridge_port lan br0 p-rs1
  bridge_port lan br0 p-rs2
  http_server rs1 198.51.100.11 8080 rs1
  http_server rs2 198.51.100.12 8080 rs2
  http_server rs1 2001:db8:2::11 8080 rs1
  http_server rs2 2001:db8:2::12 8080 rs2
  in_ns dir "$ADM" -A -t 203.0.113.10:80 -s rr
  in_ns dir "$ADM" -a -t 203.0.113.10:80 -r 198.51.100.11:8080 -m
  in_ns dir "$ADM" -a -t 203.0.113.10:80 -r 198.51.100.12:8080 -m
  in_ns dir "$ADM" -A -t '[2001:db8:1::10]:80' -s rr
  in_ns dir "$ADM" -a -t '[2001:db8:1::10]:80' -r '[2001:db8:2::11]:8080' -m
  in_ns dir "$ADM" -a -t '[2001:db8:1::10]:80' -r '[2001:db8:2::12]:8080' -m
}

# The whoami answers of COUNT requests, "rsN saw ADDR" (port dropped).
whoami() {
  local url=$1 count=$2 i
  for ((i = 0; i < count; i++)); do
    in_ns cl curl -sS --max-time 5 "$url" 2>&1 | sed 's/:[0-9]*$//' || true
  done
}

main() {
  build
  check_eq "the real servers have no route to the clients" "unreachable" \
    "$(in_ns rs1 ip route get 203.0.113.100 >/dev/null 2>&1 && echo routed || echo unreachable)"
  check_eq "plain NAT can't work here: the replies have nowhere to go" "timeout" \
    "$(in_ns cl curl -sS --max-time 2 http://203.0.113.10/whoami >/dev/null 2>&1 && echo answered || echo timeout)"
  check "setup fullnat refuses a local address this host doesn't have" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup fullnat -t 203.0.113.10:80 --laddr 198.51.100.9 2>/dev/null"
  check "setup fullnat refuses a local address of the other family" \
    bash -c "! ip netns exec $(nsname dir) $RSVSADM setup fullnat -t 203.0.113.10:80 --laddr 2001:db8:2::1 2>/dev/null"
  check_eq "refused setups created nothing" "" "$(ruleset dir)"

  check "setup fullnat with two local addresses" \
    in_ns dir "$RSVSADM" setup fullnat -t 203.0.113.10:80 --laddr 198.51.100.1 --laddr 198.51.100.2
  check_eq "net.ipv4.vs.conntrack is on" 1 "$(in_ns dir cat /proc/sys/net/ipv4/vs/conntrack)"
  check_eq "net.ipv4.ip_forward is on (replies are forwarded)" 1 "$(in_ns dir cat /proc/sys/net/ipv4/ip_forward)"
  local got
  got=$(whoami http://203.0.113.10/whoami 4)
  check_eq "every request arrives from one of the local addresses" "" \
    "$(grep -v -E '^rs[12] saw 198\.51\.100\.[12]$' <<<"$got" || true)"
  check_eq "rr spreads the requests evenly" "rs1=2 rs2=2 " \
    "$(awk '{print $1}' <<<"$got" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')"
  check_eq "both local addresses are used" "198.51.100.1 198.51.100.2 " \
    "$(awk '{print $3}' <<<"$got" | sort -u | tr '\n' ' ')"
  local conns
  conns=$(in_ns dir "$ADM" -Lnc | grep ' 203\.0\.113\.10:80 ' || true)
  check "-Lnc lists the connections" test "$(wc -l <<<"$conns")" -ge 4
  check_eq "-Lnc shows the client, not a local address, as their source" "" \
    "$(grep -v ' 203\.0\.113\.100:[0-9]* *203\.0\.113\.10:80 ' <<<"$conns" || true)"

  # Idempotence.
  local r1 out
  r1=$(ruleset dir)
  out=$(in_ns dir "$RSVSADM" setup fullnat -t 203.0.113.10:80 --laddr 198.51.100.1 --laddr 198.51.100.2 2>&1)
  check_eq "setup fullnat run again says nothing" "" "$out"
  check_eq "setup fullnat run again: nft list ruleset is byte-identical" "$r1" "$(ruleset dir)"

  # IPv6, a second service: the first one's rule stays.
  check "setup fullnat for an IPv6 service" \
    in_ns dir "$RSVSADM" setup fullnat -t '[2001:db8:1::10]:80' --laddr 2001:db8:2::1
  got=$(whoami 'http://[2001:db8:1::10]/whoami' 2 | sort | tr '\n' ' ')
  check_eq "IPv6: every request arrives from the local address, rr spreads" \
    "rs1 saw 2001:db8:2::1 rs2 saw 2001:db8:2::1 " "$got"
  got=$(whoami http://203.0.113.10/whoami 2 | awk '{print $3}' | sort -u | tr '\n' ' ')
  check "IPv4 FULLNAT still works next to it" \
    bash -c "[[ '$got' == '198.51.100.'[12]' '* ]]"
  out=$(in_ns dir "$RSVSADM" setup save -)
  check_eq "setup save lists both services" \
    "fullnat -t 203.0.113.10:80 --laddr 198.51.100.1 --laddr 198.51.100.2
fullnat -t [2001:db8:1::10]:80 --laddr 2001:db8:2::1" "$(grep -v '^#' <<<"$out")"

  # --delete removes one service's rule, clear the table.
  check "setup fullnat --delete" in_ns dir "$RSVSADM" setup fullnat -t '[2001:db8:1::10]:80' --delete
  check_eq "after --delete, IPv6 requests no longer get an answer" "timeout" \
    "$(in_ns cl curl -sS --max-time 2 'http://[2001:db8:1::10]/whoami' >/dev/null 2>&1 && echo answered || echo timeout)"
  check "setup clear" in_ns dir "$RSVSADM" setup clear
  check_eq "setup clear removed the table" "" "$(ruleset dir)"
}

main
