# The everyday ipvsadm commands, compared byte for byte with Debian's
# ipvsadm on the same kernel: -A -E -D -C -a -e -d -L -S -R -Z --set, both
# directions (state made by either tool, listed by both).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# --- The scenarios' scripts -------------------------------------------------

# An LVS-NAT director's lvs_nat.sh, with documentation addresses.
compat_apply "an LVS-NAT director's lvs_nat.sh" <<'EOF'
-C
-A -t 198.51.100.200:80 -s wrr
-a -t 198.51.100.200:80 -r 192.0.2.107:80 -m -w 2
-a -t 198.51.100.200:80 -r 192.0.2.110:80 -m -w 1
EOF

# A wlc NAT director whose replies come back through a wrong gateway,
# including its script's mistake: a destination added to a service that
# was never created.
compat_apply "wlc NAT with a typo'd service" <<'EOF'
-C
-A -t 198.51.100.117:80 -s wlc
-a -t 198.51.100.117:80 -r 203.0.113.130:80 -m
-a -t 198.51.100.100:80 -r 203.0.113.131:80 -m
-Lnc
-L
EOF

# rr with port mapping 8888 -> 9999 and short timeouts.
compat_apply "rr port mapping and --set" <<'EOF'
-C
-A -t 198.51.100.58:8888 -s rr
-a -t 198.51.100.58:8888 -r 192.0.2.71:9999 -m
-a -t 198.51.100.58:8888 -r 192.0.2.72:9999 -m
-L --timeout
--set 1 120 300
-L --timeout
EOF

# --- A realistic mixed table --------------------------------------------------

MIXED=$(cat <<'EOF'
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 0
-a -t 198.51.100.1:80 -r 192.0.2.12:8080 -m -w 65535
-a -t 198.51.100.1:80 -r 192.0.2.2 -m
-A -t 198.51.100.1:443 -s sh -p
-a -t 198.51.100.1:443 -r 192.0.2.11 -g -w 5
-a -t 198.51.100.1:443 -r 192.0.2.12:443 -i -w 7
-A -t 200.0.0.1:80 -s rr
-a -t 200.0.0.1:80 -r 192.0.2.13:80 -g
-A -t 10.0.0.1:80 -s rr
-A -u 198.51.100.1:53 -s lc
-a -u 198.51.100.1:53 -r 192.0.2.21:53 -m -w 3
-a -u 198.51.100.1:53 -r 192.0.2.22:5353 -m -w 2
-A -u 198.51.100.2:53 -s wlc -p 600 -M 255.255.255.0
-A --sctp-service 198.51.100.3:3868 -s rr
-a --sctp-service 198.51.100.3:3868 -r 192.0.2.31:3868 -m
-A -t [2001:db8::1]:80 -s wrr
-a -t [2001:db8::1]:80 -r [2001:db8::11]:80 -m -w 4
-a -t [2001:db8::1]:80 -r [2001:db8::12]:8080 -m -w 1
-A -u [2001:db8::53]:53 -s rr -p 120
-a -u [2001:db8::53]:53 -r [2001:db8::21]:53 -g
-A -f 1 -s rr
-a -f 1 -r 192.0.2.41:80 -m
-a -f 1 -r 192.0.2.42 -g -w 2
-A -f 2 -6 -s wlc
-a -f 2 -6 -r [2001:db8::41]:443 -m
-A -f 4294967295 -s sed -p 3600
EOF
)
compat_apply "mixed table" <<<"$MIXED"

compat_apply "edit service and destination" <<EOF
$MIXED
-E -t 198.51.100.1:80 -s rr
-E -t 198.51.100.1:443 -s wlc
-E -u 198.51.100.2:53 -s sh -p 60 -M 255.255.0.0
-e -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 9
-e -t 198.51.100.1:80 -r 192.0.2.12:8080 -g -w 2147483647
-e -t 198.51.100.1:80 -r 192.0.2.2:80 -m -w 65536
-e -f 1 -r 192.0.2.41:80 -m -w 0 -x 100 -y 10
-E -f 4294967295 -s rr
EOF

compat_apply "delete, zero, flush" <<EOF
$MIXED
-d -t 198.51.100.1:80 -r 192.0.2.12:8080
-d -u 198.51.100.1:53 -r 192.0.2.22:5353
-D -t 10.0.0.1:80
-D -f 2 -6
-Z
-Z -t 198.51.100.1:80
-d -t 198.51.100.1:80 -r 192.0.2.99:80
-D -t 198.51.100.99:80
-Z -u 198.51.100.99:53
-C
EOF

compat_apply "kernel errors" <<'EOF'
-A -t 198.51.100.1:80 -s rr
-A -t 198.51.100.1:80 -s rr
-A -t 198.51.100.2:80 -s nosuchsched
-E -t 198.51.100.9:80 -s rr
-a -t 198.51.100.1:80 -r 192.0.2.5:80 -m
-a -t 198.51.100.1:80 -r 192.0.2.5:80 -m
-a -t 198.51.100.9:80 -r 192.0.2.5:80 -m
-e -t 198.51.100.1:80 -r 192.0.2.6:80 -m
-d -t 198.51.100.1:80 -r 192.0.2.6:80
-D -t 198.51.100.9:80
-A -t 198.51.100.3:80 -s rr --pe nosuchpe -p
EOF

compat_apply "long forms and clusters" <<'EOF'
--add-service --tcp-service 198.51.100.1:80 --scheduler wrr
--add-server --tcp-service 198.51.100.1:80 --real-server 192.0.2.11:80 --masquerading --weight 3
--add-server -t 198.51.100.1:80 -r 192.0.2.12:80 -mw 2
--edit-server -t 198.51.100.1:80 -r 192.0.2.12:80 --gatewaying --weight=4
--edit-service -t 198.51.100.1:80 --scheduler=rr --persistent=100
--add-service --udp-service 198.51.100.1:53 --scheduler lc
--delete-service --udp-service 198.51.100.1:53
--zero
--set 900 120 300
EOF

# --- Listings on one shared state -------------------------------------------

mkns_docnet core
while read -r line; do
  [[ -n $line ]] && in_ns core "$IPVSADM" $line
done <<<"$MIXED"

# No arguments at all lists everything.
compat core
compat_each core <<'EOF'
-L
-l
-Ln
-L -n
-nL
--list --numeric
-Lnc
-L -c -n
-Ln --stats
-Ln --rate
-Ln --stats --exact
-Ln --thresholds
-Ln --persistent-conn
-Ln --nosort
-Ln --sort
-L --timeout
-Ln --daemon
-S
-Sn
--save -n
-Ln -t 198.51.100.1:80
-Ln -u [2001:db8::53]:53
-Ln -f 1
-Ln -f 2 -6
-L -n -t 198.51.100.1:443 --stats
-Ln -t 198.51.100.77:80
-Ln --stats --exact -f 4294967295
EOF

# --- Argument errors: text and exit status ------------------------------------

compat_each core <<'EOF'
-A
-A -t
-A -t 198.51.100.1
-A -t 198.51.100.1:0 -s rr
-A -t 300.1.1.1:80
-A -t 198.51.100.1:80 -s
-a -t 198.51.100.1:80
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w 2147483648
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w -1
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -w x
-a -t 198.51.100.1:80 -r bad..addr:80
-A -t 198.51.100.1:80 -r 192.0.2.1
-D -t 198.51.100.1:80 -s rr
-C -t 198.51.100.1:80
-A -t 198.51.100.1:80 -u 198.51.100.1:80
-A -t 198.51.100.1:80 -s rr -s wrr
-L -c --stats
-L --timeout --rate
-L --daemon --persistent-conn
--set 1 2
--set a b c
-Z -t 198.51.100.1:80 -r 192.0.2.1
-f 1 -A
-A -f 0
-A -f 4294967296
-6 -A -f 1
-A -t [2001:db8::1:80
-x
--bogus
-L --bogus
-nL -c
-A -t 198.51.100.1:80 -p 0
-A -t 198.51.100.1:80 -p 2678401
-A -t 198.51.100.1:80 -M 255.0.255.0
-a -t 198.51.100.1:80 -r 192.0.2.1:80 -m -g
-E
-R -n
-S -t 198.51.100.1:80
-A -t 198.51.100.1:80 extra
-v
--version
EOF

# -h: called as ipvsadm, ipvsadm's text byte for byte; called as rsvsadm,
# ipvsadm's text (its own name in it), then rsvsadm's own commands and
# options and its version.
# (Both names are links, so this holds whatever $RSVSADM is named, even
# ipvsadm, as the package installs it.)
mkdir -p "$NT_STATE/as-ipvsadm" "$NT_STATE/as-rsvsadm"
ln -sf "$RSVSADM" "$NT_STATE/as-ipvsadm/ipvsadm"
ln -sf "$RSVSADM" "$NT_STATE/as-rsvsadm/rsvsadm"
(
  RSVSADM=$NT_STATE/as-ipvsadm/ipvsadm
  unset _NT_PROG_NAMES
  compat_each core <<'EOF'
-h
--help
EOF
)
ref=$(in_ns core "$IPVSADM" -h)
own=$(in_ns core "$NT_STATE/as-rsvsadm/rsvsadm" --help)
ref=${ref//"$IPVSADM"/PROG}
own=${own//"$NT_STATE/as-rsvsadm/rsvsadm"/PROG}
# The first line is the version line, with each program's name.
check_eq "rsvsadm -h starts with ipvsadm's usage text" \
  "${ref#*$'\n'}" "$(head -n "$(wc -l <<<"$ref")" <<<"$own" | tail -n +2)"
own=${own#"${own%%$'\n\n'"rsvsadm's own commands"*}"}
for word in "PROG setup nat|fullnat|realserver" "PROG check" "PROG service start|stop" \
  "--netns name" "--json" "--sync" "--dry-run" "--drain [seconds]"; do
  if [[ $own == *$'\n'"  $word"* ]]; then
    ok "rsvsadm -h lists $word after ipvsadm's text"
  else
    fail "rsvsadm -h lists $word after ipvsadm's text" "$own"
  fi
done
version_re='^rsvsadm [0-9]+\.[0-9]+\.[0-9]+: '
if [[ ${own##*$'\n'} =~ $version_re ]]; then
  ok "rsvsadm -h ends with rsvsadm's version"
else
  fail "rsvsadm -h ends with rsvsadm's version" "${own##*$'\n'}"
fi

# --- -S | -R round trips --------------------------------------------------------

mkns_docnet rt1 rt2 rt3
in_ns core "$RSVSADM" -Sn >"$NT_STATE/saved"
in_ns rt1 "$RSVSADM" -R <"$NT_STATE/saved" || true
check_eq "rsvsadm -Sn | rsvsadm -R restores the table" \
  "$(in_ns core "$IPVSADM" -Sn)" "$(in_ns rt1 "$IPVSADM" -Sn)"
in_ns core "$IPVSADM" -Sn | in_ns rt2 "$RSVSADM" -R || true
check_eq "ipvsadm -Sn | rsvsadm -R restores the table" \
  "$(in_ns core "$IPVSADM" -Sn)" "$(in_ns rt2 "$RSVSADM" -Sn)"
# ipvsadm -S prints fwmark 4294967295 as -1, which ipvsadm's own -R refuses
# (rsvsadm reads it back): leave that service out for ipvsadm.
in_ns core "$RSVSADM" -S | grep -v -e '-f -1 ' | in_ns rt3 "$IPVSADM" -R || true
check_eq "rsvsadm -S (names) | ipvsadm -R restores the table" \
  "$(in_ns core "$IPVSADM" -Sn | grep -v -e '-f -1 ')" "$(in_ns rt3 "$IPVSADM" -Sn)"

# --- -R improvements: comments, validation first, line numbers ------------------

mkns_docnet rv
rules=$'# director rules\n-A -t 198.51.100.1:80 -s rr\n\n  # indented comment\n-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m\n'
in_ns rv "$RSVSADM" -R <<<"$rules"
check_eq "-R accepts # comments and blank lines" \
  $'-A -t 198.51.100.1:80 -s rr\n-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1' \
  "$(in_ns rv "$IPVSADM" -Sn)"

bad=$'-A -t 198.51.100.2:80 -s rr\n-a -t 198.51.100.2:80 -r 192.0.2.12:80 -m\n-a -t 198.51.100.2:80 -r 192.0.2.13:80 -w 0x10\n'
set +e
err=$(in_ns rv "$RSVSADM" -R <<<"$bad" 2>&1 >/dev/null)
rc=$?
set -e
check_eq "-R with a bad line 3 exits 2" 2 "$rc"
check_eq "-R names the bad line and the reason" \
  $'-R line 3: -a -t 198.51.100.2:80 -r 192.0.2.13:80 -w 0x10\nillegal weight specified' "${err#*: }"
check_eq "-R with a bad line changes nothing" \
  $'-A -t 198.51.100.1:80 -s rr\n-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1' \
  "$(in_ns rv "$IPVSADM" -Sn)"

dup=$'-A -t 198.51.100.3:80 -s rr\n-A -t 198.51.100.1:80 -s rr\n-A -t 198.51.100.4:80 -s rr\n'
set +e
err=$(in_ns rv "$RSVSADM" -R <<<"$dup" 2>&1 >/dev/null)
rc=$?
set -e
check_eq "-R goes on after a kernel error, exit 255" 255 "$rc"
check_eq "-R names the refused line, then ipvsadm's message" \
  $'-R line 2: -A -t 198.51.100.1:80 -s rr\nService already exists' "${err#*: }"
check_eq "-R applied the lines after the refused one" \
  $'-A -t 198.51.100.1:80 -s rr\n-a -t 198.51.100.1:80 -r 192.0.2.11:80 -m -w 1\n-A -t 198.51.100.3:80 -s rr\n-A -t 198.51.100.4:80 -s rr' \
  "$(in_ns rv "$IPVSADM" -Sn)"
