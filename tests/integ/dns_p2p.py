#!/usr/bin/python3
"""p2p control messages inside the client's tunnel (docs/protocol/dataplane.md §5):
send AssignedIps on the WireGuard interface and wait for the DomainStatus
answer.  Run in the client namespace.

    dns_p2p.py IFACE RESOURCE DOMAIN IP[,IP...] [TIMEOUT]
    dns_p2p.py --goodbye IFACE
    dns_p2p.py --wait-goodbye IFACE TIMEOUT

Prints the DomainStatus JSON body; exit 0 if one came back, 1 otherwise.
--goodbye sends the p2p control event goodbye (type 2, empty body) to the
gateway; --wait-goodbye waits for the gateway's goodbye (exit 0 when it
came, printing after how many seconds; 1 otherwise).
"""
import json, select, socket, struct, sys, time

ETH_P_IPV6 = 0x86DD
ETH_P_ALL = 0x0003


def control_packet(event, body):
    payload = bytes([event]) + b"\0" * 7 + body
    # version 6, no class or flow label; next header 255, hop limit 0; :: -> ::
    hdr = struct.pack("!IHBB16s16s", 6 << 28, len(payload), 255, 0, b"\0" * 16, b"\0" * 16)
    return hdr + payload


def wait_goodbye(iface, timeout):
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    rx.bind((iface, 0))
    start = time.time()
    end = start + timeout
    while time.time() < end:
        r, _, _ = select.select([rx], [], [], max(0.0, end - time.time()))
        if not r:
            break
        pkt, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(pkt) != 48 or pkt[0] >> 4 != 6:
            continue
        if pkt[6] == 255 and pkt[8:40] == b"\0" * 32 and pkt[40:48] == b"\2" + b"\0" * 7:
            print("goodbye after %.2f s" % (time.time() - start))
            return 0
    print("no goodbye within %.1f s" % timeout)
    return 1


def main():
    if sys.argv[1] == "--goodbye":
        tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
        tx.sendto(control_packet(2, b""), (sys.argv[2], ETH_P_IPV6))
        return 0
    if sys.argv[1] == "--wait-goodbye":
        return wait_goodbye(sys.argv[2], float(sys.argv[3]))
    iface, resource, domain, ips = sys.argv[1:5]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0
    body = json.dumps({"resource": resource, "domain": domain,
                       "proxy_ips": [i for i in ips.split(",") if i]}, separators=(",", ":")).encode()
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    rx.bind((iface, 0))
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    # Re-sent every second while unanswered, as clients re-send it while
    # unconfirmed: the gateway rate-limits p2p control events per client.
    tx.sendto(control_packet(0, body), (iface, ETH_P_IPV6))
    end = time.time() + timeout
    resend = time.time() + 1.0
    while time.time() < end:
        r, _, _ = select.select([rx], [], [], max(0.0, min(end, resend) - time.time()))
        if not r:
            if time.time() >= resend:
                tx.sendto(control_packet(0, body), (iface, ETH_P_IPV6))
                resend = time.time() + 1.0
            continue
        pkt, addr = rx.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 48 or pkt[0] >> 4 != 6:
            continue
        if pkt[6] != 255 or pkt[8:40] != b"\0" * 32 or pkt[40] != 1:
            continue
        msg = json.loads(pkt[48:].decode())
        if msg.get("domain") == domain:
            print(json.dumps(msg, sort_keys=True))
            return 0
    print("no DomainStatus for %s" % domain)
    return 1


if __name__ == "__main__":
    sys.exit(main())
