# The connection-sync daemons, compared byte for byte with Debian's ipvsadm
# on the same kernel: --start-daemon master|backup and --stop-daemon with
# --mcast-interface, --syncid, --sync-maxlen, --mcast-group (IPv4, IPv6),
# --mcast-port, --mcast-ttl, started by either tool and listed by both
# (which also proves the byte order of every daemon attribute: a port or
# group sent or read the wrong way round lists differently). The sync
# interface is mkns_docnet's eth0, ipvsadm's default.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

COMPAT_LISTINGS=("-L --daemon" "-Ln --daemon")

# A master and a backup on one interface, as the issue asks.
compat_apply "master and backup on one interface" <<'EOF'
--start-daemon master
--start-daemon backup
EOF

compat_apply "every daemon option, IPv4 group" <<'EOF'
--start-daemon master --mcast-interface eth0 --syncid 7 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 8849 --mcast-ttl 5
--start-daemon=backup --mcast-interface=eth0 --syncid=255 --sync-maxlen=1 --mcast-group=239.1.2.3 --mcast-port=65535 --mcast-ttl=255
EOF

compat_apply "IPv6 group, minimum values" <<'EOF'
--start-daemon master --mcast-group ff15::1:2 --mcast-port 1 --mcast-ttl 1 --syncid 0
--start-daemon backup --mcast-group ff02::1234 --sync-maxlen 65507 --mcast-port 9000
EOF

# Stopping, and what the kernel refuses (a daemon that already runs, one
# that does not, an interface that does not exist).
compat_apply "stop and kernel errors" <<'EOF'
--stop-daemon master
--stop-daemon backup
--start-daemon master --syncid 3
--start-daemon master --syncid 4
--start-daemon backup --mcast-interface nosuchif
--start-daemon backup --mcast-interface lo
--start-daemon backup --mcast-interface averyveryverylonginterfacename
--stop-daemon backup
--stop-daemon master --syncid 9
--stop-daemon master
--start-daemon backup --syncid 1 --mcast-port 8850
--stop-daemon backup
--start-daemon master --mcast-ttl 3 --sync-maxlen 1000
EOF

# The kernel got the port and the group as meant: the backup daemon started
# by rsvsadm listens on them (ss -uln shows the bound group:port).
mkns_docnet dm
in_ns dm "$RSVSADM" --start-daemon backup --mcast-group 239.1.2.3 --mcast-port 8849
# listens_on PORT: the namespace has a UDP socket bound to PORT.
listens_on() { [[ -n $(in_ns dm ss -Hnlu "sport = :$1") ]]; }
wait_for 30 listens_on 8849 || true
listening=$(in_ns dm ss -Hnlu 'sport = :8849')
check_eq "backup started by rsvsadm listens on 239.1.2.3:8849" \
  "239.1.2.3%eth0:8849" "$(awk '{ print $4 }' <<<"$listening")"
in_ns dm "$RSVSADM" --stop-daemon backup
in_ns dm "$RSVSADM" --start-daemon backup --mcast-group ff02::1234 --mcast-port 9000
wait_for 30 listens_on 9000 || true
listening=$(in_ns dm ss -Hnlu 'sport = :9000')
check_eq "backup started by rsvsadm listens on [ff02::1234]:9000" \
  "[ff02::1234]%eth0:9000" "$(awk '{ print $4 }' <<<"$listening")"
