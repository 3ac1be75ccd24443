#!/usr/bin/env bash
# The Debian package (pkg/build-deb) in place of Debian's ipvsadm: dpkg -i
# on a guest where ipvsadm is installed with saved rules (AUTO=true), then
# the boot-time start of rsvsadm.service finds those rules, the differential
# core tests pass against the *installed* /usr/sbin/ipvsadm (Debian's binary,
# copied first, is the reference), and removing and purging leave the IPVS
# table and everything that is not rsvsadm's as it was.
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
cp /usr/sbin/ipvsadm "$REF/ipvsadm"
DEB=$("$REPO/pkg/build-deb" --bin "$RSVSADM" --out "$NT_STATE/deb")

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

# --- the differential core tests against the installed names ------------------
IPVSADM=$REF/ipvsadm RSVSADM=/usr/sbin/ipvsadm bash "$NT_DIR/tests/10-core.sh" ||
  fail "10-core.sh against the installed /usr/sbin/ipvsadm exited non-zero"

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
