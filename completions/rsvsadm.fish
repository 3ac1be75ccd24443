# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rsvsadm_global_optspecs
    string join \n A/add-service E/edit-service D/delete-service C/clear L/list Z/zero a/add-server e/edit-server d/delete-server set h/help v/version R/restore S/save start-daemon= stop-daemon= t/tcp-service= u/udp-service= sctp-service= f/fwmark-service= s/scheduler= p/persistent= M/netmask= r/real-server= m/masquerading i/ipip g/gatewaying w/weight= x/u-threshold= y/l-threshold= n/numeric c/connection mcast-interface= syncid= timeout daemon stats rate thresholds persistent-conn nosort sort X/exact 6/ipv6 o/ops pe= b/sched-flags= mcast-group= mcast-port= mcast-ttl= sync-maxlen= tun-info tun-type= tun-port= tun-nocsum tun-csum tun-remcsum json netns= sync dry-run drain=
end

function __fish_rsvsadm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rsvsadm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rsvsadm_using_subcommand
    set -l cmd (__fish_rsvsadm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l start-daemon -d 'start connection sync daemon' -r -f -a "master\t''
backup\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l stop-daemon -d 'stop connection sync daemon' -r -f -a "master\t''
backup\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s t -l tcp-service -d 'TCP service; service-address is host[:port]' -r -f -a "(__fish_print_hostnames)"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s u -l udp-service -d 'UDP service; service-address is host[:port]' -r -f -a "(__fish_print_hostnames)"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l sctp-service -d 'SCTP service; service-address is host[:port]' -r -f -a "(__fish_print_hostnames)"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s f -l fwmark-service -d 'firewall-mark service; fwmark is an integer greater than zero' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s s -l scheduler -d 'scheduling method, the default scheduler is wlc' -r -f -a "rr\t''
wrr\t''
lc\t''
wlc\t''
lblc\t''
lblcr\t''
dh\t''
sh\t''
sed\t''
nq\t''
fo\t''
ovf\t''
mh\t''
twos\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s p -l persistent -d 'persistent service' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s M -l netmask -d 'persistent granularity mask' -r -f
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s r -l real-server -d 'server-address is host (and port)' -r -f -a "(__fish_print_hostnames)"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s w -l weight -d 'capacity of real server' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s x -l u-threshold -d 'upper threshold of connections' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s y -l l-threshold -d 'lower threshold of connections' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l mcast-interface -d 'multicast interface for connection sync' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l syncid -d 'syncid for connection sync' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l pe -d 'alternate persistence engine' -r -f -a "sip\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s b -l sched-flags -d 'scheduler flags (comma-separated)' -r -f -a "flag-1\t''
flag-2\t''
flag-3\t''
sh-fallback\t''
sh-port\t''
mh-fallback\t''
mh-port\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l mcast-group -d 'IPv4/IPv6 group (default=224.0.0.81)' -r -f
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l mcast-port -d 'UDP port (default=8848)' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l mcast-ttl -d 'Multicast TTL (default=1)' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l sync-maxlen -d 'Max sync message length (default=1472)' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-type -d 'tunnel type, the default tunnel type is ipip' -r -f -a "ipip\t''
gue\t''
gre\t''"
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-port -d 'tunnel destination port' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l netns -d 'run in the named network namespace (as `ip -n`); comes first' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l drain -d 'with -R --sync: weight 0 for servers that go, then wait for their connections (default 60 s)' -r
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s A -l add-service -d 'add virtual service with options'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s E -l edit-service -d 'edit virtual service with options'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s D -l delete-service -d 'delete virtual service'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s C -l clear -d 'clear the whole table'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s L -l list -d 'list the table'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s Z -l zero -d 'zero counters in a service or all services'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s a -l add-server -d 'add real server with options'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s e -l edit-server -d 'edit real server with options'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s d -l delete-server -d 'delete real server'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l set -d 'set connection timeout values (tcp tcpfin udp)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s h -l help -d 'display this help message'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s v -l version -d 'display the version'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s R -l restore -d 'restore rules from stdin'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s S -l save -d 'save rules to stdout'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s m -l masquerading -d 'masquerading (NAT)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s i -l ipip -d 'ipip encapsulation (tunneling)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s g -l gatewaying -d 'gatewaying (direct routing) (default)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s n -l numeric -d 'numeric output of addresses and ports'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s c -l connection -d 'output of current IPVS connections'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l timeout -d 'output of timeout (tcp tcpfin udp)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l daemon -d 'output of daemon information'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l stats -d 'output of statistics information'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l rate -d 'output of rate information'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l thresholds -d 'output of thresholds information'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l persistent-conn -d 'output of persistent connection info'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l nosort -d 'disable sorting output of service/server entries'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l sort -d 'does nothing, for backwards compatibility'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s X -l exact -d 'expand numbers (display exact values)'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s 6 -l ipv6 -d 'fwmark entry uses IPv6'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -s o -l ops -d 'one-packet scheduling'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-info -d 'output of tunnel information'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-nocsum -d 'tunnel encapsulation without checksum'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-csum -d 'tunnel encapsulation with checksum'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l tun-remcsum -d 'tunnel encapsulation with remote checksum'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l json -d 'with -L: the listing as one JSON document (see rsvsadm(8))'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l sync -d 'with -R: change the table to the rules with the fewest changes, undone if one fails'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -l dry-run -d 'with -R --sync: print the changes as rules instead of making them'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -a "setup" -d 'Prepare this host as a director (nat, fullnat) or a real server'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -a "check" -d 'Inspect this director and report each mistake with a fix'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -a "service" -d 'What the systemd units run: restore at boot, save at stop'
complete -c rsvsadm -n "__fish_rsvsadm_needs_command" -a "metrics" -d 'The IPVS table as Prometheus text: per service and per destination counters, rates, connections and weights (names in docs/metrics.md)'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "nat" -d 'NAT director: IP forwarding on, ICMP redirects off, masquerading'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "fullnat" -d 'FULLNAT on a stock kernel: NAT plus source NAT to local addresses'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "realserver" -d 'Real server for DR or TUN: the VIP on lo or on a tunnel'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "show" -d 'What rsvsadm manages on this host'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "clear" -d 'Remove every rule, address and interface rsvsadm installed'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "save" -d 'Write the recorded setup as commands, for `setup restore`'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and not __fish_seen_subcommand_from nat fullnat realserver show clear save restore" -f -a "restore" -d 'Apply the setup commands of a file (as written by `setup save`)'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from nat" -l masquerade -d 'Masquerade traffic from this network (the real servers\') leaving the director; repeatable' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from nat" -s i -l interface -d 'Also turn off ICMP redirects on this interface; repeatable' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from nat" -l firewall -d 'Firewall for the NAT rules (auto: nftables if `nft` exists)' -r -f -a "auto\t'nftables when the `nft` tool exists, else iptables'
nft\t''
iptables\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from nat" -l dry-run -d 'Print what would be changed, change nothing'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -s t -l tcp-service -d 'TCP virtual service' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -s u -l udp-service -d 'UDP virtual service' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -l sctp-service -d 'SCTP virtual service' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -l laddr -d 'Local address of this director the forwarded connections come from; repeat it to spread connections over several' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -l firewall -d 'Firewall for the NAT rules (auto: nftables if `nft` exists)' -r -f -a "auto\t'nftables when the `nft` tool exists, else iptables'
nft\t''
iptables\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -l delete -d 'Remove this service\'s FULLNAT rule instead'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from fullnat" -l dry-run -d 'Print what would be changed, change nothing'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from realserver" -l vip -d 'Virtual IP address this real server answers for; repeatable' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from realserver" -l mode -d 'How the director forwards to this server' -r -f -a "dr\t'Direct routing (`-g`): the VIP on `lo`'
tun\t'IP-in-IP tunnelling (`-i`): the VIP on a decapsulating tunnel'"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from realserver" -l firewall -d 'Firewall for the NAT rules (auto: nftables if `nft` exists)' -r -f -a "auto\t'nftables when the `nft` tool exists, else iptables'
nft\t''
iptables\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from realserver" -l dry-run -d 'Print what would be changed, change nothing'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from clear" -l dry-run -d 'Print what would be removed, remove nothing'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from restore" -l firewall -d 'Firewall for the NAT rules (auto: nftables if `nft` exists)' -r -f -a "auto\t'nftables when the `nft` tool exists, else iptables'
nft\t''
iptables\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand setup; and __fish_seen_subcommand_from restore" -l dry-run -d 'Print what would be changed, change nothing'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand check" -l syn-wait -d 'Seconds between the two looks at the connection table that tell a stuck handshake from one in progress' -r
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and not __fish_seen_subcommand_from start stop setup-start setup-stop" -f -a "start" -d 'Make the IPVS table what the rules file says (no file yet: an empty table)'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and not __fish_seen_subcommand_from start stop setup-start setup-stop" -f -a "stop" -d 'Save the IPVS table to the rules file, then clear the table'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and not __fish_seen_subcommand_from start stop setup-start setup-stop" -f -a "setup-start" -d 'Apply the saved director setup (no file yet: nothing to do)'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and not __fish_seen_subcommand_from start stop setup-start setup-stop" -f -a "setup-stop" -d 'Save the director setup to its file'
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from start" -l rules -d 'The rules file (/etc/ipvsadm.rules and /etc/sysconfig/ipvsadm, as Debian\'s and RHEL\'s ipvsadm keep them, work too)' -r -F
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from stop" -l rules -d 'The rules file (/etc/ipvsadm.rules and /etc/sysconfig/ipvsadm, as Debian\'s and RHEL\'s ipvsadm keep them, work too)' -r -F
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from stop" -l save-on-stop -d 'Save the table to the rules file' -r -f -a "yes\t''
no\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from stop" -l clear-on-stop -d 'Clear the table (after saving it)' -r -f -a "yes\t''
no\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from setup-start" -l setup-file -d 'The saved director setup, as `rsvsadm setup save` writes it' -r -F
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from setup-stop" -l setup-file -d 'The saved director setup, as `rsvsadm setup save` writes it' -r -F
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from setup-stop" -l save-on-stop -d 'Save the setup in place to the setup file' -r -f -a "yes\t''
no\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand service; and __fish_seen_subcommand_from setup-stop" -l clear-on-stop -d 'Remove the setup (`rsvsadm setup clear`) after saving it' -r -f -a "yes\t''
no\t''"
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand metrics" -l textfile -d 'Write into PATH through PATH.tmp and a rename instead of stdout (for node_exporter\'s textfile collector: PATH ends in .prom)' -r -F
complete -c rsvsadm -n "__fish_rsvsadm_using_subcommand metrics" -l openmetrics -d 'Write OpenMetrics 1.0 text instead of Prometheus text 0.0.4'
