#!/usr/bin/env bash
# The systemd units (systemd/*.service.in), as install.sh installs them,
# run the way systemd runs them: their EnvironmentFile= and Exec*= lines are
# read from the installed unit files and executed in a test namespace with a
# clean environment (systemd isn't PID 1 in the lab).
#  - a first boot: the first start, without a rules file, succeeds (the stock
#    ipvsadm.service failed there) with an empty table and a notice;
#  - rules added, stop saves them (atomically, timeouts and thresholds too)
#    and clears the table, start restores them identically (checked with
#    Debian's ipvsadm, which also reads the saved file), reload;
#  - the settings file: Debian's /etc/ipvsadm.rules as the rules file,
#    save-on-stop and clear-on-stop off;
#  - a bad rules file fails the start, names its line, changes nothing;
#  - the director setup unit: save at stop, clear, restore at start.
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The package as it would be unpacked: files under $STAGE stand for /.
STAGE=$NT_STATE/root
bash "$REPO/install.sh" --destdir "$STAGE" --prefix /usr --bin "$RSVSADM" >/dev/null
UNIT=$STAGE/usr/lib/systemd/system/rsvsadm.service
SETUP_UNIT=$STAGE/usr/lib/systemd/system/rsvsadm-setup.service
SETTINGS=$STAGE/etc/default/rsvsadm
RULES=/etc/rsvsadm/rules
# The guest's /etc is a throwaway overlay; start from nothing.
rm -rf /etc/rsvsadm
on_exit rm -rf /etc/rsvsadm

# unit_values UNIT KEY: the values of KEY= in the unit's [Service] section.
unit_values() {
  awk -v key="$2" '/^\[/ { section = $0 }
    section == "[Service]" && index($0, key "=") == 1 { print substr($0, length(key) + 2) }' "$1"
}

# unit_run NS UNIT KEY: runs the unit's KEY= lines (ExecStart, ...) in NS as
# systemd does: the variables of its EnvironmentFile= ("-": optional) in an
# otherwise empty environment, each line split on blanks, a "-" prefix
# ignoring a failure, stopping at the first other failure (its status is
# unit_run's). Paths are looked up in the staging root first. The output
# goes to UNIT_OUT.
unit_run() {
  local ns=$1 unit=$2 key=$3 line file rc out
  local -a env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin) words
  while IFS= read -r file; do
    if [[ -e $STAGE${file#-} ]]; then
      while IFS= read -r line; do
        [[ $line =~ ^[[:space:]]*(#|$) ]] || env+=("$line")
      done <"$STAGE${file#-}"
    elif [[ $file != -* ]]; then
      UNIT_OUT="no EnvironmentFile $file"
      return 1
    fi
  done < <(unit_values "$unit" EnvironmentFile)
  UNIT_OUT=""
  while IFS= read -r line; do
    read -ra words <<<"${line#-}"
    [[ -x $STAGE${words[0]} ]] && words[0]=$STAGE${words[0]}
    rc=0
    out=$(in_ns "$ns" env -i "${env[@]}" "${words[@]}" 2>&1 </dev/null) || rc=$?
    UNIT_OUT+=$out$'\n'
    ((rc == 0)) || [[ $line == -* ]] || return "$rc"
  done < <(unit_values "$unit" "$key")
}

# unit_ok NAME NS UNIT KEY...: a check that the unit's KEY lines succeed.
unit_ok() {
  local name=$1 ns=$2 unit=$3 key rc
  shift 3
  for key in "$@"; do
    rc=0
    unit_run "$ns" "$unit" "$key" || rc=$?
    if ((rc != 0)); then
      fail "$name" "$key → exit status $rc" "$UNIT_OUT"
      return
    fi
  done
  ok "$name"
}

has_text() {
  if grep -qF -- "$2" <<<"$3"; then ok "$1"; else fail "$1" "no text: $2" "--- in:" "$3"; fi
}

table() { in_ns "$1" ipvsadm -Sn; }

# --- The units ----------------------------------------------------------------

for u in "$UNIT" "$SETUP_UNIT"; do
  exec_lines=$(unit_values "$u" ExecStartPre; unit_values "$u" ExecStart; unit_values "$u" ExecStop)
  if grep -q '[$;|&<>"`'"'"'\\]' <<<"$exec_lines"; then
    fail "${u##*/}: no shell in the Exec lines" "$exec_lines"
  else
    ok "${u##*/}: no shell in the Exec lines"
  fi
done
has_text "the unit runs the installed binary" "ExecStart=/usr/sbin/rsvsadm service start" "$(<"$UNIT")"

# --- A first boot: the first start has no rules file -------------------------

mkns_docnet d
unit_ok "start without a rules file succeeds" d "$UNIT" ExecStartPre ExecStart
has_text "... and says the table starts empty" "no rules file $RULES yet" "$UNIT_OUT"
check_eq "... and the table is empty" "" "$(table d)"

# --- Rules added, stop saves them, clear, start restores them identically -----

# Seeds 000 (NAT wrr), 004 (port mapping, timeouts), a DR and a TUN
# service, an IPv6 and a fwmark one with persistence; made with ipvsadm.
in_ns d bash -e <<'EOF'
ipvsadm -A -t 203.0.113.200:80 -s wrr
ipvsadm -a -t 203.0.113.200:80 -r 198.51.100.107:80 -m -w 2
ipvsadm -a -t 203.0.113.200:80 -r 198.51.100.110:80 -m -w 1
ipvsadm -A -t 198.51.100.58:8888 -s rr
ipvsadm -a -t 198.51.100.58:8888 -r 192.0.2.71:9999 -m
ipvsadm -a -t 198.51.100.58:8888 -r 192.0.2.72:9999 -m
ipvsadm --set 1 120 300
ipvsadm -A -t 203.0.113.10:80 -s wlc -p 600 -M 255.255.255.0
ipvsadm -a -t 203.0.113.10:80 -r 192.0.2.21 -g -w 5
ipvsadm -a -t 203.0.113.10:80 -r 192.0.2.22 -i -w 3 --tun-type gue --tun-port 6080
ipvsadm -A -u [2001:db8::53]:53 -s sh -b sh-port -o
ipvsadm -a -u [2001:db8::53]:53 -r [2001:db8::21]:5353 -m
ipvsadm -A -f 7 -s lc -p
ipvsadm -a -f 7 -r 192.0.2.41:443 -m -x 100 -y 10
EOF
BEFORE=$(table d)
TIMEOUTS=$(in_ns d ipvsadm -L --timeout)
THRESHOLDS=$(in_ns d ipvsadm -Ln --thresholds)
unit_ok "stop saves and clears" d "$UNIT" ExecStop
has_text "... says where it saved" "saved the IPVS rules to $RULES" "$UNIT_OUT"
check_eq "... the table is cleared" "" "$(table d)"
check_eq "... the rules file (and nothing else) is in /etc/rsvsadm" "rules" "$(ls -A /etc/rsvsadm)"
in_ns d ipvsadm --set 900 120 300
unit_ok "start restores" d "$UNIT" ExecStartPre ExecStart
check_eq "... the same rules (ipvsadm -Sn)" "$BEFORE" "$(table d)"
check_eq "... the same timeouts (ipvsadm -L --timeout)" "$TIMEOUTS" "$(in_ns d ipvsadm -L --timeout)"
check_eq "... the same thresholds (ipvsadm -Ln --thresholds)" "$THRESHOLDS" "$(in_ns d ipvsadm -Ln --thresholds)"

# The file is ipvsadm's format: Debian's ipvsadm-restore reads it.
mkns_docnet d2
in_ns d2 ipvsadm-restore <"$RULES"
check_eq "Debian's ipvsadm-restore reads the saved file" "$THRESHOLDS" "$(in_ns d2 ipvsadm -Ln --thresholds)"

printf '%s\n' "-a -t 198.51.100.58:8888 -r 192.0.2.73:9999 -m -w 4" >>"$RULES"
unit_ok "reload reads the file again" d "$UNIT" ExecReload
in_ns d2 ipvsadm-restore <"$RULES"
check_eq "... the table is the file's (as ipvsadm-restore reads it)" "$(table d2)" "$(table d)"

# --- The settings file --------------------------------------------------------

# Debian's rules file, as its init script saves it, named in the settings.
in_ns d2 bash -c '{ echo "# ipvsadm.rules"; ipvsadm -S -n; }' >"$NT_STATE/ipvsadm.rules"
DEBIAN=$(table d2)
cat >"$SETTINGS" <<EOF
# The distribution's file, and keep the table at stop
RSVSADM_RULES=$NT_STATE/ipvsadm.rules
RSVSADM_CLEAR_ON_STOP=no
EOF
unit_ok "start with RSVSADM_RULES=Debian's ipvsadm.rules" d "$UNIT" ExecStart
check_eq "... restores Debian's rules" "$DEBIAN" "$(table d)"
in_ns d ipvsadm -D -f 7
unit_ok "stop with RSVSADM_CLEAR_ON_STOP=no" d "$UNIT" ExecStop
check_eq "... keeps the table" "$(grep -v -- '-f 7 ' <<<"$DEBIAN")" "$(table d)"
check_eq "... and saved it to Debian's file" "$(table d)" "$(grep -v -e '^#' -e '^--set ' "$NT_STATE/ipvsadm.rules")"

echo "RSVSADM_SAVE_ON_STOP=no" >>"$SETTINGS"
cp "$NT_STATE/ipvsadm.rules" "$NT_STATE/saved"
in_ns d ipvsadm -C
in_ns d ipvsadm -A -t 192.0.2.99:80
unit_ok "stop with RSVSADM_SAVE_ON_STOP=no" d "$UNIT" ExecStop
check "... leaves the rules file alone" cmp "$NT_STATE/saved" "$NT_STATE/ipvsadm.rules"
rm "$SETTINGS"

# --- A bad rules file -----------------------------------------------------------

in_ns d ipvsadm -C
in_ns d ipvsadm -A -t 192.0.2.99:80
printf '%s\n' "# a comment" "-A -t 198.51.100.1:80 -s rr" "-a -t 198.51.100.1:80 -r 192.0.2.1 -w -1" >"$RULES"
rc=0
unit_run d "$UNIT" ExecStart || rc=$?
if ((rc != 0)); then ok "start fails on a bad rules file"; else fail "start fails on a bad rules file" "$UNIT_OUT"; fi
has_text "... naming the file and line" "$RULES:3: -a -t 198.51.100.1:80 -r 192.0.2.1 -w -1" "$UNIT_OUT"
has_text "... and the problem" "illegal weight specified" "$UNIT_OUT"
check_eq "... changing nothing" "-A -t 192.0.2.99:80 -s wlc" "$(table d)"

# --- The director setup unit ----------------------------------------------------

mkns_docnet s
unit_ok "setup-start without a saved setup succeeds" s "$SETUP_UNIT" ExecStart
has_text "... and says there is nothing to set up" "no saved setup /etc/rsvsadm/setup.conf yet" "$UNIT_OUT"
in_ns s "$RSVSADM" setup nat --masquerade 192.0.2.0/24 --interface eth0 >/dev/null
SETUP=$(in_ns s "$RSVSADM" setup save -)
has_text "the setup to persist" "nat --masquerade 192.0.2.0/24" "$SETUP"
unit_ok "setup-stop saves the setup" s "$SETUP_UNIT" ExecStop
check_eq "... to /etc/rsvsadm/setup.conf" "$SETUP" "$(</etc/rsvsadm/setup.conf)"
in_ns s "$RSVSADM" setup clear >/dev/null
check_eq "setup cleared" "0" "$(in_ns s "$RSVSADM" setup save - | grep -vc '^#' || true)"
unit_ok "setup-start restores it" s "$SETUP_UNIT" ExecStart
check_eq "... the same setup" "$SETUP" "$(in_ns s "$RSVSADM" setup save -)"
echo "RSVSADM_SETUP_CLEAR_ON_STOP=yes" >"$SETTINGS"
unit_ok "setup-stop with RSVSADM_SETUP_CLEAR_ON_STOP=yes" s "$SETUP_UNIT" ExecStop
check_eq "... saved it" "$SETUP" "$(</etc/rsvsadm/setup.conf)"
check_eq "... and removed it" "0" "$(in_ns s "$RSVSADM" setup save - | grep -vc '^#' || true)"
