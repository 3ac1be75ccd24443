# Every argument check ipvsadm makes, with its exact text and exit status,
# compared with Debian's ipvsadm: required, illegal, multiple and
# conflicting options per command, value ranges and formats, popt's own
# errors, "-6 used before -f", "options conflicts in the list command", the
# tunnel and scheduler-flag rules. The compat_each lines either fail the
# argument checks or only read the table (or are refused by the kernel), so
# both tools run them in one namespace; lines that could change the table
# are at the end, each tool in its own namespace.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

mkns_docnet ae

# What the first option may be, and what comes after the command.
compat_each ae <<'EOF'
-n
-n -L
-t 198.51.100.1:80 -A
--bogus
-Q
--=x
-
--
foo
-L --bogus
-L -Q
-Lq
-A -E -t 198.51.100.1:80
-L -L
-L -l
-L -h
-L -v
-L -R
-A --set
-a --start-daemon master
-v --bogus
--list=1
-L --numeric=1
-L -n=1
-Ln=1
-L --stats=yes
-L foo
-C foo
-Z foo bar
-A -t 198.51.100.1:80 extra
-S -n extra
EOF

# -h first: ipvsadm's text, as rsvsadm prints it when called by the name
# ipvsadm (called as rsvsadm it adds its own commands: see 10-core).
mkdir -p "$NT_STATE/as-ipvsadm"
ln -sf "$RSVSADM" "$NT_STATE/as-ipvsadm/ipvsadm"
(
  RSVSADM=$NT_STATE/as-ipvsadm/ipvsadm
  unset _NT_PROG_NAMES
  compat_each ae <<'EOF'
-h -L
-h --bogus
EOF
)

# Words that are not UTF-8 are echoed byte for byte, as ipvsadm does.
compat_each ae < <(printf '%s\n' $'-A -f \xff7' $'-L --b\xe9' $'-L -n \xc3' $'-C -\xfe' \
  $'-A -t 198.51.100.1:80 -b x\xff' $'-A -t 198.51.100.1:80 -p 9\x80' $'-L -\xffL' \
  $'-A -t 198.51.100.1:80 -s rr -b \xe9,sh-port')

# A value with popt's `!#:+` (replaced by the next word that is not an
# option): Debian's ipvsadm hangs on some of these, rsvsadm answers at once
# (see "Differences from ipvsadm" in rsvsadm(8)). Only rsvsadm's answer,
# each within 20 s.
bang_answer() { # bang_answer EXPECTED_STDERR ARGS...
  local want=$1 rc=0 err
  shift
  err=$(in_ns ae timeout 20 "$RSVSADM" "$@" 2>&1 >/dev/null) || rc=$?
  check_eq "rsvsadm $* answers at once" "2: $want" "$rc: $err"
}
bang_answer "illegal virtual server address[:port] specified" -L -n -t '!#:+'
bang_answer "invalid timeout value \`!#:+' specified" -A -t 198.51.100.1:80 -p '!#:+'
bang_answer "invalid fwmark value \`x7' specified" -A -f '!#:+' x7
bang_answer "invalid timeout value \`!#:+' specified" -A -t 198.51.100.1:80 -s '!#:+' -p '!#:+'
bang_answer "invalid scheduler flag \`sh-portsh-port'" -A -f 1 -s rr -b '!#:+!#:+' sh-port

# The options each command requires and refuses (ipvsadm's
# commands_v_options table, walked in its order).
compat_each ae <<'EOF'
-A
-E
-A -s rr
-E -p
-A -t 198.51.100.1:80 -r 192.0.2.1:80
-A -t 198.51.100.1:80 -m
-A -t 198.51.100.1:80 -w 1
-A -t 198.51.100.1:80 -x 1
-A -t 198.51.100.1:80 -n
-A -t 198.51.100.1:80 -c
-A -t 198.51.100.1:80 --stats
-A -t 198.51.100.1:80 --timeout
-A -t 198.51.100.1:80 --daemon
-A -t 198.51.100.1:80 --mcast-interface eth0
-A -t 198.51.100.1:80 --syncid 1
-A -t 198.51.100.1:80 --mcast-group 239.1.1.1
-A -t 198.51.100.1:80 --tun-info
-A -t 198.51.100.1:80 --tun-type ipip
-A -t 198.51.100.1:80 --tun-port 1
-A -t 198.51.100.1:80 --tun-remcsum
-E -t 198.51.100.1:80 -r 192.0.2.1:80 -w 2
-D
-D -s rr
-D -t 198.51.100.1:80 -s rr
-D -t 198.51.100.1:80 -p
-D -t 198.51.100.1:80 -o
-D -t 198.51.100.1:80 -b flag-1
-D -t 198.51.100.1:80 -r 192.0.2.1:80
-C -n
-C -t 198.51.100.1:80
-C -s rr
-a
-e
-d
-a -t 198.51.100.1:80
-e -t 198.51.100.1:80
-d -t 198.51.100.1:80
-a -r 192.0.2.1:80
-e -r 192.0.2.1:80
-d -r 192.0.2.1:80
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -s rr
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -p
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -o
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -b flag-1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -n
-a -t 198.51.100.1:80 -r 192.0.2.1:80 --stats
-a -t 198.51.100.1:80 -r 192.0.2.1:80 --syncid 1
-e -t 198.51.100.1:80 -r 192.0.2.1:80 -s rr
-e -t 198.51.100.1:80 -r 192.0.2.1:80 --mcast-interface eth0
-d -t 198.51.100.1:80 -r 192.0.2.1:80 -m
-d -t 198.51.100.1:80 -r 192.0.2.1:80 -w 1
-d -t 198.51.100.1:80 -r 192.0.2.1:80 --tun-type gue
-d -t 198.51.100.1:80 -r 192.0.2.1:80 --tun-csum
-Z -r 192.0.2.1:80
-Z -s rr
-Z -n
-Z -t 198.51.100.1:80 --stats
-S -c
-S -t 198.51.100.1:80
-S --stats
-S -s rr
-R -n
-R -t 198.51.100.1:80
--set 1 2 3 -n
--set 1 2 3 -t 198.51.100.1:80
--set 1 2 3 --mcast-interface eth0
--start-daemon master -t 198.51.100.1:80
--start-daemon master -n
--start-daemon master --daemon
--start-daemon master --tun-info
--start-daemon backup -s rr
--stop-daemon master --mcast-interface eth0
--stop-daemon master --mcast-group 239.1.1.1
--stop-daemon master --mcast-port 1
--stop-daemon backup --mcast-ttl 1
--stop-daemon backup -n
EOF

# -L: what it refuses, what conflicts, and its own conflict message.
compat_each ae <<'EOF'
-L -s rr
-L -p
-L -M 255.255.255.0
-L -r 192.0.2.1:80
-L -m
-L -w 1
-L -x 1
-L --mcast-interface eth0
-L -o
-L --pe sip
-L -b flag-1
-L --mcast-group 239.1.1.1
-L --mcast-port 1
-L --tun-type ipip
-L --tun-port 1
-L --tun-remcsum
-L -c -t 198.51.100.1:80
-L -t 198.51.100.1:80 -c
-L -c --timeout
-L -c --daemon
-L --timeout --daemon
-L --daemon --timeout
-L -t 198.51.100.1:80 --timeout
-L -f 1 --daemon
-L -c --stats
-L -c --rate
-L -c --thresholds
-L --timeout --stats
-L --timeout --thresholds
-L --daemon --stats
-L --daemon --thresholds
-L --timeout --persistent-conn
-L --daemon --persistent-conn
-L --persistent-conn --daemon
-L -c --stats --timeout
-Ln --daemon --syncid 3
-Ln --syncid 300
-Ln -c --tun-info
-Ln --timeout --tun-info --exact --nosort
EOF

# The same option twice, and -6.
compat_each ae <<'EOF'
-A -t 198.51.100.1:80 -s rr -s rr
-A -t 198.51.100.1:80 -t 198.51.100.2:80
-A -t 198.51.100.1:80 -u 198.51.100.1:80
-A -t 198.51.100.1:80 -f 1
-A -f 1 --sctp-service 198.51.100.1:80
-A -t 198.51.100.1:80 -p -p
-A -t 198.51.100.1:80 -p 10 --persistent=20
-A -t 198.51.100.1:80 -M 255.255.255.0 -M 255.255.0.0
-A -u 198.51.100.1:80 -o --ops
-A -t 198.51.100.1:80 --pe sip --pe sip
-A -t 198.51.100.1:80 -b flag-1 -b flag-2
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -r 192.0.2.2:80
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -m -g
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i -i
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w 1 -w 2
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -x 1 --u-threshold 2
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gre --tun-type gre
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 1 --tun-port 2
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 1 --tun-csum --tun-csum
-L -n -n
-Lnn
-L -c -c
-L --stats --stats
-L --exact -X
-L --nosort --nosort
-L --daemon --daemon
-L --syncid 1 --syncid 1
-S -n -n
--start-daemon master --mcast-interface eth0 --mcast-interface eth1
--start-daemon master --syncid 1 --syncid 2
--start-daemon master --mcast-group 239.1.1.1 --mcast-group 239.1.1.2
--start-daemon master --mcast-port 1 --mcast-port 2
-A -6 -f 1
-A -t 198.51.100.1:80 -6
-L -6
-Ln -6 -f 1
-D -6
-a -6 -f 1 -r 2001:db8::1
-A --ipv6 -f 1
EOF

# Values: addresses, ports, marks, numbers and their ranges.
compat_each ae <<'EOF'
-A -t
-A --tcp-service
-A -u
-A --sctp-service
-A -f
-A -t 198.51.100.1:80 -s
-A -t 198.51.100.1:80 --scheduler
-A -t 198.51.100.1:80 -M
-A -t 198.51.100.1:80 -p --pe
-A -t 198.51.100.1:80 -b
-a -t 198.51.100.1:80 -r
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -x
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -y
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type
--start-daemon master --mcast-interface
--start-daemon master --syncid
--start-daemon master --mcast-group
--start-daemon master --mcast-port
--start-daemon master --sync-maxlen
-A -t 198.51.100.1:65536
-A -t 198.51.100.1:-1
-A -t 198.51.100.1:nosuchservice
-A -t 198.51.100.1:
-A -t :80
-A -t 80
-A -t 198.51.100.1:80:80
-A -t 198.51.100.300:80
-A -t [2001:db8::1]
-A -t [2001:db8::1]80
-A -t [2001:db8::1:80
-A -t 2001:db8::1]:80
-A -t [nothex::1]:80
-A -t [198.51.100.1]:80
-A -t nosuchhost.invalid:80
-A -t 198.51.100.1:0
-A -u 198.51.100.1
-A --sctp-service 198.51.100.1
-E -t 2001:db8::1
-A -t 198.51.100.1:0 -s rr -o
-A -f 0
-A -f -2147483649
-A -f 4294967296
-A -f 99999999999999999999
-A -f x
-A -f 1x
-A -f 0x10
-A -t 198.51.100.1:80 -p 0
-A -t 198.51.100.1:80 -p 2678401
-A -t 198.51.100.1:80 -p x
-A -t 198.51.100.1:80 -p 1.5
-A -t 198.51.100.1:80 -p=
-A -t 198.51.100.1:80 --persistent=
-A -t 198.51.100.1:80 -p -1
-A -t 198.51.100.1:80 -M 255.255.255.256
-A -t 198.51.100.1:80 -M x.y
-A -t 198.51.100.1:80 -M nosuchhost.invalid
-A -t [2001:db8::1]:80 -M 0
-A -t [2001:db8::1]:80 -M 129
-A -t [2001:db8::1]:80 -M x
-A -t [2001:db8::1]:80 -M -5
-A -f 1 -6 -M 200
-A -t 198.51.100.1:80 -o
-A --sctp-service 198.51.100.1:80 -o
-E -t [2001:db8::1]:80 -o -s rr
-A -t 198.51.100.1:80 -b foo
-A -t 198.51.100.1:80 -b flag-4
-A -t 198.51.100.1:80 -b sh-port
-A -t 198.51.100.1:80 -s rr -b sh-fallback
-A -t 198.51.100.1:80 -s sh -b mh-port
-A -t 198.51.100.1:80 -s mh -b sh-port
-A -t 198.51.100.1:80 -s sh -b flag-1,sh-port,mh-port
-A -t 198.51.100.1:80 -s rr -b flag-1,foo
-A -t 198.51.100.1:80 -s rr -b FLAG-1
-A -t 198.51.100.1:80 -s rr -b flag-1;flag-2
-A -t 198.51.100.1:80 -b mh-port -s mh -s sh
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w 2147483648
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w -1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w x
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w 1x
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w 0x10
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -x -1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -x 2147483648
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -x x
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -y -1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -y 2147483648
-a -t 198.51.100.1:80 -r 192.0.2.1:65536
-a -t 198.51.100.1:80 -r 192.0.2.1:x
-a -t 198.51.100.1:80 -r :80
-a -t 198.51.100.1:80 -r [2001:db8::1]
-a -t 198.51.100.1:80 -r bad..addr
-a -t 198.51.100.1:80 -r 192.0.2.1:
-a -t [2001:db8::1]:80 -r 192.0.2.1:80 -m
-a -t 198.51.100.1:80 -r 2001:db8::1 -g
-a -f 1 -r 2001:db8::1 -m
-e -f 1 -6 -r 192.0.2.1 -m
-d -t 198.51.100.1:80 -r 192.0.2.1:http2
--set
--set 1
--set 1 2
--set a 2 3
--set 1 2 c
--set 1 2 2678401
--set 2678401 1 1
--set -1 2 3
--set 1 2 3 4
--set 1.5 2 3
--start-daemon
--start-daemon foo
--start-daemon Master
--start-daemon=
--stop-daemon
--stop-daemon foo
--stop-daemon=backup2
--start-daemon master --syncid 256
--start-daemon master --syncid -1
--start-daemon master --syncid x
--start-daemon master --mcast-port 0
--start-daemon master --mcast-port 65536
--start-daemon master --mcast-ttl 0
--start-daemon master --mcast-ttl 256
--start-daemon master --sync-maxlen 0
--start-daemon master --sync-maxlen 65508
--start-daemon master --mcast-group 192.0.2.1
--start-daemon master --mcast-group 2001:db8::1
--start-daemon master --mcast-group foo
--start-daemon master --mcast-group ff02::zz
--start-daemon master --mcast-group 224.0.0.256
--start-daemon master --mcast-group 240.0.0.1
--start-daemon master --mcast-group 223.255.255.255
--stop-daemon master --syncid 256
EOF

# The tunnel rules: only -i takes tunnel options, and each type its own.
compat_each ae <<'EOF'
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -m --tun-type ipip
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -g --tun-type gre
-a -t 198.51.100.1:80 -r 192.0.2.1:80 --tun-port 1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -m --tun-csum
-e -t 198.51.100.1:80 -r 192.0.2.1:80 --tun-remcsum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type foo
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type GUE
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-csum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 1 --tun-csum --tun-nocsum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 1 --tun-remcsum --tun-csum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 0
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port 65536
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue --tun-port x
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-port 6080
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-nocsum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type ipip --tun-csum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gre --tun-remcsum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gre --tun-port 1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gre --tun-csum --tun-nocsum
-a -t 198.51.100.1:80 -r 192.0.2.1:80 --tun-type gue --tun-port 1 -i -m
-e -t 198.51.100.1:80 -r 192.0.2.1:80 -i --tun-type gue
EOF

# Lines that pass the argument checks but that the kernel judges (or that
# ipvsadm reads surprisingly): each tool in its own namespace.
COMPAT_LISTINGS=("-Sn")
compat_apply "accepted oddities and kernel refusals" <<'EOF'
-A -t 198.51.100.1:80 -p --pe bogus
-A -t 198.51.100.1:81 -p --pe averyveryverylongpename
-A -t 198.51.100.3:82 -s rr -p -M 64
-A -M 64 -t [2001:db8::1]:80 -p
-A -M 255.255.255.0 -t [2001:db8::2]:80 -p
-A -t 198.51.100.1:080
-A -t 198.51.100.1:+81
-A -t 198.51.100.1:www
-A -u 198.51.100.1:domain
-A --sctp-service 198.51.100.1:amqp
-A -t 198.51.100.1:83 -p 010
-A -f 010
-A -f +11
-A -t 1.2.3:80
-A -t 3325256705:81
-A -t 2001:db8::1:80 -p
-A -t [::ffff:198.51.100.9]:80
-a -t 198.51.100.1:www -r 192.0.2.1:http -m -w +5
-a -t 198.51.100.1:www -r 192.0.2.2 -m -w 007
-a -r 192.0.2.3:domain -t 198.51.100.1:80 -m
-a -r 192.0.2.4:domain -u 198.51.100.1:53 -m
EOF

# Deliberately not ipvsadm's: it prints marks of 2^31 and more as negative
# numbers (-S writes "-f -1" for 4294967295) and then refuses them; rsvsadm
# reads them back as the mark they print for, so -S output restores.
mkns_docnet fw1 fw2
in_ns fw1 "$IPVSADM" -A -f 4294967295 -s rr
set +e
err=$(in_ns fw2 "$IPVSADM" -A -f -1 -s rr 2>&1)
rc=$?
set -e
check_eq "ipvsadm refuses -f -1 (exit 2)" "2: invalid fwmark value \`-1' specified" "$rc: $err"
in_ns fw2 "$RSVSADM" -A -f -1 -s rr
check_eq "rsvsadm -A -f -1 is mark 4294967295, as ipvsadm -S prints it" \
  "$(in_ns fw1 "$IPVSADM" -Sn)" "$(in_ns fw2 "$IPVSADM" -Sn)"
