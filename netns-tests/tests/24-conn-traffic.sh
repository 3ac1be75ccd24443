# Listings of a director that carried real traffic, compared byte for byte
# with Debian's ipvsadm on the same kernel state: -c (numeric, with names,
# and the --persistent-conn form with a SIP persistence engine's Call-ID),
# IPv4 and IPv6 connection entries, and the counters of -Ln, --stats,
# --persistent-conn and --rate once the traffic has stopped. Outputs that
# tick while they are read (connection expiry, decaying rates) are compared
# with compat_settled; the expire column is blanked.
#
#   client 203.0.113.2 ──── 203.0.113.1  director  192.0.2.1 ── br0 ─┬─ rs1 192.0.2.11
#          2001:db8:c::2    2001:db8:c::1   VIPs   2001:db8:2::1     └─ rs2 192.0.2.12
#                          198.51.100.10, 2001:db8:100::10 (on lo)
#
# The real servers' default gateway is the director (NAT). The IPv4 services
# are made by ipvsadm, the IPv6 ones by rsvsadm.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mkns cl dir rs1 rs2
link cl eth0 203.0.113.2/24,2001:db8:c::2/64 dir c0 203.0.113.1/24,2001:db8:c::1/64
bridge dir br0
addr dir br0 192.0.2.1/24 2001:db8:2::1/64
for i in 1 2; do
  link dir "p$i" - "rs$i" eth0 "192.0.2.1$i/24,2001:db8:2::1$i/64"
  bridge_port dir br0 "p$i"
  route "rs$i" add default via 192.0.2.1
  route "rs$i" add default via 2001:db8:2::1
done
route cl add default via 203.0.113.1
route cl add default via 2001:db8:c::1
addr dir lo 198.51.100.10/32 2001:db8:100::10/128
sysctl_ns dir net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# Names for the -c listing without -n (put back at exit: later test files
# run in the same guest).
cp /etc/hosts "$NT_STATE/hosts.orig"
# shellcheck disable=SC2016 # expanded when it runs
on_exit 'cat "$NT_STATE/hosts.orig" >/etc/hosts'
cat >>/etc/hosts <<'EOF'
203.0.113.2 client.example.org
198.51.100.10 vip.example.org
192.0.2.11 rs1.example.org
2001:db8:100::10 vip6.example.org
2001:db8:2::12 rs2-v6.example.org
EOF

in_ns dir "$IPVSADM" -R <<'EOF'
-A -t 198.51.100.10:80 -s rr
-a -t 198.51.100.10:80 -r 192.0.2.11:80 -m
-a -t 198.51.100.10:80 -r 192.0.2.12:80 -m
-A -t 198.51.100.10:8080 -s rr -p 60
-a -t 198.51.100.10:8080 -r 192.0.2.11:80 -m
-a -t 198.51.100.10:8080 -r 192.0.2.12:80 -m
-A -u 198.51.100.10:5060 -s rr -p 60 --pe sip
-a -u 198.51.100.10:5060 -r 192.0.2.11:5060 -m
-a -u 198.51.100.10:5060 -r 192.0.2.12:5060 -m
EOF
in_ns dir "$RSVSADM" -R <<'EOF'
-A -t [2001:db8:100::10]:80 -s rr
-a -t [2001:db8:100::10]:80 -r [2001:db8:2::11]:80 -m
-a -t [2001:db8:100::10]:80 -r [2001:db8:2::12]:80 -m -w 2
EOF

# One dual-stack server per real server (python starts slowly under TCG).
http_server rs1 :: 80 rs1
http_server rs2 :: 80 rs2

# The client: HTTP requests to each TCP service (one process for all of
# them), then SIP-looking datagrams whose Call-ID the sip engine keeps as
# its persistence data. Prints, per service, how many real servers answered.
# shellcheck disable=SC2016 # python source
CLIENT=$NT_PY_FETCH'
for host, port, n in (("198.51.100.10", 80, 6), ("2001:db8:100::10", 80, 6),
                      ("198.51.100.10", 8080, 3)):
    print(host, port, len(set(fetch(host, port) for _ in range(n))))
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    for call in ("a84b4c76e66710@pc33.example.org", "f81d4fae-7dec@pc34.example.org"):
        s.sendto(("OPTIONS sip:vip.example.org SIP/2.0\r\nCall-ID: %s\r\n"
                  "Content-Length: 0\r\n\r\n" % call).encode(), ("198.51.100.10", 5060))
'
answers=$(in_ns cl python3 -S -c "$CLIENT")
check_eq "NAT traffic reached both real servers (one when persistent)" \
  $'198.51.100.10 80 2\n2001:db8:100::10 80 2\n198.51.100.10 8080 1' "$answers"

# The kernel folds its per-CPU counters into what it reports every 2 s:
# wait until they show the six IPv4 connections to port 80.
folded() {
  in_ns dir "$IPVSADM" -Ln --stats --exact -t 198.51.100.10:80 |
    awk '$2 == "198.51.100.10:80" { found = 1; exit !($3 >= 6) } END { if (!found) exit 1 }'
}
wait_for 30 folded || true

# The expire column (MM:SS) ticks every second: blanked in both outputs.
COMPAT_SED='s/^(.{4})[0-9]{2,}:[0-9]{2} +/\1MM:SS  /'
compat_settled dir -Lnc
compat_settled dir -Lc
compat_settled dir -Lnc --persistent-conn
compat_settled dir -Lc --persistent-conn
COMPAT_SED=''
check "the connection table has IPv6 entries and the Call-ID" \
  bash -c "ip netns exec $(nsname dir) $RSVSADM -Lnc --persistent-conn | grep -q '\[2001:db8:2::12\]:80' &&
    ip netns exec $(nsname dir) $RSVSADM -Lnc --persistent-conn | grep -q 'a84b4c76e66710@pc33.example.org'"

compat_settled dir -Ln
compat_settled dir -L
compat_settled dir -Ln --stats --exact
compat_settled dir -Ln --stats
compat_settled dir -Ln --persistent-conn
compat_settled dir -Ln --thresholds
compat_settled dir -Ln --rate --exact
compat_settled dir -Ln -t '[2001:db8:100::10]:80' --stats --exact
compat_settled dir -S

# -Z by either tool: the zeroed counters list the same.
in_ns dir "$RSVSADM" -Z -t 198.51.100.10:80
in_ns dir "$IPVSADM" -Z -t '[2001:db8:100::10]:80'
compat_settled dir -Ln --stats --exact
in_ns dir "$RSVSADM" -Z
compat_settled dir -Ln --stats --exact
