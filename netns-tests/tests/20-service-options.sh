# Virtual service options, compared byte for byte with Debian's ipvsadm on
# the same kernel, both directions (state made by either tool, listed by
# both): every scheduler, -b/--sched-flags, --sctp-service, -f with -6,
# -o/--ops, -p [timeout], -M (IPv4 dotted, IPv6 prefix), --pe sip, and -E
# resetting what it is not given. Their argument errors are in
# 25-arg-errors.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The two listings that show service options (-L's other forms print the
# same service row as -Ln, or only its address; 22-listings.sh covers them).
COMPAT_LISTINGS=("-Ln" "-Sn")

# Every scheduler: the kernel decides which exist (6.1 has no twos; "none"
# is the kernel's own name for no scheduler), both tools report the same.
# sh and mh name the first two flags after themselves, the others print
# flag-N; a flag the scheduler does not name prints as "()".
compat_apply "schedulers and scheduler flags" <<'EOF'
-A -t 198.51.100.1:1 -s rr
-A -t 198.51.100.1:2 -s wrr
-A -t 198.51.100.1:3 -s lc
-A -t 198.51.100.1:4 -s wlc
-A -t 198.51.100.1:5 -s lblc
-A -t 198.51.100.1:6 -s lblcr
-A -t 198.51.100.1:7 -s dh
-A -t 198.51.100.1:8 -s sh
-A -t 198.51.100.1:9 -s sed
-A -t 198.51.100.1:10 -s nq
-A -t 198.51.100.1:11 -s fo
-A -t 198.51.100.1:12 -s ovf
-A -t 198.51.100.1:13 -s mh
-A -t 198.51.100.1:14 -s twos
-A -t 198.51.100.1:15 -s none
-A -t 198.51.100.1:16
-A -t 198.51.100.1:17 -s RR
-A -t 198.51.100.1:18 -s averyveryverylongschedulername
-a -t 198.51.100.1:13 -r 192.0.2.1:80 -m -w 3
-a -t 198.51.100.1:15 -r 192.0.2.2:80 -m
-E -t 198.51.100.1:1 -s mh
-E -t 198.51.100.1:2 -s twos
-E -t 198.51.100.1:3
-A -t 198.51.100.8:1 -s sh -b sh-fallback
-A -t 198.51.100.8:2 -s sh -b sh-port
-A -t 198.51.100.8:3 -s sh --sched-flags sh-fallback,sh-port
-A -t 198.51.100.8:4 -s mh -b mh-fallback
-A -t 198.51.100.8:5 -s mh -b mh-port,mh-fallback
-A -t 198.51.100.8:6 -s rr -b flag-1,flag-2,flag-3
-A -t 198.51.100.8:7 -b flag-2
-A -t 198.51.100.8:8 -s sh -b flag-3
-A -t 198.51.100.8:9 -s mh -b flag-1,flag-3
-A -t 198.51.100.8:10 -s rr -b flag-3,,flag-1,
-A -t 198.51.100.8:11 -s sh -b sh-port -p 100 -M 255.255.255.0
-A -u 198.51.100.8:12 -s mh -b mh-port -o
-A -f 12 -6 -s sh -b sh-fallback
-A -t [2001:db8::8]:14 -s mh -b mh-fallback,mh-port -p
-E -t 198.51.100.8:1 -s sh -b sh-port
-E -t 198.51.100.8:2 -s sh
-E -t 198.51.100.8:3 -s rr -b flag-3
-E -t 198.51.100.8:4 -s sh -b sh-fallback
EOF

compat_apply "sctp, fwmark -6 and one-packet services" <<'EOF'
-A --sctp-service 198.51.100.3:3868 -s rr
-a --sctp-service 198.51.100.3:3868 -r 192.0.2.31:3868 -m -w 2
-a --sctp-service 198.51.100.3:3868 -r 192.0.2.32 -g
-A --sctp-service [2001:db8::3]:3868 -s wlc -p 60
-a --sctp-service [2001:db8::3]:3868 -r [2001:db8::31]:3869 -m
-A --sctp-service=198.51.100.4:9 -s sh -b sh-port -p
-E --sctp-service 198.51.100.3:3868 -s wrr
-e --sctp-service 198.51.100.3:3868 -r 192.0.2.31:3868 -m -w 7
-d --sctp-service 198.51.100.3:3868 -r 192.0.2.32:3868
-Z --sctp-service 198.51.100.3:3868
-A -f 7 -6 -s rr
-a -f 7 -6 -r [2001:db8::7]:80 -m
-a -f 7 -6 -r 2001:db8::8 -g -w 3
-A -f 7 -s rr
-a -f 7 -r 192.0.2.7:80 -m
-A -f 8 -6 -s wlc -p 120 -M 64
-A -f 9 --ipv6 -p -M 128
-E -f 7 -6 -s wrr -p
-e -f 7 -6 -r [2001:db8::7]:80 -m -w 5
-d -f 7 -6 -r 2001:db8::8
-Z -f 7 -6
-D -f 9 -6
-A -u 198.51.100.9:53 -s rr -o
-a -u 198.51.100.9:53 -r 192.0.2.91:53 -m
-A -u 198.51.100.9:54 --ops -p 30
-A -f 90 -o -s wlc
-A --fwmark-service 91 -6 -o
-A -u [2001:db8::9]:53 -o -p -M 64
-A -u 198.51.100.9:55 -s rr
-E -u 198.51.100.9:55 -s rr -o
-E -u 198.51.100.9:53 -s rr
EOF

# -p's value is optional: the next word is taken unless it starts with '-'.
# The mask and the engine show only on persistent services; -E sends the
# whole service, so whatever it is not given goes back to its default.
compat_apply "persistence, netmask and engine" <<'EOF'
-A -t 198.51.100.5:80 -p
-A -t 198.51.100.5:81 -p 1
-A -t 198.51.100.5:82 -p 2678400
-A -t 198.51.100.5:83 --persistent=100
-A -t 198.51.100.5:84 --persistent 200
-A -t 198.51.100.5:85 -p300
-A -t 198.51.100.5:86 -p -s rr
-A -t 198.51.100.5:87 -s rr -p -M 255.255.255.0
-A -t 198.51.100.5:88 -M 255.255.0.0 -p 30
-A -t 198.51.100.5:89 -M 255.255.0.0
-A -t 198.51.100.5:90 -p -M 0.0.0.0
-A -t 198.51.100.5:91 -p -M 255.0.255.0
-A -t 198.51.100.5:92 -p -M 24
-A -t 198.51.100.5:0 -p
-A -u 198.51.100.6 -p 10 -s rr
-a -u 198.51.100.6:0 -r 192.0.2.6 -g
-a -u 198.51.100.6:0 -r 192.0.2.7:53 -m
-A -t [2001:db8::5]:80 -p -M 64
-A -t [2001:db8::5]:81 -p 60 -M 128
-A -t [2001:db8::5]:82 -p -M 1
-A -t [2001:db8::5]:83 -M 48
-A -t [2001:db8::5]:0 --persistent
-E -t 198.51.100.5:80 -s rr
-E -t 198.51.100.5:81 -p 2 -M 255.255.255.128
-E -t [2001:db8::5]:80 -p 5 -M 96
-A -u 198.51.100.7:5060 -s rr -p 60 --pe sip
-a -u 198.51.100.7:5060 -r 192.0.2.71:5060 -m
-A -u [2001:db8::7]:5060 -p --pe sip
-A -f 70 -p 30 --pe sip
-A -u 198.51.100.7:5061 -s rr --pe sip
-A -t 198.51.100.7:5060 --pe=sip -p 10 -M 255.255.255.0
-E -u 198.51.100.7:5061 -s rr -p 60 --pe sip
-E -f 70 --pe sip
-A -u 198.51.100.10:5060 -s sh -b sh-port -p 60 -M 255.255.255.0 --pe sip -o
-E -u 198.51.100.10:5060
-A -t [2001:db8::10]:80 -s mh -b mh-port -p 60 -M 64
-E -t [2001:db8::10]:80 -p
EOF
