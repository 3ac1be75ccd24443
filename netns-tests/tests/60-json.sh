#!/usr/bin/env bash
# rsvsadm -L --json against Debian's ipvsadm text on the same kernel state:
# jq turns the document back into the facts of the text listings, which must
# be ipvsadm's: the -Sn rules (every service and real-server option), the
# --stats/--rate --exact counters (after real traffic), --thresholds,
# --persistent-conn, --nosort's order, -c, --timeout and --daemon.
# The jq programs and inner shells are in single quotes on purpose.
# shellcheck disable=SC2016
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# jq helpers: a service's or server's address as ipvsadm prints it, and a
# service's label in the -S rules and in the listing.
JQ_DEFS='
def addrport(a; p): if (a | test(":")) then "[\(a)]:\(p)" else "\(a):\(p)" end;
def mark: if .fwmark > 2147483647 then .fwmark - 4294967296 else .fwmark end;
def rule_label:
  if .fwmark != null then "-f \(mark)" + (if .family == "ipv6" then " -6" else "" end)
  else {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}[.protocol] + " " + addrport(.address; .port)
  end;
def list_label:
  if .fwmark != null then "FWM \(mark)" + (if .family == "ipv6" then " IPv6" else "" end)
  else (.protocol | ascii_upcase) + " " + addrport(.address; .port)
  end;
def full_mask: if .family == "ipv4" then "255.255.255.255" else "128" end;
'

# The -Sn rules, from the document.
JQ_RULES=$JQ_DEFS'
.services[] | rule_label as $l | full_mask as $full |
  ("-A \($l) -s \(.scheduler)"
   + (if .persistence then " -p \(.persistence.timeout)"
        + (if .persistence.netmask != $full then " -M \(.persistence.netmask)" else "" end)
      else "" end)
   + (if .pe then " --pe \(.pe)" else "" end)
   + (if .one_packet then " -o" else "" end)
   + (if (.sched_flags | length) > 0 then " -b \(.sched_flags | join(","))" else "" end)),
  (.destinations[] |
   "-a \($l) -r \(addrport(.address; .port)) "
   + {"masq": "-m", "route": "-g", "local": "-g", "tunnel": "-i"}[.forward]
   + " -w \(.weight)"
   + (if .tunnel then " --tun-type \(.tunnel.type)"
        + (if .tunnel.type == "gue" then " --tun-port \(.tunnel.port)" else "" end)
        + (if .tunnel.type != "ipip" then " --tun-\(.tunnel.checksum)" else "" end)
      else "" end))'

# The rows of a listing's numbers: jq_rows KEY FIELDS, e.g. stats "conns
# inpkts ..."; service rows too when KEY is an object of the service.
jq_rows() {
  local key=$1 fields=$2 f expr=""
  for f in $fields; do expr+=" + \" \(.$key.$f)\""; done
  printf '%s' "$JQ_DEFS"'
.services[] | (list_label'"$expr"'), (.destinations[] | "-> " + addrport(.address; .port)'"$expr"')'
}

# A text listing as facts: the three header lines dropped, blanks squeezed.
text_rows() { tail -n +4 | awk '{ $1 = $1; print }'; }

# The director j: the clients' network on veth0 (its own addresses there
# are the virtual IPs), the real servers' networks on a dummy eth0 (so
# their addresses route; nothing answers). The client c sends UDP datagrams
# that IPVS schedules and counts.
mkns j c
link c veth0 198.51.100.1/24,2001:db8:1::1/64 j veth0 198.51.100.254/24,2001:db8:1::fffe/64
in_ns j ip link add eth0 type dummy
addr j eth0 192.0.2.254/24 2001:db8:2::fffe/64
in_ns j ip link set eth0 up
# The services' connection counters, summed. The kernel (6.1) copies its
# counters for readers when its rate estimator runs, every 2 s.
counted() {
  in_ns j ipvsadm -Ln --stats --exact |
    awk 'NR > 3 && $1 != "->" { n += $(NF - 4) } END { print n + 0 }'
}

# traffic: eleven datagrams, each from its own port (a connection each);
# returns once the counters show them (the first datagrams also wait for
# ARP and ND).
traffic() {
  local before
  before=$(counted)
  in_ns c bash -c '
    for i in 1 2 3 4 5 6; do echo "datagram $i" >/dev/udp/198.51.100.254/53; done
    for i in 1 2 3; do echo "datagram $i" >/dev/udp/2001:db8:1::fffe/53; done
    for i in 1 2; do echo "datagram $i" >/dev/udp/198.51.100.254/4000; done'
  wait_for 60 counted_reaches $((before + 11)) || true
}

# counted_reaches N: the kernel has counted at least N packets (counted).
counted_reaches() { (($(counted) >= $1)); }

in_ns j bash -e <<'EOF'
ipvsadm -A -u 198.51.100.254:53 -s rr
ipvsadm -a -u 198.51.100.254:53 -r 192.0.2.11:53 -m -w 2
ipvsadm -a -u 198.51.100.254:53 -r 192.0.2.12:5353 -m -w 1 -x 50 -y 20
ipvsadm -A -t 198.51.100.254:80 -s wrr -p 300 -M 255.255.255.0 --pe sip
ipvsadm -a -t 198.51.100.254:80 -r 192.0.2.21 -g -w 3
ipvsadm -a -t 198.51.100.254:80 -r 192.0.2.22 -i -w 4 --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -a -t 198.51.100.254:80 -r 192.0.2.23 -i --tun-type gre --tun-nocsum
ipvsadm -a -t 198.51.100.254:80 -r 192.0.2.24 -i
ipvsadm -A -u [2001:db8:1::fffe]:53 -s sh -b sh-fallback,sh-port -o
ipvsadm -a -u [2001:db8:1::fffe]:53 -r [2001:db8:2::21]:53 -m -w 7
ipvsadm -A --sctp-service 198.51.100.254:3868 -s mh -b mh-port
ipvsadm -a --sctp-service 198.51.100.254:3868 -r 192.0.2.31:3868 -m
ipvsadm -A -f 3000000000 -s lc -p 60
ipvsadm -a -f 3000000000 -r 192.0.2.41:4000 -m
ipvsadm -a -f 3000000000 -r 192.0.2.42:4000 -m -w 0
ipvsadm -A -f 9 -6 -s wlc -p 120 -M 64
ipvsadm -a -f 9 -6 -r [2001:db8:2::41]:443 -m
nft add table inet rsvsadm_test
nft add chain inet rsvsadm_test pre '{ type filter hook prerouting priority mangle; }'
nft add rule inet rsvsadm_test pre ip daddr 198.51.100.254 udp dport 4000 meta mark set 3000000000
EOF
traffic

json() { in_ns j "$RSVSADM" "$@" --json; }

DOC=$(json -Ln)
check "-Ln --json is one JSON document" jq -e 'type == "object" and .schema_version == 1' <<<"$DOC"
check_eq "-L --json: jq rebuilds ipvsadm -Sn" "$(in_ns j ipvsadm -Sn)" "$(jq -r "$JQ_RULES" <<<"$DOC")"
check_eq "-L --json: the header" "$(in_ns j ipvsadm -Ln | head -n 1)" \
  "$(jq -r '"IP Virtual Server version \(.ipvs.version) (size=\(.ipvs.conn_table_size))"' <<<"$DOC")"
conns=$(jq '[.services[].stats.conns] | add' <<<"$DOC")
if ((conns == 11)); then ok "the traffic made connections ($conns)"; else fail "the traffic made connections" "$DOC"; fi

# Counters and rates keep moving (the rate estimator ticks every 2 s): read
# ipvsadm, rsvsadm, ipvsadm until ipvsadm's two reads agree.
# settled NAME KEY FIELDS IPVSADM_ARGS...
settled() {
  local name=$1 key=$2 fields=$3 try a b doc
  shift 3
  for ((try = 1; try <= 5; try++)); do
    a=$(in_ns j ipvsadm "$@" | text_rows)
    doc=$(json -Ln)
    b=$(in_ns j ipvsadm "$@" | text_rows)
    [[ $a == "$b" ]] && break
  done
  check_eq "$name" "$a" "$(jq -r "$(jq_rows "$key" "$fields")" <<<"$doc")"
}
settled "-L --json: the counters of ipvsadm -Ln --stats --exact" \
  stats "conns inpkts outpkts inbytes outbytes" -Ln --stats --exact
settled "-L --json: the rates of ipvsadm -Ln --rate --exact" \
  rate "cps inpps outpps inbps outbps" -Ln --rate --exact

# Per real server: thresholds, persistent connections, forward and weight.
check_eq "-L --json: the rows of ipvsadm -Ln --thresholds" \
  "$(in_ns j ipvsadm -Ln --thresholds | text_rows | grep '^->')" \
  "$(jq -r "$JQ_DEFS"'.services[].destinations[] |
      "-> \(addrport(.address; .port)) \(.upper_threshold) \(.lower_threshold) \(.active_conns) \(.inactive_conns)"' <<<"$DOC")"
check_eq "-L --json: the rows of ipvsadm -Ln --persistent-conn" \
  "$(in_ns j ipvsadm -Ln --persistent-conn | text_rows | grep '^->')" \
  "$(jq -r "$JQ_DEFS"'.services[].destinations[] |
      "-> \(addrport(.address; .port)) \(.weight) \(.persistent_conns) \(.active_conns) \(.inactive_conns)"' <<<"$DOC")"
check_eq "-L --nosort --json: the kernel's order, as ipvsadm --nosort" \
  "$(in_ns j ipvsadm -Ln --nosort | text_rows | awk '$1 == "->" { print $1, $2; next } { print $1, $2 }')" \
  "$(json -Ln --nosort | jq -r "$JQ_DEFS"'.services[] | (list_label | split(" ") | .[0:2] | join(" ")),
      (.destinations[] | "-> " + addrport(.address; .port))')"

ONE=$(json -L -t 198.51.100.254:80)
check_eq "-L -t SERVICE --json: that service, as ipvsadm -Sn has it" \
  "$(in_ns j ipvsadm -Sn | grep -e '-t 198.51.100.254:80 ')" "$(jq -r "$JQ_RULES" <<<"$ONE")"

# --- -c, --timeout, --daemon --------------------------------------------------

traffic
check_eq "-Lc --json: the entries of ipvsadm -Lnc (expiry aside)" \
  "$(in_ns j ipvsadm -Lnc | tail -n +3 | awk '{ print $1, $3, $4, $5, $6 }' | sort)" \
  "$(json -Lc | jq -r "$JQ_DEFS"'.connections[] |
      "\(.protocol | ascii_upcase) \(.state) \(addrport(.source_address; .source_port)) \(addrport(.virtual_address; .virtual_port)) \(addrport(.destination_address; .destination_port))"' | sort)"
CONNS=$(json -Lc)
check "-Lc --json: expiries in seconds" jq -e '(.connections | length) >= 4 and
  ([.connections[].expires] | all(. > 0 and . <= 300))' <<<"$CONNS"

in_ns j ipvsadm --set 1000 130 310
check_eq "--timeout --json: ipvsadm -L --timeout" "$(in_ns j ipvsadm -L --timeout)" \
  "$(json -L --timeout | jq -r '"Timeout (tcp tcpfin udp): \(.timeouts.tcp) \(.timeouts.tcp_fin) \(.timeouts.udp)"')"

check_eq "--daemon --json: no daemon" '[]' "$(json -L --daemon | jq -c .daemons)"
in_ns j ip link set eth0 multicast on
in_ns j ipvsadm --start-daemon master --mcast-interface eth0 --syncid 5 \
  --mcast-group 239.1.2.3 --mcast-port 8849 --mcast-ttl 2 --sync-maxlen 1200
in_ns j ipvsadm --start-daemon backup --mcast-interface eth0
check_eq "--daemon --json: ipvsadm -L --daemon" "$(in_ns j ipvsadm -L --daemon)" \
  "$(json -L --daemon | jq -r '.daemons[] | "\(.state) sync daemon (mcast=\(.mcast_interface), syncid=\(.syncid)"
      + (if .sync_maxlen then ", maxlen=\(.sync_maxlen)" else "" end)
      + (if .mcast_group then ", group=\(.mcast_group)" else "" end)
      + (if .mcast_port then ", port=\(.mcast_port)" else "" end)
      + (if .mcast_ttl then ", ttl=\(.mcast_ttl)" else "" end) + ")"')"
in_ns j ipvsadm --stop-daemon master
in_ns j ipvsadm --stop-daemon backup

# --- Errors: those of the text listing, and nothing on stdout ---------------------

rc=0
out=$(in_ns j "$RSVSADM" -L -t 192.0.2.99:1 --json 2>"$NT_STATE/err") || rc=$?
ref_rc=0
in_ns j ipvsadm -L -t 192.0.2.99:1 >/dev/null 2>"$NT_STATE/ref_err" || ref_rc=$?
check_eq "-L --json of a missing service: ipvsadm's error and status, no output" \
  "$ref_rc $(<"$NT_STATE/ref_err")" "$rc $(<"$NT_STATE/err")$out"
rc=0
out=$(in_ns j "$RSVSADM" -S --json 2>&1) || rc=$?
check_eq "--json is only for -L" "2 Illegal 'json' option with the 'save' command" "$rc $out"
