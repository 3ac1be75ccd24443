#!/usr/bin/env bash
# keepalived shares the table: Debian's keepalived builds IPVS state itself
# over netlink from virtual_server blocks (TCP, UDP, fwmark and IPv6
# services; wrr, sh with its flags, mh with its flags, rr; NAT, DR and TUN;
# persistence timeout and granularity; weights; thresholds; inhibit_on_failure;
# HTTP_GET and TCP_CHECK against real servers of which some are down; its sync
# daemon). Then every listing of rsvsadm equals ipvsadm's on that table, and
# `-Sn | -R --sync --dry-run` (rsvsadm's or ipvsadm's -Sn) has nothing to
# change: -S cannot say thresholds, and -R --sync must not reset them.
#
# Then, in a table of rsvsadm's own that uses every attribute the kernel
# holds: the unit's save and restore, and -S | -R --sync after edits, give
# back every listing as it was.
#
#   [dir] eth0 198.51.100.254/24, 2001:db8::fe/64 --- br0 (lan) --- rs1 .11 ::11 (up)
#                                                               \-- rs2 .12 ::12 (down)
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mkns dir lan rs1 rs2
bridge lan br0
link dir eth0 198.51.100.254/24,2001:db8::fe/64 lan p-dir -
link rs1 eth0 198.51.100.11/24,2001:db8::11/64 lan p-rs1 -
link rs2 eth0 198.51.100.12/24,2001:db8::12/64 lan p-rs2 -
for port in p-dir p-rs1 p-rs2; do bridge_port lan br0 "$port"; done
# rs1 answers every check; rs2 answers none (nothing listens there).
http_server rs1 198.51.100.11 80 rs1
http_server rs1 198.51.100.11 8080 rs1
http_server rs1 2001:db8::11 443 rs1-v6

KA=$NT_STATE/keepalived
mkdir -p "$KA"
cat >"$KA/keepalived.conf" <<'EOF'
global_defs {
  router_id nt72
  lvs_sync_daemon eth0 VI_72 id 72
}
vrrp_instance VI_72 {
  state MASTER
  interface eth0
  virtual_router_id 72
  priority 150
  advert_int 1
  virtual_ipaddress {
    198.51.100.100/24 dev eth0
  }
}
virtual_server 192.0.2.10 80 {
  delay_loop 2
  lb_algo wrr
  lb_kind NAT
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  protocol TCP
  real_server 198.51.100.11 80 {
    weight 3
    uthreshold 100
    lthreshold 10
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 2
    }
  }
  real_server 198.51.100.12 80 {
    weight 2
    uthreshold 50
    lthreshold 5
    inhibit_on_failure
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_timeout 2
    }
  }
}
virtual_server 192.0.2.10 53 {
  delay_loop 2
  lb_algo sh
  sh-port
  sh-fallback
  lb_kind DR
  protocol UDP
  real_server 198.51.100.11 53 {
    weight 1
  }
  real_server 198.51.100.13 53 {
    weight 4
  }
}
virtual_server fwmark 7 {
  delay_loop 2
  lb_algo mh
  mh-port
  mh-fallback
  lb_kind TUN
  persistence_timeout 60
  real_server 198.51.100.11 0 {
    weight 1
    TCP_CHECK {
      connect_port 8080
      connect_timeout 2
    }
  }
  real_server 198.51.100.12 0 {
    weight 1
    inhibit_on_failure
    TCP_CHECK {
      connect_port 8080
      connect_timeout 2
    }
  }
}
virtual_server 2001:db8:1::10 443 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 2001:db8::11 443 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
    }
  }
  real_server 2001:db8::12 443 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
    }
  }
}
EOF
# -n: in the foreground (spawn owns it); -l -G: log to stderr, not syslog;
# its own pid files, so that no other instance in the guest is seen.
spawn dir keepalived -n -l -G -D -f "$KA/keepalived.conf" -p "$KA/main.pid" \
  -r "$KA/vrrp.pid" -c "$KA/checkers.pid" >"$KA/log" 2>&1
KA_PID=$SPAWNED
on_exit "kill -TERM $KA_PID 2>/dev/null"

# The table keepalived settles on: rs2's HTTP and fwmark servers at weight
# 0 (inhibit_on_failure), its IPv6 one removed, the sync daemon started.
table() { in_ns dir ipvsadm -Ln; }
settled() {
  local t
  t=$(table) || return 1
  grep -q '198.51.100.12:80 .* Masq    0 ' <<<"$t" &&
    grep -q 'FWM  7 mh' <<<"$t" &&
    [[ $(grep -c '198.51.100.12:0 .* Tunnel  0 ' <<<"$t") == 1 ]] &&
    grep -q '2001:db8::11' <<<"$t" && ! grep -q '2001:db8::12' <<<"$t" &&
    in_ns dir ipvsadm -Ln --daemon | grep -q 'master sync daemon (mcast=eth0, syncid=72,'
}
deadline=$((SECONDS + 90))
until settled; do
  if ((SECONDS >= deadline)); then
    fail "keepalived built its table (rs2 inhibited, IPv6 rs2 removed, sync daemon)" \
      "waited 90 s; -Ln:" "$(table 2>&1)" "--daemon:" "$(in_ns dir ipvsadm -Ln --daemon 2>&1)" \
      "keepalived's log:" "$(tail -n 40 "$KA/log" 2>/dev/null)"
    exit 0
  fi
  nap 0.5
done
ok "keepalived built its table (rs2 inhibited, IPv6 rs2 removed, sync daemon)"
# The thresholds of the issue, as keepalived set them.
check_eq "keepalived set uthreshold/lthreshold on two real servers" \
  "2" "$(in_ns dir ipvsadm -Ln --thresholds | grep -cE '(100 +10|50 +5) +0 +0')"

# Every listing form, on the table keepalived made.
compat_each dir <<'EOF'
-Ln
-L
-Sn
-S
-Ln --stats
-Ln --stats --exact
-Ln --rate
-Ln --rate --exact
-Ln --thresholds
-Ln --persistent-conn
-Ln --tun-info
-Ln --timeout
-Ln --daemon
-Ln --nosort
-Ln --sort
-Ln --exact
-Ln -t 192.0.2.10:80
-Ln -u 192.0.2.10:53 --thresholds
-Ln -f 7 --tun-info
-Ln -t [2001:db8:1::10]:443
-Lnc
-Lnc --persistent-conn
EOF

# -Sn | -R --sync --dry-run: nothing to change, whichever tool saves.
# shellcheck disable=SC2016 # the inner script expands its own arguments
for saver in "$RSVSADM" "$IPVSADM"; do
  plan=$(in_ns dir bash -c '"$1" -Sn | "$2" -R --sync --dry-run' _ "$saver" "$RSVSADM" 2>&1)
  check_eq "${saver##*/} -Sn | rsvsadm -R --sync --dry-run: nothing to change" "" "$plan"
done
before=$(in_ns dir ipvsadm -Ln --thresholds)
# shellcheck disable=SC2016
check "rsvsadm -Sn | rsvsadm -R --sync (applied)" \
  in_ns dir bash -c '"$1" -Sn | "$1" -R --sync' _ "$RSVSADM"
check_eq "the sync kept keepalived's thresholds" "$before" "$(in_ns dir ipvsadm -Ln --thresholds)"
# Asked explicitly, the thresholds do change (the pair the line gives, as
# with -e), and the dry run says so.
check_eq "an explicit -x in the rules is a change, and the dry run says which" \
  "-e -t 192.0.2.10:80 -r 198.51.100.11:80 -m -w 3 -x 0 -y 0" \
  "$(in_ns dir bash -c '"$1" -Sn | sed "s/-r 198.51.100.11:80 -m -w 3/& -x 0/" |
    "$1" -R --sync --dry-run' _ "$RSVSADM" 2>&1)"

# keepalived stops: it removes what it made.
kill -TERM "$KA_PID" 2>/dev/null || true
deadline=$((SECONDS + 30))
while [[ -n $(in_ns dir ipvsadm -Sn) ]] && ((SECONDS < deadline)); do nap 0.5; done
check_eq "keepalived removed its services when it stopped" "" "$(in_ns dir ipvsadm -Sn)"

# --- a table with every attribute: the unit's round trip and -S | -R --sync ---
mkns_docnet rt
RULES=$NT_STATE/rules
cat >"$NT_STATE/full" <<'EOF'
--set 800 100 200
-A -t 192.0.2.1:80 -s wrr -p 300 -M 255.255.255.0
-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 5 -x 1000 -y 100
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 0
-A -u 192.0.2.1:5060 -s rr -p 60 --pe sip -o
-a -u 192.0.2.1:5060 -r 198.51.100.3:5060 -m -w 2 -x 7
-A -u 192.0.2.2:53 -s sh -b sh-fallback,sh-port
-a -u 192.0.2.2:53 -r 198.51.100.4:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-A --sctp-service 192.0.2.3:9 -s mh -b mh-port
-a --sctp-service 192.0.2.3:9 -r 198.51.100.5:9 -i --tun-type gre --tun-csum -x 30 -y 3
-A -f 77 -s lc -p 120
-a -f 77 -r 198.51.100.6:0 -i --tun-type ipip -w 9 -x 40 -y 4
-A -f 78 -6 -s sed -p 10 -M 64
-a -f 78 -6 -r [2001:db8::7]:0 -g -w 3 -x 9
-A -t [2001:db8::1]:443 -s nq
-a -t [2001:db8::1]:443 -r [2001:db8::8]:8443 -m -w 65535 -x 65535 -y 1
-a -t [2001:db8::1]:443 -r 198.51.100.9:443 -i --tun-type gue --tun-port 5555 --tun-remcsum
EOF
# shellcheck disable=SC2016 # the inner script expands its own arguments
check "rsvsadm -R builds the full table" in_ns rt bash -c '"$1" -R <"$2"' _ "$RSVSADM" "$NT_STATE/full"
listings() {
  local l
  for l in "-Sn" "-Ln" "-Ln --thresholds" "-Ln --tun-info" "-Ln --timeout" "-Ln --persistent-conn"; do
    printf '== %s\n' "$l"
    # shellcheck disable=SC2086 # the listing's words
    in_ns rt ipvsadm $l
  done
}
full=$(listings)
check "the full table was built (its -Sn has 16 rules)" test "$(in_ns rt ipvsadm -Sn | wc -l)" = 16
check "the unit saves it (service stop)" in_ns rt "$RSVSADM" service stop --rules "$RULES"
check_eq "service stop cleared the table" "" "$(in_ns rt ipvsadm -Sn)"
# The timeouts must come back from the file too.
in_ns rt ipvsadm --set 900 120 300
check "the unit restores it (service start)" in_ns rt "$RSVSADM" service start --rules "$RULES"
check_eq "service stop + start gives every listing back" "$full" "$(listings)"

# shellcheck disable=SC2016
saved=$(in_ns rt bash -c '"$1" -Sn' _ "$RSVSADM")
# Edits that -S can express (weights, a scheduler, a removed server and an
# added service), with thresholds everywhere staying as the kernel has them.
cat >"$NT_STATE/edits" <<'EOF'
-e -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 1 -x 1000 -y 100
-E -u 192.0.2.2:53 -s rr
-d -f 77 -r 198.51.100.6
-a -f 77 -r 198.51.100.6:0 -i --tun-type ipip -w 9 -x 40 -y 4
-d -t [2001:db8::1]:443 -r 198.51.100.9:443
-A -t 192.0.2.99:80
EOF
# shellcheck disable=SC2016
check "rsvsadm -R makes the edits" in_ns rt bash -c '"$1" -R <"$2"' _ "$RSVSADM" "$NT_STATE/edits"
check_eq "-S | -R --sync --dry-run: exactly the edits back" \
  "$(printf '%s\n' \
    '-E -u 192.0.2.2:53 -s sh -b sh-fallback,sh-port' \
    '-e -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 5 -x 1000 -y 100' \
    '-a -t [2001:db8::1]:443 -r 198.51.100.9:443 -i -w 1 --tun-type gue --tun-port 5555 --tun-remcsum' \
    '-D -t 192.0.2.99:80')" \
  "$(in_ns rt "$RSVSADM" -R --sync --dry-run <<<"$saved" 2>&1)"
# shellcheck disable=SC2016
check "-S | -R --sync applies them" \
  in_ns rt bash -c 'printf "%s\n" "$2" | "$1" -R --sync' _ "$RSVSADM" "$saved"
check_eq "-S | -R --sync gives every listing back, thresholds included" "$full" "$(listings)"
