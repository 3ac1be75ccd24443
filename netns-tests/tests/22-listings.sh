# Every form of -L (and -S), compared byte for byte with Debian's ipvsadm on
# the same kernel, on a table made by either tool and listed by both:
# --stats, --rate, --exact, --thresholds, --persistent-conn, --tun-info,
# --nosort, --sort, -c, --daemon, --timeout, single services, the options'
# precedence, and names instead of numbers (host names from /etc/hosts,
# service names from /etc/services, cut where ipvsadm cuts them).
# Listings of real connections and traffic counters are in
# 24-conn-traffic.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# Deterministic names for the documentation addresses: the guest's /etc is
# a writable overlay, but later test files run in the same guest, so the
# files are put back at exit. The long names check ipvsadm's cuts (33 bytes
# for a service column, 28 for a server, 59 for host:port); diameter/sctp
# is not in Debian's /etc/services.
cp /etc/hosts "$NT_STATE/hosts.orig"
cp /etc/services "$NT_STATE/services.orig"
# shellcheck disable=SC2016 # expanded when it runs
on_exit 'cat "$NT_STATE/hosts.orig" >/etc/hosts; cat "$NT_STATE/services.orig" >/etc/services'
cat >>/etc/hosts <<'EOF'
198.51.100.1 vip.example.org vip
198.51.100.2 a-rather-long-virtual-service-name.example.org
192.0.2.11 rs1.example.org
192.0.2.12 rs2.example.org
192.0.2.13 a-very-long-real-server-host-name.example.org
192.0.2.14 an-extremely-long-real-server-name-longer-than-fifty-nine-bytes.example.org
2001:db8::1 vip6.example.org
2001:db8::11 rs6.example.org
2001:db8::12 a-long-ipv6-real-server-name.example.org
EOF
printf 'diameter\t3868/sctp\n' >>/etc/services

# A table with a bit of everything the listings show.
TABLE=$(cat <<'EOF'
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 3 -x 100 -y 10
-a -t 198.51.100.1:80 -r 192.0.2.12:8080 -m -w 1
-a -t 198.51.100.1:80 -r 192.0.2.13:80 -m -w 0
-a -t 198.51.100.1:80 -r 192.0.2.14:443 -m
-a -t 198.51.100.1:80 -r 192.0.2.21:80 -i --tun-type gue --tun-port 6080 --tun-csum
-a -t 198.51.100.1:80 -r 192.0.2.22:80 -i --tun-type gre --tun-csum
-A -t 198.51.100.2:443 -s sh -b sh-port -p 600 -M 255.255.255.0
-a -t 198.51.100.2:443 -r 192.0.2.13:443 -g
-a -t 198.51.100.2:443 -r 192.0.2.14 -i --tun-type gre
-A -u 198.51.100.1:53 -s rr -o
-a -u 198.51.100.1:53 -r 192.0.2.11:53 -m
-a -u 198.51.100.1:53 -r 192.0.2.12:5353 -m
-A -u 198.51.100.1:5060 -s rr -p 60 --pe sip
-a -u 198.51.100.1:5060 -r 192.0.2.11:5060 -m
-A --sctp-service 198.51.100.1:3868 -s rr
-a --sctp-service 198.51.100.1:3868 -r 192.0.2.11:3868 -m
-A --sctp-service 198.51.100.2:5672 -s rr
-A -t 198.51.100.3:8080 -s lc
-A -t [2001:db8::1]:80 -s mh -b mh-fallback
-a -t [2001:db8::1]:80 -r [2001:db8::11]:80 -m -w 2
-a -t [2001:db8::1]:80 -r [2001:db8::12]:8080 -m -x 5 -y 1
-a -t [2001:db8::1]:80 -r 192.0.2.21 -i --tun-type gue --tun-port 6081
-A -u [2001:db8::1]:53 -s rr -p -M 64
-a -u [2001:db8::1]:53 -r 2001:db8::11 -g
-A -f 3 -s rr
-a -f 3 -r 192.0.2.11:80 -m
-a -f 3 -r 192.0.2.12 -g
-A -f 4 -6 -s wlc -p 30
-a -f 4 -6 -r [2001:db8::11]:443 -m
-A -f 4294967295 -s rr
EOF
)

# Every listing form and combination (when several forms are asked for, the
# first of stats, rate, thresholds, persistent-conn, tun-info wins).
COMPAT_LISTINGS=(
  "-Ln" "-L" "-Ln --stats" "-L --stats" "-Ln --rate" "-Ln --stats --exact" "-Ln --rate -X"
  "-Ln --exact" "-Ln --thresholds" "-L --thresholds" "-Ln --persistent-conn"
  "-L --persistent-conn" "-Ln --tun-info" "-L --tun-info" "-Ln --sort"
  "-Ln --stats --rate" "-Ln --rate --thresholds" "-Ln --thresholds --persistent-conn"
  "-Ln --persistent-conn --tun-info" "-Ln --tun-info --stats"
  "-Lnc" "-Lc --persistent-conn" "-Ln --daemon" "-L --timeout" "-S" "-Sn"
)
compat_apply "every listing of a mixed table" <<<"$TABLE"

# The same table made by rsvsadm in one namespace, listed by both tools.
mkns_docnet ls
in_ns ls "$RSVSADM" -R <<<"$TABLE"

# One service: no header line; names resolve in the service argument too.
compat_each ls <<'EOF'
-Ln -t 198.51.100.1:80
-L -t vip:http
-L -t vip.example.org:www --stats
-Ln -t 198.51.100.1:80 --tun-info
-Ln -t 198.51.100.1:80 --nosort
-L -t 198.51.100.2:https --persistent-conn
-Ln -u 198.51.100.1:domain --rate
-L -u 198.51.100.1:sip --thresholds
-Ln --sctp-service 198.51.100.1:3868
-L --sctp-service 198.51.100.1:diameter --stats --exact
-Ln -t [2001:db8::1]:80 --thresholds
-L -t [2001:db8::1]:http --tun-info
-Ln -u [2001:db8::1]:53 --persistent-conn
-Ln -f 3
-L -f 3 --stats
-Ln -f 4 -6
-Ln -f 4
-Ln -f 4294967295
-Ln -t 198.51.100.9:80
-L -u 198.51.100.1:80
EOF

# --nosort keeps the kernel's order, which depends on the namespace (its
# hash mixes in the namespace's address): both tools on one state.
compat_each ls <<'EOF'
-Ln --nosort
-L --nosort
-Ln --nosort --stats --exact
-Ln --nosort --tun-info
-S --nosort
EOF
