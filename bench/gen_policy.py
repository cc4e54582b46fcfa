#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A policy of N containers on docker0 (10.0.0.2, 10.0.0.3, ...) with L
one-way tcp links each (container i to i+1 .. i+L, port 5000+k), for
measuring at scale:

  bench/gen_policy.py 10000 10 > /tmp/p10000.conf

Options (bench/run uses them; each keeps the links otherwise the same):

  --change            the first link's port is 6001 instead of 5001: a
                      second policy that differs from the first in one link
  --last I,J,PORT     the link cI -> cJ tcp/PORT comes last in the list;
                      any generated link from cI to cJ is left out, so the
                      number of links stays the same when PORT is one of
                      the generated ones
  --format icc        (default) the policy
  --format iptables   the same links as a Docker-style iptables-restore
                      file: an ESTABLISHED rule, one FORWARD rule per link,
                      a DROP at the end
  --format nft-linear the same links as one nft rule each in a linear
                      forward chain of its own table (`table inet linear`)
  --subnet CIDR, --first ADDR, --uplink IF ("" for none), --prefix NAME
                      where the generated containers live and what they
                      are called (default 10.0.0.0/8, 10.0.0.2, eth0, c)
  --include-containers FILE, --include-links FILE
                      lines appended to the containers and the links (a
                      link's trailing comma is dropped; bench/event-latency.sh
                      adds its named containers this way)
"""
import argparse
import ipaddress


def gen_links(n, per, change, last):
    """(from, to, port) triples in policy order."""
    links = [(i, (i + k) % n, 5000 + k)
             for i in range(n) for k in range(1, per + 1) if (i + k) % n != i]
    if change and links:
        a, b, _ = links[0]
        links[0] = (a, b, 6001)
    if last:
        a, b, port = last
        links = [ln for ln in links if (ln[0], ln[1]) != (a, b)]
        links.append((a, b, port))
    return links


def read_lines(path):
    if not path:
        return []
    with open(path) as f:
        return [ln.rstrip("\n") for ln in f if ln.strip()]


def icc_policy(a, addr, links):
    uplink = ' uplink = "%s";' % a.uplink if a.uplink else ""
    out = ["version = 1;",
           'bridges = ( { name = "docker0"; subnet = "%s";%s } );' % (a.subnet, uplink),
           "containers = {"]
    for i in range(a.n):
        out.append('  %s%d = { bridge = "docker0"; ip = "%s"; };' % (a.prefix, i, addr(i)))
    out += read_lines(a.include_containers)
    out.append("};")
    body = ['  { from = "%s%d"; to = "%s%d"; ports = [ "tcp/%d" ]; }'
            % (a.prefix, i, a.prefix, j, p) for i, j, p in links]
    body += [ln.rstrip(",") for ln in read_lines(a.include_links)]
    out.append("links = (")
    out.append(",\n".join(body))
    out.append(");")
    return out


def iptables_rules(addr, links):
    out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD ACCEPT [0:0]",
           ":OUTPUT ACCEPT [0:0]",
           "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]
    out += ["-A FORWARD -s %s/32 -d %s/32 -p tcp -m tcp --dport %d -j ACCEPT"
            % (addr(i), addr(j), p) for i, j, p in links]
    out += ["-A FORWARD -j DROP", "COMMIT"]
    return out


def nft_linear(addr, links):
    out = ["table inet linear {",
           "\tchain forward {",
           "\t\ttype filter hook forward priority filter; policy accept;",
           "\t\tct state established,related accept"]
    out += ["\t\tip saddr %s ip daddr %s tcp dport %d accept" % (addr(i), addr(j), p)
            for i, j, p in links]
    out += ["\t\tdrop", "\t}", "}"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("per", type=int, nargs="?", default=10)
    ap.add_argument("--change", action="store_true")
    ap.add_argument("--last")
    ap.add_argument("--format", choices=("icc", "iptables", "nft-linear"), default="icc")
    ap.add_argument("--subnet", default="10.0.0.0/8")
    ap.add_argument("--first")
    ap.add_argument("--uplink", default="eth0")
    ap.add_argument("--prefix", default="c")
    ap.add_argument("--include-containers")
    ap.add_argument("--include-links")
    a = ap.parse_args()
    net = ipaddress.ip_network(a.subnet)
    first = ipaddress.ip_address(a.first) if a.first else net.network_address + 2
    if first + a.n > net.broadcast_address:
        ap.error("%d containers from %s do not fit in %s" % (a.n, first, net))
    last = tuple(int(x) for x in a.last.split(",")) if a.last else None
    if last and (len(last) != 3 or max(last[:2]) >= a.n):
        ap.error("--last I,J,PORT with I and J below N")

    def addr(i):
        return str(first + i)

    links = gen_links(a.n, a.per, a.change, last)
    if a.format == "iptables":
        out = iptables_rules(addr, links)
    elif a.format == "nft-linear":
        out = nft_linear(addr, links)
    else:
        out = icc_policy(a, addr, links)
    print("\n".join(out))


if __name__ == "__main__":
    main()
