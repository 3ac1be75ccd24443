#!/usr/bin/env bash
# The boot-time promise, proven by systemd itself (netns-tests/systemd-test
# boots the guest twice on one state disk, with this script as each boot's
# job): boot1 installs the package, whose units start on a first boot
# without saved rules (active, not failed, the notice in the journal), then
# makes an LVS-NAT director (rsvsadm setup nat, services, destinations,
# timeouts); the poweroff saves it. boot2 finds both units active and the
# table and the setup exactly as they were, sees a unit that fails say why
# in `systemctl status`, and removes the package under systemd: the table
# stays. Transcripts go to the output (the host keeps them).
# shellcheck source=netns-tests/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# What boot1 saw, for boot2: on the state disk.
KEPT=/root/two-boot
UNITS=(rsvsadm.service rsvsadm-setup.service)

show() {
  printf '\n$ %s\n' "$*"
  "$@" 2>&1 || true
}

# The site's network, as an operator's network configuration provides it
# before network-online.target: the director's interface with the VIP and
# the real servers' network (NAT destinations need a route).
site_network() {
  cat >/etc/systemd/system/lab-net.service <<'UNIT'
[Unit]
Description=the test site's network (a dummy eth0)
Before=network-online.target
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip link add eth0 type dummy
ExecStart=/sbin/ip addr add 198.51.100.1/24 dev eth0
ExecStart=/sbin/ip addr add 192.0.2.1/24 dev eth0
ExecStart=/sbin/ip link set eth0 up
[Install]
WantedBy=network-online.target
UNIT
  systemctl enable --now lab-net.service
}

# active UNIT...: every UNIT active.
active() {
  local unit
  for unit in "$@"; do
    [[ $(systemctl is-active "$unit") == active ]] || return 1
  done
}

boot1() {
  site_network
  # The lab's host is a container image whose policy-rc.d forbids starting
  # services from maintainer scripts; a real machine has none.
  rm -f /usr/sbin/policy-rc.d
  # man-db's trigger would rebuild the whole man index under emulation.
  rm -f /var/lib/man-db/auto-update
  local deb
  deb=$(package_deb "$NT_STATE")
  check "dpkg -i the package under systemd" dpkg -i "$deb"
  check "both units enabled" systemctl is-enabled --quiet "${UNITS[@]}"
  check "first boot without saved rules: both units active" active "${UNITS[@]}"
  check "the notice is in the journal" grep -q 'no rules file /etc/rsvsadm/rules yet' \
    <(journalctl -b -u rsvsadm.service --no-pager)
  show systemctl status --no-pager "${UNITS[@]}"

  check "rsvsadm setup nat" rsvsadm setup nat --masquerade 192.0.2.0/24 --interface eth0
  check "services and destinations" bash -ec '
    ipvsadm -A -t 198.51.100.1:80 -s wrr
    ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.11:8080 -m -w 2
    ipvsadm -a -t 198.51.100.1:80 -r 192.0.2.12:8080 -m -w 1 -x 100 -y 50
    ipvsadm -A -u 198.51.100.1:53 -s sh -p 120
    ipvsadm -a -u 198.51.100.1:53 -r 192.0.2.21:53 -m
    ipvsadm --set 900 60 300'
  mkdir -p "$KEPT"
  ipvsadm -Sn >"$KEPT/Sn"
  { ipvsadm -Ln --thresholds && ipvsadm -Ln --timeout; } >"$KEPT/extras"
  rsvsadm setup show >"$KEPT/setup"
  show ipvsadm -Sn
  show rsvsadm setup show
}

boot2() {
  check "second boot: both units active" active "${UNITS[@]}"
  show systemctl status --no-pager "${UNITS[@]}"
  show ipvsadm -Sn
  check_eq "the IPVS table (-Sn) is what it was" "$(<"$KEPT/Sn")" "$(ipvsadm -Sn)"
  check_eq "thresholds and timeouts are what they were" "$(<"$KEPT/extras")" \
    "$(ipvsadm -Ln --thresholds && ipvsadm -Ln --timeout)"
  check_eq "the setup (setup show) is what it was" "$(<"$KEPT/setup")" "$(rsvsadm setup show)"

  # A unit that fails says why.
  systemctl stop rsvsadm.service
  cp /etc/rsvsadm/rules "$KEPT/rules"
  printf -- '-A -t 198.51.100.1:80 -s wrr\n-A -t 198.51.100.1:80 -s nosuch\n' >/etc/rsvsadm/rules
  check "a bad rules file: the unit fails" bash -c '! systemctl start rsvsadm.service'
  local status
  status=$(systemctl status --no-pager -n 20 rsvsadm.service 2>&1 || true)
  printf '\n$ systemctl status rsvsadm.service  (a bad rules file)\n%s\n' "$status"
  check "systemctl status says failed and why" bash -c \
    'grep -q "Active: failed" <<<"$1" && grep -q "/etc/rsvsadm/rules:2" <<<"$1"' _ "$status"
  cp "$KEPT/rules" /etc/rsvsadm/rules
  systemctl reset-failed rsvsadm.service
  check "the good rules again: active" systemctl start rsvsadm.service
  check_eq "the table is back" "$(<"$KEPT/Sn")" "$(ipvsadm -Sn)"

  # Removing the package stops the units without clearing anything.
  check "dpkg -r under systemd" dpkg -r --force-depends rsvsadm
  check_eq "removing leaves the IPVS table" "$(<"$KEPT/Sn")" "$(/run/lab/bin/rsvsadm -Sn)"
  check_eq "removing leaves the setup" "$(<"$KEPT/setup")" "$(/run/lab/bin/rsvsadm setup show)"
  check "the units are gone" bash -c '! systemctl is-active --quiet rsvsadm.service rsvsadm-setup.service'
}

case ${1:-} in
  boot1) boot1 ;;
  boot2) boot2 ;;
  *) echo "usage: $0 boot1|boot2" >&2; exit 2 ;;
esac
