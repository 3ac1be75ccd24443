#!/usr/bin/env bash
# The Debian package (pkg/build-deb) in place of Debian's ipvsadm: dpkg -i
# on a guest where ipvsadm is installed with saved rules (AUTO=true), then
# the boot-time start of rsvsadm.service finds those rules, each name the
# package installs (ipvsadm, ipvsadm-save, ipvsadm-restore) does what
# Debian's does (Debian's binary and scripts, copied first, are the
# reference), and removing and purging leave the IPVS table and everything
# that is not rsvsadm's as it was. (The package holds the binary the other
# files test in full: here the names are under test, not every command.)
#
# dpkg changes /usr, /etc and /var: the test runs in its own mount namespace
# where those are overlays in guest memory, gone when it exits.
if [[ -z ${NT_PKG_PRIVATE:-} ]]; then
  exec unshare --mount --propagation private env NT_PKG_PRIVATE=1 bash "$0" "$@"
fi
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

OVL=$(mktemp -d /tmp/nt-pkg-ovl.XXXXXX)
for dir in usr etc var; do
  mkdir -p "$OVL/$dir/upper" "$OVL/$dir/work"
  mount -t overlay overlay \
    -o "lowerdir=/$dir,upperdir=$OVL/$dir/upper,workdir=$OVL/$dir/work" "/$dir"
done
on_exit "umount -l /usr /etc /var; rm -rf '$OVL'"
# man-db's trigger would rebuild the whole man index under emulation.
rm -f /var/lib/man-db/auto-update

REF=$NT_STATE/ref
mkdir -p "$REF"
cp /usr/sbin/ipvsadm /usr/sbin/ipvsadm-save /usr/sbin/ipvsadm-restore "$REF/"
# Debian's scripts run the first ipvsadm on their PATH: make it the copy.
sed -i "s|^PATH=|PATH=$REF:|" "$REF/ipvsadm-save" "$REF/ipvsadm-restore"
DEB=$(package_deb "$NT_STATE/deb")

# pkg_status PKG: dpkg's word for it (installed, config-files, not-installed).
pkg_status() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || echo not-installed; }

# --- Debian's ipvsadm, with rules saved the Debian way ------------------------
mkns_docnet d
sed -i 's/^AUTO=.*/AUTO="true"/' /etc/default/ipvsadm
in_ns d bash -e <<'EOF'
ipvsadm -A -t 198.51.100.1:80 -s wrr
ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 2
ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.12:8080 -m -w 1
ipvsadm -A -u [2001:db8::53]:53 -s sh -p 60
ipvsadm -a -u [2001:db8::53]:53 -r [2001:db8::21]:53 -m
/etc/init.d/ipvsadm save
EOF
SAVED=$(in_ns d "$REF/ipvsadm" -Sn)
SAVED_FILE=$(</etc/ipvsadm.rules)

# --- dpkg -i ------------------------------------------------------------------
# In the namespace: ipvsadm's prerm runs its init script's stop there.
check "dpkg -i replaces ipvsadm" in_ns d dpkg -i "$DEB"
check_eq "rsvsadm installed, ipvsadm removed" "installed config-files" \
  "$(pkg_status rsvsadm) $(pkg_status ipvsadm)"
check_eq "/usr/sbin/ipvsadm is rsvsadm" /usr/sbin/rsvsadm "$(readlink -f /usr/sbin/ipvsadm)"
check_eq "the rules Debian's ipvsadm saved are rsvsadm.service's" "$SAVED_FILE" \
  "$(cat /etc/rsvsadm/rules 2>&1)"
check_eq "both units enabled" "rsvsadm-setup.service rsvsadm.service" \
  "$(cd /etc/systemd/system/multi-user.target.wants && ls rsvsadm*.service | xargs)"
check_eq "ipvsadm's leftover init script is masked" /dev/null \
  "$(readlink /etc/systemd/system/ipvsadm.service)"
check_eq "/etc/default/rsvsadm is a conffile" /etc/default/rsvsadm \
  "$(dpkg-query -W -f='${Conffiles}\n' rsvsadm | awk 'NF { print $1 }')"

# The first boot after the switch: what rsvsadm.service runs, with its
# settings file, on a table ipvsadm's stop cleared.
in_ns d "$REF/ipvsadm" -C
boot_start() {
  in_ns d bash -c 'set -a; . /etc/default/rsvsadm; exec /usr/sbin/rsvsadm service start'
}
check "rsvsadm.service's start at the first boot" boot_start
check_eq "the table is the one ipvsadm saved" "$SAVED" "$(in_ns d "$REF/ipvsadm" -Sn)"

# --- the installed names, each against Debian's --------------------------------
# The same build: stripping keeps the GNU build ID.
build_id() { readelf -n "$1" | sed -n 's/^ *Build ID: //p'; }
check_eq "the package's rsvsadm is the binary under test (its build ID)" \
  "$(build_id "$RSVSADM")" "$(build_id /usr/sbin/rsvsadm)"
(
  # As ipvsadm: changes, listings, usage and errors.
  IPVSADM=$REF/ipvsadm RSVSADM=/usr/sbin/ipvsadm
  unset _NT_PROG_NAMES
  compat_apply "/usr/sbin/ipvsadm: a table made, edited and listed" <<'EOF'
-A -t 198.51.100.1:80 -s wrr
-a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 2
-a -t 198.51.100.1:80 -r 192.0.2.12:8080 -g -w 1
-A -u [2001:db8::53]:53 -s sh -p 60
-a -u [2001:db8::53]:53 -r [2001:db8::21]:53 -m
-A -f 7 -s rr
-a -f 7 -r 192.0.2.21:0 -i
-E -t 198.51.100.1:80 -s rr -p 300
-e -t 198.51.100.1:80 -r 192.0.2.12:8080 -m -w 5
-d -u [2001:db8::53]:53 -r [2001:db8::21]:53
-A -t 198.51.100.1:80 -s rr
-a -t 198.51.100.9:80 -r 192.0.2.11:80 -m
--set 900 120 300
-L --timeout
EOF
  compat_each d <<'EOF'
-Ln
-L
-h
-A -t 198.51.100.1:80 -s
--bogus
EOF
)
(
  # As ipvsadm-save: Debian's script's output, usage error included.
  IPVSADM=$REF/ipvsadm-save RSVSADM=/usr/sbin/ipvsadm-save
  unset _NT_PROG_NAMES
  compat_each d <<'EOF'
-n
-x
EOF
)
# As ipvsadm-restore (which flushes first): Debian's script's table.
mkns_docnet r1 r2
in_ns r1 "$REF/ipvsadm" -A -t 203.0.113.1:80 -s rr
in_ns r2 "$REF/ipvsadm" -A -t 203.0.113.1:80 -s rr
printf '# a comment\n%s\n' "$SAVED" >"$NT_STATE/saved.rules"
in_ns r1 "$REF/ipvsadm-restore" <"$NT_STATE/saved.rules"
in_ns r2 /usr/sbin/ipvsadm-restore <"$NT_STATE/saved.rules"
check_eq "/usr/sbin/ipvsadm-restore makes the table Debian's makes" \
  "$(in_ns r1 "$REF/ipvsadm" -Sn)" "$(in_ns r2 "$REF/ipvsadm" -Sn)"
check_eq "... which is the saved one" "$SAVED" "$(in_ns r2 "$REF/ipvsadm" -Sn)"

# --- remove, then purge -------------------------------------------------------
# --force-depends: packages that depend on ipvsadm (ldirectord on the lab's
# host) are satisfied by rsvsadm's Provides, and dpkg would keep it for them.
check "dpkg -r rsvsadm" in_ns d dpkg -r --force-depends rsvsadm
check_eq "removing leaves the IPVS table" "$SAVED" "$(in_ns d "$REF/ipvsadm" -Sn)"
check_eq "removed: the binary and the names are gone" "" \
  "$(ls /usr/sbin/rsvsadm /usr/sbin/ipvsadm /lib/systemd/system/rsvsadm.service 2>/dev/null)"
check_eq "removed: settings and rules stay" "/etc/default/rsvsadm /etc/rsvsadm/rules" \
  "$(ls /etc/default/rsvsadm /etc/rsvsadm/rules 2>&1 | xargs)"
check_eq "removed: ipvsadm's init script is no longer masked" "" \
  "$(ls /etc/systemd/system/ipvsadm.service 2>/dev/null)"
check "dpkg -P rsvsadm" in_ns d dpkg -P --force-depends rsvsadm
check_eq "purged: rsvsadm is not installed" not-installed "$(pkg_status rsvsadm)"
check_eq "purged: none of rsvsadm's files is left" "" \
  "$(ls -d /etc/default/rsvsadm /etc/rsvsadm /etc/systemd/system/*/rsvsadm*.service 2>/dev/null)"
check_eq "purged: ipvsadm's settings are untouched" 'AUTO="true"' \
  "$(grep '^AUTO=' /etc/default/ipvsadm)"
check_eq "purged: the IPVS table is still there" "$SAVED" "$(in_ns d "$REF/ipvsadm" -Sn)"
