#!/usr/bin/env bash
# ldirectord drives rsvsadm: Debian's ldirectord (Perl) runs /sbin/ipvsadm
# for every change and parses `ipvsadm -L -n` and `-L -n --thresholds` to
# decide what to change. The same scenario runs twice, first with Debian's
# ipvsadm, then with rsvsadm bind-mounted over /usr/sbin/ipvsadm in a private
# mount namespace (/sbin is a link to usr/sbin):
#
#   services: NAT wrr with HTTP negotiate checks; UDP DR (an external check);
#   a fwmark service with persistence and quiescent=yes; an IPv6 NAT service.
#   stages:   start; rs2 stopped (removed, or weight 0 where quiescent);
#             rs2 restarted (back); config edited and reloaded (SIGHUP);
#             ldirectord stopped (its services removed).
#
# After each stage the table must be the one the Debian run had at that
# stage, clients must be answered by healthy servers only, and ldirectord's
# log must show no failed command. LD_STAGES=FILE also writes each stage's
# two tables side by side into FILE.
#
#   cl 203.0.113.1, 2001:db8:1::1 --- eth1 [dir] eth0 --- br0 (lan) --- rs1 .11 ::11
#   VIPs 203.0.113.200, 2001:db8:1::200                              \-- rs2 .12 ::12
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

VIP=203.0.113.200
VIP6=2001:db8:1::200
MARK=5
# Seconds a stage may take to reach its table (checks run every second,
# but Perl and its checks are slow under TCG).
STAGE_WAIT=90

mkns cl dir lan rs1 rs2
link cl eth0 203.0.113.1/24,2001:db8:1::1/64 dir eth1 203.0.113.254/24,2001:db8:1::fe/64
addr dir eth1 "$VIP/32" "$VIP6/128"
bridge lan br0
link dir eth0 198.51.100.254/24,2001:db8:2::fe/64 lan p-dir -
link rs1 eth0 198.51.100.11/24,2001:db8:2::11/64 lan p-rs1 -
link rs2 eth0 198.51.100.12/24,2001:db8:2::12/64 lan p-rs2 -
for port in p-dir p-rs1 p-rs2; do bridge_port lan br0 "$port"; done
for rs in rs1 rs2; do
  route "$rs" add default via 198.51.100.254
  ip -n "$(nsname "$rs")" -6 route add default via 2001:db8:2::fe
done
# A quiesced server's persistence templates expire, so that persistent
# clients move to a healthy one (what a quiescent=yes director needs).
sysctl_ns dir net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
  net.ipv4.vs.expire_quiescent_template=1
in_ns dir nft -f - <<EOF
table ip nt71 {
  chain pre {
    type filter hook prerouting priority mangle;
    ip daddr $VIP tcp dport 8080 meta mark set $MARK
  }
}
EOF

# servers_up RS: its HTTP servers (port 80 IPv4 and IPv6, port 8080);
# their pids go to $NT_STATE/RS.pids.
servers_up() {
  local rs=$1 n=${1#rs}
  : >"$NT_STATE/$rs.pids"
  http_server "$rs" "198.51.100.1$n" 80 "$rs"
  echo "$SPAWNED" >>"$NT_STATE/$rs.pids"
  http_server "$rs" "198.51.100.1$n" 8080 "$rs"
  echo "$SPAWNED" >>"$NT_STATE/$rs.pids"
  http_server "$rs" "2001:db8:2::1$n" 80 "$rs-v6"
  echo "$SPAWNED" >>"$NT_STATE/$rs.pids"
}
servers_down() {
  local pid
  while read -r pid; do
    kill -KILL "$pid" 2>/dev/null || true
  done <"$NT_STATE/$1.pids"
}

# The UDP DR service's external check: the real server's HTTP answers 200.
# (bash's /dev/tcp: one process a check, where sh and curl are two; it runs
# every second for each real server.)
CHECK_HTTP=$NT_STATE/check-http
cat >"$CHECK_HTTP" <<'EOF'
#!/bin/bash
# ldirectord's checkcommand: VIP VPORT RIP RPORT (ldirectord's checktimeout
# bounds it).
exec 3<>"/dev/tcp/$3/80" || exit 1
printf 'GET / HTTP/1.0\r\n\r\n' >&3
read -r _ status _ <&3 && [[ $status == 200 ]]
EOF
chmod +x "$CHECK_HTTP"

# ld_conf LOG EDITED: the configuration (EDITED=1: rs1 weighs 3 in the NAT
# service, the IPv6 service is wlc, the UDP service is gone).
ld_conf() {
  local log=$1 edited=$2 w1=2 sched6=rr
  ((edited)) && w1=3 sched6=wlc
  cat <<EOF
checktimeout=3
negotiatetimeout=3
checkinterval=1
autoreload=no
quiescent=no
cleanstop=yes
logfile="$log"

virtual=$VIP:80
	real=198.51.100.11:80 masq $w1
	real=198.51.100.12:80 masq 1
	service=http
	request="/"
	receive="rs"
	checktype=negotiate
	scheduler=wrr
	protocol=tcp

virtual=$MARK
	real=198.51.100.11:8080 masq 1
	real=198.51.100.12:8080 masq 1
	service=http
	request="/"
	receive="rs"
	checktype=negotiate
	scheduler=rr
	protocol=fwm
	persistent=120
	netmask=255.255.255.0
	quiescent=yes

virtual6=[$VIP6]:80
	real6=[2001:db8:2::11]:80 masq 1
	real6=[2001:db8:2::12]:80 masq 1
	checktype=connect
	scheduler=$sched6
	protocol=tcp
EOF
  ((edited)) || cat <<EOF

virtual=$VIP:53
	real=198.51.100.11:53 gate 1
	real=198.51.100.12:53 gate 1
	checktype=external
	checkcommand="$CHECK_HTTP"
	scheduler=rr
	protocol=udp
EOF
}

# read_table: the table as ldirectord sees it, into TABLE, without the
# connection counts (they depend on how long ago the clients' connections
# ended): each destination as "  -> ADDRESS FORWARD WEIGHT". The stages poll
# it every second, so bash does the work: a process start costs much under
# emulation.
read_table() {
  local line arrow addr fwd weight _rest
  TABLE=""
  while IFS= read -r line; do
    if [[ $line =~ ^\ \ -\>\ [0-9[] ]]; then
      read -r arrow addr fwd weight _rest <<<"$line"
      printf -v line '  %s %-26s %-7s %s' "$arrow" "$addr" "$fwd" "$weight"
    fi
    TABLE+=$line$'\n'
  done < <(in_ns dir ipvsadm -Ln)
  TABLE=${TABLE%$'\n'}
}

# What each stage waits for, on the table text ($1), counted by lib.sh's
# counts (bash alone, as read_table is).
RS1='*198.51.100.11*' RS2='*198.51.100.12*' RS2_6='*2001:db8:2::12*'
ZERO='  -> *+( )0' # a destination at weight 0
stage_start() { # every server in, none at weight 0
  counts "$1" "$RS1" "$RS2" "$RS2_6" "$ZERO"
  ((COUNTS[0] == 3 && COUNTS[1] == 3 && COUNTS[2] == 1 && COUNTS[3] == 0))
}
stage_stopped() { # rs2 gone, but quiesced in the fwmark service
  counts "$1" "$RS2" "$RS2_6" '  -> 198.51.100.12:8080+( )Masq+( )0'
  ((COUNTS[0] == 1 && COUNTS[1] == 0 && COUNTS[2] == 1))
}
stage_reloaded() { # every server of the three services left, at weight > 0
  counts "$1" "$RS1" "$RS2" "$RS2_6" "$ZERO" '  -> 198.51.100.11:80+( )Masq+( )3' \
    "TCP  \[$VIP6\]:80 wlc*" "UDP  $VIP:53 *"
  ((COUNTS[0] == 2 && COUNTS[1] == 2 && COUNTS[2] == 1 && COUNTS[3] == 0)) &&
    ((COUNTS[4] == 1 && COUNTS[5] == 1 && COUNTS[6] == 0))
}
stage_stopped_ld() { # only the two title lines
  counts "$1" '[A-Z]*'
  ((COUNTS[0] == 2))
}

# wait_stage TOOL STAGE PREDICATE: waits until the table satisfies
# PREDICATE and holds still over 2 s (2 check rounds); saves it. (Reading
# it less often makes each stage longer, and ldirectord's checks, which run
# meanwhile, cost more than the reads.)
wait_stage() {
  local tool=$1 stage=$2 pred=$3 t prev="" deadline=$((SECONDS + STAGE_WAIT))
  while ((SECONDS < deadline)); do
    read_table
    t=$TABLE
    if "$pred" "$t"; then
      [[ $t == "$prev" ]] && break
      prev=$t
    else
      prev=""
    fi
    nap 1
  done
  printf '%s\n' "$t" >"$NT_STATE/table-$tool-$stage"
  if [[ -n $prev && $t == "$prev" ]]; then
    ok "$tool: $stage: the table is as ldirectord should make it"
  else
    fail "$tool: $stage: the table is as ldirectord should make it" \
      "waited $STAGE_WAIT s for $pred; the table:" "$t" "ldirectord's log:" \
      "$(tail -n 20 "$NT_STATE/ld-$tool.log" 2>/dev/null)"
  fi
}

# The clients: 6 requests to the NAT service, 3 to the fwmark service, 3 to
# the IPv6 service, in one process; one answer (a server's name) or error a line.
CLIENT_PY=$NT_PY_FETCH'
vip, vip6 = sys.argv[1:3]
for host, port, n in ((vip, 80, 6), (vip, 8080, 3), (vip6, 80, 3)):
    for _ in range(n):
        try:
            print(fetch(host, port))
        except OSError as e:
            print("%s port %d: %s" % (host, port, e))
'
# clients TOOL STAGE HEALTHY...: every answer comes from a healthy server.
clients() {
  local tool=$1 stage=$2 answers bad
  shift 2
  answers=$(in_ns cl python3 -S -u -c "$CLIENT_PY" "$VIP" "$VIP6" 2>&1) || true
  bad=$(grep -vxF -f <(printf '%s\n' "$@") <<<"$answers" || true)
  if [[ -z $bad && $(wc -l <<<"$answers") == 12 ]]; then
    ok "$tool: $stage: 12 requests answered, by $(sort -u <<<"$answers" | tr '\n' ' ')only"
  else
    fail "$tool: $stage: 12 requests answered by healthy servers ($*) only" "$answers"
  fi
}

# run TOOL: the whole scenario, ldirectord calling TOOL as /sbin/ipvsadm.
run() {
  local tool=$1 cf=$NT_STATE/ld-$1.cf log=$NT_STATE/ld-$1.log pid
  in_ns dir ipvsadm -C
  : >"$log"
  ld_conf "$log" 0 >"$cf"
  servers_up rs2
  local started=0
  if [[ $tool == rsvsadm ]]; then
    # shellcheck disable=SC2016 # the inner script expands its own arguments
    in_ns dir unshare -m --propagation private bash -c \
      'mount --bind "$1" /usr/sbin/ipvsadm && exec ldirectord "$2" start' _ "$RSVSADM" "$cf" &&
      started=1
  else
    in_ns dir ldirectord "$cf" start && started=1
  fi
  if ((!started)); then
    fail "$tool: ldirectord started" "$(tail -n 20 "$log")"
    return
  fi
  pid=$(cat "/run/ldirectord.${cf##*/}.pid" 2>/dev/null || true)
  on_exit "kill -TERM ${pid:-0} 2>/dev/null"
  if [[ $tool == rsvsadm ]]; then
    check "rsvsadm: ldirectord's /sbin/ipvsadm is rsvsadm" \
      nsenter -t "${pid:-0}" -m -r cmp /sbin/ipvsadm "$RSVSADM"
  else
    check "ipvsadm: ldirectord's /sbin/ipvsadm is Debian's" \
      nsenter -t "${pid:-0}" -m -r cmp /sbin/ipvsadm /usr/sbin/ipvsadm
  fi
  wait_stage "$tool" 1-start stage_start
  clients "$tool" 1-start rs1 rs2 rs1-v6 rs2-v6
  servers_down rs2
  wait_stage "$tool" 2-rs2-stopped stage_stopped
  clients "$tool" 2-rs2-stopped rs1 rs1-v6
  servers_up rs2
  wait_stage "$tool" 3-rs2-restarted stage_start
  clients "$tool" 3-rs2-restarted rs1 rs2 rs1-v6 rs2-v6
  ld_conf "$log" 1 >"$cf"
  kill -HUP "${pid:-0}"
  wait_stage "$tool" 4-edited-reloaded stage_reloaded
  clients "$tool" 4-edited-reloaded rs1 rs2 rs1-v6 rs2-v6
  # What `ldirectord CF stop` does, without its ~4 s of Perl start-up under
  # emulation: SIGTERM to the daemon, which then removes its services.
  kill -TERM "${pid:-0}"
  wait_stage "$tool" 5-ldirectord-stopped stage_stopped_ld
  local failed
  failed=$(grep -iE 'failed|error|could not' "$log" || true)
  check_eq "$tool: ldirectord's log shows no failed command" "" "$failed"
  servers_down rs2
}

servers_up rs1
run ipvsadm
run rsvsadm

stages=(1-start 2-rs2-stopped 3-rs2-restarted 4-edited-reloaded 5-ldirectord-stopped)
side_by_side=""
for stage in "${stages[@]}"; do
  check_eq "stage $stage: rsvsadm's table is Debian ipvsadm's" \
    "$(cat "$NT_STATE/table-ipvsadm-$stage")" "$(cat "$NT_STATE/table-rsvsadm-$stage")"
  side_by_side+="=== $stage: with Debian's ipvsadm | with rsvsadm as /sbin/ipvsadm"$'\n'
  side_by_side+=$(pr -m -t -w 150 "$NT_STATE/table-ipvsadm-$stage" "$NT_STATE/table-rsvsadm-$stage" |
    expand)$'\n\n'
done
printf '%s' "$side_by_side"
[[ -z ${LD_STAGES:-} ]] || printf '%s' "$side_by_side" >"$LD_STAGES"
