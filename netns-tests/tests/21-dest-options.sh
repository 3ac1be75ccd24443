# Real server options, compared byte for byte with Debian's ipvsadm on the
# same kernel, both directions (state made by either tool, listed by both):
# -x/-y thresholds, -i with --tun-type ipip|gue|gre, --tun-port,
# --tun-nocsum/--tun-csum/--tun-remcsum, mixed address families for
# tunnelling servers. Their argument errors are in 25-arg-errors.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The listings that show destination options.
COMPAT_LISTINGS=("-Ln" "-Sn" "-Ln --thresholds" "-Ln --tun-info")

compat_apply "thresholds" <<'EOF'
-A -t 198.51.100.1:80 -s wlc
-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -x 100 -y 10
-a -t 198.51.100.1:80 -r 192.0.2.12:80 -m --u-threshold 2147483647 --l-threshold=2147483647
-a -t 198.51.100.1:80 -r 192.0.2.13:80 -m -x 0 -y 0
-a -t 198.51.100.1:80 -r 192.0.2.14:80 -m -y 5
-a -t 198.51.100.1:80 -r 192.0.2.15:80 -m -x5
-a -t 198.51.100.1:80 -r 192.0.2.16:80 -m -y 50 -x 10
-e -t 198.51.100.1:80 -r 192.0.2.11:80 -m -x 200
-e -t 198.51.100.1:80 -r 192.0.2.12:80 -m -w 3
-A -f 5 -6 -s lc
-a -f 5 -6 -r [2001:db8::51]:80 -m -x 1 -y 1
-e -f 5 -6 -r [2001:db8::51]:80 -g -x 7 -y 3 -w 0
EOF

# The kernel's gue needs a port; gre has no remote checksum offload.
compat_apply "tunnel types, ports and checksums" <<'EOF'
-A -t 198.51.100.2:80 -s rr
-a -t 198.51.100.2:80 -r 192.0.2.21 -i
-a -t 198.51.100.2:80 -r 192.0.2.22 -i --tun-type ipip
-a -t 198.51.100.2:80 -r 192.0.2.23 -i --tun-type gue --tun-port 6080
-a -t 198.51.100.2:80 -r 192.0.2.24 -i --tun-type gue --tun-port 6081 --tun-nocsum
-a -t 198.51.100.2:80 -r 192.0.2.25 -i --tun-type gue --tun-port 65535 --tun-csum
-a -t 198.51.100.2:80 -r 192.0.2.26 -i --tun-type=gue --tun-port=1 --tun-remcsum
-a -t 198.51.100.2:80 -r 192.0.2.27 -i --tun-type gre
-a -t 198.51.100.2:80 -r 192.0.2.28 -i --tun-type gre --tun-csum
-a -t 198.51.100.2:80 -r 192.0.2.29 -i --tun-type gre --tun-nocsum -w 4
-a -t 198.51.100.2:80 -r 192.0.2.30:8080 --ipip --tun-type gue --tun-port 5555
-e -t 198.51.100.2:80 -r 192.0.2.21 -i --tun-type gre --tun-csum
-e -t 198.51.100.2:80 -r 192.0.2.23 -i --tun-type gue --tun-port 7000 --tun-remcsum
-e -t 198.51.100.2:80 -r 192.0.2.27 -i
-e -t 198.51.100.2:80 -r 192.0.2.28 -m
-e -t 198.51.100.2:80 -r 192.0.2.29 -g -w 9
-A -u [2001:db8::2]:53 -s rr
-a -u [2001:db8::2]:53 -r 2001:db8::21 -i --tun-type gue --tun-port 6080 --tun-csum
-a -u [2001:db8::2]:53 -r [2001:db8::22]:5353 -i --tun-type gre
-a -u [2001:db8::2]:53 -r 2001:db8::23 -i
-A -f 3 -s rr
-a -f 3 -r 192.0.2.31:8080 -i --tun-type gue --tun-port 6080
-a -f 3 -r 192.0.2.32 -i --tun-type gre --tun-csum
EOF

# Only tunnelling servers may have another address family than their
# service; the kernel checks the rest.
compat_apply "mixed address families" <<'EOF'
-A -t 198.51.100.3:80 -s rr
-a -t 198.51.100.3:80 -r 2001:db8::31 -i
-a -t 198.51.100.3:80 -r [2001:db8::32]:8080 -i --tun-type gue --tun-port 6080 --tun-csum
-a -t 198.51.100.3:80 -r 2001:db8::33 -i --tun-type gre
-a -t 198.51.100.3:80 -r 192.0.2.31 -i
-a -t 198.51.100.3:80 -r 192.0.2.32 -m
-a -t 198.51.100.3:80 -r 2001:db8::34 -m
-a -t 198.51.100.3:80 -r 2001:db8::35
-a -t 198.51.100.3:80 -r [2001:db8::35] -i
-A -t [2001:db8::3]:443 -s wrr
-a -t [2001:db8::3]:443 -r 192.0.2.33 -i -w 3
-a -t [2001:db8::3]:443 -r 192.0.2.34 -i --tun-type gue --tun-port 6080
-a -t [2001:db8::3]:443 -r 2001:db8::36 -i --tun-type gre --tun-csum
-a -t [2001:db8::3]:443 -r 192.0.2.35 -g
-e -t [2001:db8::3]:443 -r 192.0.2.33 -i -w 5 -x 10
-e -t 198.51.100.3:80 -r 2001:db8::31 -i --tun-type gre
-e -t 198.51.100.3:80 -r 2001:db8::31 -m
-A -f 30 -s rr
-a -f 30 -r [2001:db8::37]:80 -i
-A -f 30 -6 -s rr
-a -f 30 -6 -r 192.0.2.37:80 -i --tun-type gre
-d -t 198.51.100.3:80 -r 2001:db8::33
-d -t [2001:db8::3]:443 -r 192.0.2.34
EOF
