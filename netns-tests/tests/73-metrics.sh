#!/usr/bin/env bash
# rsvsadm metrics: after real traffic through an LVS-NAT director (a TCP
# wrr service with thresholds, a UDP service, a persistent fwmark service
# with a quiesced server, an IPv6 service), Debian's python3-prometheus-client
# parses the Prometheus text and the OpenMetrics text, and every series must
# equal what ipvsadm lists at the same moment (-Ln, --stats --exact, --rate
# --exact, --thresholds, --persistent-conn). --textfile replaces its file
# through a temporary one.
#
#   cl 203.0.113.1, 2001:db8:1::1 --- eth1 [dir] eth0 --- br0 (lan) --- rs1, rs2
#   VIPs 203.0.113.200, 2001:db8:1::200      198.51.100.11 2001:db8:2::11, 198.51.100.12
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

VIP=203.0.113.200
VIP6=2001:db8:1::200
MARK=5

mkns cl dir lan rs1 rs2
link cl eth0 203.0.113.1/24,2001:db8:1::1/64 dir eth1 203.0.113.254/24,2001:db8:1::fe/64
addr dir eth1 "$VIP/32" "$VIP6/128"
bridge lan br0
link dir eth0 198.51.100.254/24,2001:db8:2::fe/64 lan p-dir -
link rs1 eth0 198.51.100.11/24,2001:db8:2::11/64 lan p-rs1 -
link rs2 eth0 198.51.100.12/24 lan p-rs2 -
for port in p-dir p-rs1 p-rs2; do bridge_port lan br0 "$port"; done
route rs1 add default via 198.51.100.254
route rs2 add default via 198.51.100.254
ip -n "$(nsname rs1)" -6 route add default via 2001:db8:2::fe
sysctl_ns dir net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
http_server rs1 198.51.100.11 80 rs1
http_server rs2 198.51.100.12 80 rs2
http_server rs1 2001:db8:2::11 80 rs1-v6
# A persistent fwmark service keeps the port the client asked for (the
# kernel's persistence templates have no port), whatever the destination's.
http_server rs1 198.51.100.11 8080 rs1
http_server rs2 198.51.100.12 8080 rs2

# A UDP echo server on rs1.
UDP_ECHO_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
open(sys.argv[3], "w").close()
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
'
spawn rs1 python3 -S -c "$UDP_ECHO_PY" 198.51.100.11 5353 "$NT_STATE/udp.ready"
for ((i = 0; i < 200; i++)); do
  [[ -e $NT_STATE/udp.ready ]] && break
  nap 0.1
done
[[ -e $NT_STATE/udp.ready ]] || fail "UDP echo server on rs1 started" "no ready file after 20 s"

in_ns dir nft -f - <<EOF
table ip nt73 {
  chain pre {
    type filter hook prerouting priority mangle;
    ip daddr $VIP tcp dport 8080 meta mark set $MARK
  }
}
EOF

in_ns dir "$RSVSADM" -R <<EOF
-A -t $VIP:80 -s wrr
-a -t $VIP:80 -r 198.51.100.11:80 -m -w 2 -x 100 -y 10
-a -t $VIP:80 -r 198.51.100.12:80 -m -w 1
-A -u $VIP:53 -s rr
-a -u $VIP:53 -r 198.51.100.11:5353 -m
-A -f $MARK -s rr -p 120
-a -f $MARK -r 198.51.100.11:8080 -m -w 1
-a -f $MARK -r 198.51.100.12:8080 -m -w 0
-A -t [$VIP6]:80 -s rr
-a -t [$VIP6]:80 -r [2001:db8:2::11]:80 -m
EOF

# The client: every request in one process (each process start costs up
# to 0.2 s under TCG). Prints one line per answer.
CLIENT_PY=$NT_PY_FETCH'
def get(host, port):
    try:
        print(fetch(host, port))
    except OSError as e:
        print("%s port %d: %s" % (host, port, e))
def echo(host, port, n):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(10)
        for i in range(n):
            s.sendto(b"ping %d" % i, (host, port))
            print(s.recv(2048).decode())
vip, vip6 = sys.argv[1:3]
for _ in range(6):
    get(vip, 80)
for _ in range(3):
    get(vip, 8080)
for _ in range(4):
    get(vip6, 80)
echo(vip, 53, 5)
'
answers=$(in_ns cl python3 -S -u -c "$CLIENT_PY" "$VIP" "$VIP6" 2>&1) || true
check_eq "every request was answered (wrr 2:1, persistence on rs1, IPv6, UDP echo)" \
  "$(printf '%s\n' rs1 rs1 rs1 rs1 rs2 rs2 rs1 rs1 rs1 rs1-v6 rs1-v6 rs1-v6 rs1-v6 \
    'ping 0' 'ping 1' 'ping 2' 'ping 3' 'ping 4')" \
  "$(sort -s -k1,1 <<<"$(head -n 6 <<<"$answers")"; sed -n '7,$p' <<<"$answers")"

# Reads, in one namespace entry, the listings and both expositions, with
# the stats and rate listings read again after them: the rates move every
# 2 s, so the reads count only when the two agree.
DIR=$NT_STATE/reads
read_all() {
  rm -rf "$DIR"
  mkdir -p "$DIR"
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  in_ns dir bash -c '
    dir=$1 ref=$2 new=$3
    "$ref" -Ln --stats --exact >"$dir/stats"
    "$ref" -Ln --rate --exact >"$dir/rate"
    "$new" metrics >"$dir/prom"
    "$new" metrics --openmetrics >"$dir/om"
    "$ref" -Ln >"$dir/list"
    "$ref" -Ln --thresholds >"$dir/thresholds"
    "$ref" -Ln --persistent-conn >"$dir/persist"
    "$ref" -Ln --stats --exact >"$dir/stats2"
    "$ref" -Ln --rate --exact >"$dir/rate2"' _ "$DIR" "$IPVSADM" "$RSVSADM"
}
# The kernel folds its per-CPU counters into the totals it reports every
# 2 s: wait until the 14 connections above are in them, and the UDP echo's
# 5 datagrams each way (the last traffic: once they are in, all of it is),
# so that what is compared below is the traffic, not zeros or a
# half-folded count.
conns_folded() {
  in_ns dir "$IPVSADM" -Ln --stats --exact |
    awk '$1 ~ /^(TCP|UDP|FWM)$/ { n += $3 }
      $1 == "UDP" && $2 == "'"$VIP"':53" { udp = ($4 == 5 && $5 == 5) }
      END { exit !(n == 14 && udp) }'
}
check "the kernel's counters show the 14 connections and the 5 UDP datagrams each way (within 60 s)" \
  wait_for 60 conns_folded
settled=0
for ((try = 1; try <= 8; try++)); do
  read_all
  if cmp -s "$DIR/stats" "$DIR/stats2" && cmp -s "$DIR/rate" "$DIR/rate2"; then
    settled=1
    break
  fi
done
((settled)) || fail "ipvsadm's --stats/--rate held still over one read" \
  "they changed between the reads on each of 8 tries"
# The rates are non-zero right after the traffic (the estimator averages
# over seconds): the comparison below is not of zeros only.
rates_seen=$(awk 'NR > 3 && $2 ~ /^[0-9]+$/ && $2 > 0' "$DIR/rate" | wc -l)
if ((rates_seen > 0)); then
  ok "the kernel had non-zero rates when the metrics were read"
else
  fail "the kernel had non-zero rates when the metrics were read" "$(cat "$DIR/rate")"
fi

# The parser and the comparison. One output line per check:
# PASS<TAB>name or FAIL<TAB>name<TAB>detail.
CHECK_PY='
import sys
from prometheus_client.parser import text_string_to_metric_families as parse_prom
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om

d = sys.argv[1]
def read(name):
    with open(d + "/" + name) as f:
        return f.read()
def report(ok, name, detail=""):
    print("%s\t%s\t%s" % ("PASS" if ok else "FAIL", name, detail.replace("\n", " | ")))

def rows(listing):
    """(service key, dest key or None) -> the numbers of the row."""
    out, svc = {}, None
    for line in listing.splitlines()[3:]:
        f = line.split()
        if line.startswith("  -> "):
            out[(svc, f[1])] = f[2:]
        else:
            svc = (f[0], f[1])
            out[(svc, None)] = f[2:]
    return out

def keys(labels):
    if labels["fwmark"]:
        svc = ("FWM", labels["fwmark"])
    else:
        vip = labels["vip"]
        vip = "[%s]" % vip if ":" in vip else vip
        svc = (labels["protocol"].upper(), "%s:%s" % (vip, labels["port"]))
    if "server" not in labels:
        return (svc, None)
    server = labels["server"]
    server = "[%s]" % server if ":" in server else server
    return (svc, "%s:%s" % (server, labels["server_port"]))

def samples(families):
    """sample name -> {(service, dest): sample}."""
    out = {}
    for fam in families:
        for s in fam.samples:
            if s.name.endswith("_created"):
                continue
            out.setdefault(s.name, {})[keys(s.labels)] = s
    return out

for fmt, text, parser in (("prometheus", read("prom"), parse_prom),
                          ("openmetrics", read("om"), parse_om)):
    try:
        fams = list(parser(text))
    except Exception as e:
        report(False, "%s: the text parses" % fmt, repr(e))
        continue
    report(True, "%s: the text parses (%d families)" % (fmt, len(fams)))
    got = samples(fams)
    types = {f.name: f.type for f in fams}
    want_types = {"rsvsadm_service_connections": "counter",
                  "rsvsadm_destination_incoming_bytes": "counter",
                  "rsvsadm_destination_weight": "gauge",
                  "rsvsadm_service_connection_rate": "gauge"}
    bad = {k: types.get(k) for k, v in want_types.items() if types.get(k) != v}
    report(not bad, "%s: families are typed" % fmt, repr(bad))
    # The parser reads values as floats: the text itself must hold them
    # as integers (exact 64-bit counters, never 1.8e+19).
    values = [l.rsplit(" ", 1)[1] for l in text.splitlines() if l and not l.startswith("#")]
    odd = [v for v in values if not v.isdigit()]
    report(values and not odd, "%s: every value is written as an integer" % fmt, repr(odd[:5]))
    expected = []  # (metric, listing, column, dest rows only)
    for who in ("service", "destination"):
        for i, name in enumerate(["connections", "incoming_packets", "outgoing_packets",
                                  "incoming_bytes", "outgoing_bytes"]):
            expected.append(("rsvsadm_%s_%s_total" % (who, name), "stats", i, who))
        for i, name in enumerate(["connection_rate", "incoming_packet_rate",
                                  "outgoing_packet_rate", "incoming_byte_rate",
                                  "outgoing_byte_rate"]):
            expected.append(("rsvsadm_%s_%s" % (who, name), "rate", i, who))
    expected += [("rsvsadm_destination_weight", "list", 1, "destination"),
                 ("rsvsadm_destination_active_connections", "list", 2, "destination"),
                 ("rsvsadm_destination_inactive_connections", "list", 3, "destination"),
                 ("rsvsadm_destination_upper_threshold", "thresholds", 0, "destination"),
                 ("rsvsadm_destination_lower_threshold", "thresholds", 1, "destination"),
                 ("rsvsadm_destination_persistent_connections", "persist", 1, "destination")]
    listings = {n: rows(read(n)) for n in ("stats", "rate", "list", "thresholds", "persist")}
    forward = {"masq": "Masq", "route": "Route", "tunnel": "Tunnel", "local": "Local"}
    for metric, listing, col, who in expected:
        want = {k: int(v[col]) for k, v in listings[listing].items()
                if (k[1] is None) == (who == "service")}
        have = {k: int(s.value) for k, s in got.get(metric, {}).items()}
        report(want == have and want,
               "%s: %s equals ipvsadm -Ln %s" % (fmt, metric, listing),
               "want %r have %r" % (want, have))
    fwd_want = {k: v[0] for k, v in listings["list"].items() if k[1] is not None}
    fwd_have = {k: forward.get(s.labels["forward"]) for k, s in
                got.get("rsvsadm_destination_weight", {}).items()}
    report(fwd_want == fwd_have, "%s: forward labels equal -Ln Forward" % fmt,
           "want %r have %r" % (fwd_want, fwd_have))
    info = {k: (s.labels["scheduler"], s.labels["persistent"]) for k, s in
            got.get("rsvsadm_service_info", {}).items()}
    info_want = {}
    for k, v in listings["list"].items():
        if k[1] is None:
            info_want[k] = (v[0], v[2] if len(v) > 2 and v[1] == "persistent" else "")
    report(info == info_want, "%s: rsvsadm_service_info names scheduler and persistence" % fmt,
           "want %r have %r" % (info_want, info))
'
if ((settled)); then
  results=$(/usr/bin/python3 -c "$CHECK_PY" "$DIR" 2>&1) || results+=$'\n'"FAIL"$'\t'"the checker ran"$'\t'"exit status $?"
  while IFS=$'\t' read -r verdict name detail; do
    case $verdict in
      PASS) ok "metrics: $name" ;;
      FAIL) fail "metrics: $name" "$detail" ;;
      *) fail "metrics: checker output" "$verdict $name $detail" ;;
    esac
  done <<<"$results"
fi

# --textfile: the file appears whole, through PATH.tmp and a rename.
textfile=$NT_STATE/prom/ipvs.prom
mkdir -p "${textfile%/*}"
check "--textfile writes $textfile" in_ns dir "$RSVSADM" metrics --textfile "$textfile"
check_eq "--textfile leaves no temporary file" "ipvs.prom" "$(ls "${textfile%/*}")"
check_eq "--textfile has the counters of stdout's exposition" \
  "$(grep '_total{' "$DIR/prom")" "$(grep '_total{' "$textfile")"
strace_out=$(in_ns dir strace -f -e trace=rename,renameat,renameat2 "$RSVSADM" metrics \
  --textfile "$textfile" 2>&1 >/dev/null) || true
if grep -q "\"$textfile.tmp\", .*\"$textfile\"" <<<"$strace_out"; then
  ok "--textfile renames $textfile.tmp over $textfile"
elif ! command -v strace >/dev/null; then
  fail "--textfile renames $textfile.tmp over $textfile" "strace is not installed"
else
  fail "--textfile renames $textfile.tmp over $textfile" "$strace_out"
fi
compat dir -Ln --stats --exact
