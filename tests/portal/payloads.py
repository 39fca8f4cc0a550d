#!/usr/bin/python3
"""Payload builders for the portal emulator (portal -> gateway events).

Every function returns a plain dict: the *payload* of one push on topic
"gateway" (see docs/protocol/portal.md, section 2).  Keys the
spec marks "key required, may be null" (expires_at) are always present.

Used as a module (emulator.py, Python checkers) and as a command line tool
that prints one payload as JSON, so shell tests can build them:

    payloads.py init ipv4=100.64.0.7 relays='[...]'
    payloads.py turn_relay addr=127.0.0.1:3478 secret=s3cret
    payloads.py authorize_flow client_id=... resource="$(payloads.py cidr_resource address=10.0.0.0/24)"
    payloads.py list                       # the builders and their arguments

Arguments are NAME=VALUE; VALUE is parsed as JSON when it parses, else it is
taken as a string.  `frame EVENT PAYLOAD` wraps a payload into a whole push.
"""

import base64
import hashlib
import inspect
import json
import os
import sys
import time
import uuid

# The made-up values of the spec's table (section "Conventions").
FIREZONE_ID = "7c3f2a9e-4b1d-4e8a-9f60-2d5b8c1e0a37"
GATEWAY_PUBLIC_KEY = "Vkxt97L+ElJY4+u1Vw3mXOwAcqfBWawRG9u6g+FoqBA="
GATEWAY_ID = "5f1d2c3b-8a9e-4f70-b6c5-d4e3f2a1b0c9"
CLIENT_ID = "0e9a6c1f-5d2b-4a7e-8c33-9b1f4d6a2e58"
CLIENT_PUBLIC_KEY = "NsBu8PPyp+ceUUu1tjrSqdkX0wT1GxoDSKsU6Ya1tV8="
PRESHARED_KEY = "Iz7fpYyEhHcS6RFXJTOQfcRnccKvAizqB2a0ItRPMeU="
TOKEN = ".SFMyNTY.EXAMPLEPAYLOAD.EXAMPLESIGNATURE"
ACTOR_ID = "d4e5f6a7-2222-4333-8444-555566667777"

DEFAULT_IPV4 = "100.64.0.7"
DEFAULT_IPV6 = "fd00:2021:1111::7"
DEFAULT_CLIENT_IPV4 = "100.70.1.9"
DEFAULT_CLIENT_IPV6 = "fd00:2021:1111::1:9"
RELAY_SECRET = "emulator-relay-secret"
RELAY_TTL = 14 * 24 * 3600


# ---------------------------------------------------------------- helpers

def new_uuid():
    return str(uuid.uuid4())


def random_key():
    """32 random bytes, standard base64 with padding (a valid Key)."""
    return base64.b64encode(os.urandom(32)).decode()


def external_id(firezone_id):
    """What the gateway sends as external_id for a FIREZONE_ID (section 1.1)."""
    return hashlib.sha256(firezone_id.encode()).hexdigest()


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_ref(tag="ref"):
    """An opaque reply ref shaped like the portal's Plug.Crypto.sign output."""
    body = _b64url(("%s:%s:%d" % (tag, uuid.uuid4(), time.time_ns())).encode())
    sig = _b64url(hashlib.sha256(body.encode()).digest())
    return "SFMyNTY.%s.%s" % (body, sig)


def turn_credentials(expires_at, secret=RELAY_SECRET, salt=None):
    """The portal's TURN REST credentials (section 2.0, Relay): username
    "<expires_at>:<salt>", password = unpadded base64 of
    SHA-256("<expires_at>:<secret>:<salt>").  coturn's use-auth-secret
    scheme is different (HMAC-SHA1); pass username/password explicitly to
    turn_relay() for a real coturn."""
    if salt is None:
        salt = _b64url(os.urandom(16))
    username = "%d:%s" % (expires_at, salt)
    digest = hashlib.sha256(("%d:%s:%s" % (expires_at, secret, salt)).encode()).digest()
    return username, base64.b64encode(digest).decode().rstrip("=")


def coturn_credentials(expires_at, secret, user="firezone"):
    """TURN REST credentials as coturn's static-auth-secret checks them:
    username "<expires_at>:<user>", password base64(HMAC-SHA1(secret, username))."""
    import hmac
    username = "%d:%s" % (expires_at, user)
    mac = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(mac).decode()


def ice_credentials(client_id=CLIENT_ID, client_public_key=CLIENT_PUBLIC_KEY,
                    gateway_id=GATEWAY_ID, gateway_public_key=GATEWAY_PUBLIC_KEY):
    """The portal's derivation (section 2.3): base32(sha256(...)) lowercase,
    no padding; [0:4] client user, [4:26] client pwd, [26:30] gateway user,
    [30:] gateway pwd.  Returns (client_creds, gateway_creds)."""
    s = "%s:%s:%s:%s" % (client_id, client_public_key, gateway_id, gateway_public_key)
    b = base64.b32encode(hashlib.sha256(s.encode()).digest()).decode().lower().rstrip("=")
    return ({"username": b[0:4], "password": b[4:26]},
            {"username": b[26:30], "password": b[30:]})


# ---------------------------------------------------------------- values

def tcp_filter(port_range_start=None, port_range_end=None):
    f = {"protocol": "tcp"}
    if port_range_start is not None:
        f["port_range_start"] = port_range_start
    if port_range_end is not None:
        f["port_range_end"] = port_range_end
    return f


def udp_filter(port_range_start=None, port_range_end=None):
    f = tcp_filter(port_range_start, port_range_end)
    f["protocol"] = "udp"
    return f


def icmp_filter():
    return {"protocol": "icmp"}


def cidr_resource(address="10.10.0.0/16", id=None, name=None, filters=None):
    return {"id": id or new_uuid(), "type": "cidr", "name": name or address,
            "address": address, "filters": filters if filters is not None else []}


def dns_resource(address="app.example.com", id=None, name=None, filters=None):
    return {"id": id or new_uuid(), "type": "dns", "name": name or address,
            "address": address, "filters": filters if filters is not None else []}


def internet_resource(id=None):
    return {"id": id or new_uuid(), "type": "internet"}


def turn_relay(addr="127.0.0.1:3478", id=None, username=None, password=None,
               expires_at=None, secret=RELAY_SECRET, coturn_secret=None):
    """One TURN entry.  Give username/password, or coturn_secret for
    credentials a coturn with static-auth-secret accepts, or nothing for
    portal-style credentials (secret)."""
    if expires_at is None:
        expires_at = int(time.time()) + RELAY_TTL
    if username is None or password is None:
        if coturn_secret is not None:
            u, p = coturn_credentials(expires_at, coturn_secret)
        else:
            u, p = turn_credentials(expires_at, secret)
        username = u if username is None else username
        password = p if password is None else password
    return {"id": id or new_uuid(), "type": "turn", "addr": addr,
            "username": username, "password": password, "expires_at": expires_at}


def stun_relay(addr="127.0.0.1:3478", id=None):
    return {"id": id or new_uuid(), "type": "stun", "addr": addr}


def dual_stack_relay(addr4="127.0.0.1:3478", addr6="[::1]:3478", id=None, **kw):
    """The portal's form of one relay with two addresses: two consecutive
    turn entries with the same id, IPv4 first."""
    rid = id or new_uuid()
    return [turn_relay(addr4, id=rid, **kw), turn_relay(addr6, id=rid, **kw)]


# ---------------------------------------------------------------- events

def init(ipv4=DEFAULT_IPV4, ipv6=DEFAULT_IPV6, relays=None,
         ipv4_masquerade_enabled=True, ipv6_masquerade_enabled=True,
         omit_relays=False, authorizations=None, account_slug=None, flow_logs=None):
    """Section 2.1.  relays=None means [] (an init with no TURN servers);
    omit_relays=True leaves the key out (accepted by the gateway).
    Today's portal adds authorizations (a list of authorization() entries;
    None leaves the key out, which is not the same as []), account_slug
    and flow_logs (both optional for the gateway)."""
    p = {"interface": {"ipv4": ipv4, "ipv6": ipv6},
         "config": {"ipv4_masquerade_enabled": ipv4_masquerade_enabled,
                    "ipv6_masquerade_enabled": ipv6_masquerade_enabled}}
    if not omit_relays:
        p["relays"] = relays if relays is not None else []
    if account_slug is not None:
        p["account_slug"] = account_slug
    if authorizations is not None:
        p["authorizations"] = authorizations
    if flow_logs is not None:
        p["flow_logs"] = flow_logs
    return p


def authorization(client_id=CLIENT_ID, resource_id=None, expires_at=None):
    """One entry of today's init.authorizations, and the payload of
    access_authorization_expiry_updated (portals of 2025-07 to 2026-06)."""
    return {"client_id": client_id, "resource_id": resource_id or new_uuid(),
            "expires_at": expires_at if expires_at is not None else int(time.time()) + 3600}


def flow_logs_config():
    """init.flow_logs of today's portal (the gateway ignores it)."""
    return {"api_url": "https://flow-api.firezone.dev/", "upload_interval_secs": 60,
            "upload_batch_size": 1000}


def relays_presence(disconnected_ids=None, connected=None):
    """Section 2.2."""
    return {"disconnected_ids": disconnected_ids or [], "connected": connected or []}


def client_obj(id=CLIENT_ID, public_key=CLIENT_PUBLIC_KEY, preshared_key=None,
               ipv4=DEFAULT_CLIENT_IPV4, ipv6=DEFAULT_CLIENT_IPV6):
    return {"id": id, "public_key": public_key,
            "preshared_key": preshared_key or random_key(),
            "ipv4": ipv4, "ipv6": ipv6}


def authorize_flow(client_id=CLIENT_ID, client_public_key=CLIENT_PUBLIC_KEY,
                   preshared_key=None, client_ipv4=DEFAULT_CLIENT_IPV4,
                   client_ipv6=DEFAULT_CLIENT_IPV6, resource=None,
                   client_ice_credentials=None, gateway_ice_credentials=None,
                   gateway_id=GATEWAY_ID, gateway_public_key=GATEWAY_PUBLIC_KEY,
                   expires_at=None, ref=None, flow_id=None, actor_id=ACTOR_ID):
    """Section 2.3.  ICE credentials default to the portal's derivation
    from the two ids and keys (so they are stable for a key pair, as with
    the real portal).  expires_at=None is sent as null (never expires);
    pass an integer for an expiry."""
    cc, gc = ice_credentials(client_id, client_public_key, gateway_id, gateway_public_key)
    return {
        "ref": ref or make_ref("authorize_flow"),
        "flow_id": flow_id or new_uuid(),
        "actor": {"id": actor_id},
        "resource": resource if resource is not None else cidr_resource(),
        "client": client_obj(client_id, client_public_key, preshared_key,
                             client_ipv4, client_ipv6),
        "client_ice_credentials": client_ice_credentials or cc,
        "gateway_ice_credentials": gateway_ice_credentials or gc,
        "expires_at": expires_at,
    }


def create_authorization(client_id=CLIENT_ID, client_public_key=CLIENT_PUBLIC_KEY,
                         preshared_key=None, client_ipv4=DEFAULT_CLIENT_IPV4,
                         client_ipv6=DEFAULT_CLIENT_IPV6, resource=None,
                         client_ice_credentials=None, gateway_ice_credentials=None,
                         gateway_id=GATEWAY_ID, gateway_public_key=GATEWAY_PUBLIC_KEY,
                         expires_at=None, ref=None, actor_id=ACTOR_ID, use_iceless=False):
    """Today's push on /gateway/v2/websocket: authorize_flow's payload
    without flow_id and actor, with the informational client fields,
    subject, use_iceless and flow_logs_ingest_token.  expires_at defaults to
    one hour from now (today's portal always sends one)."""
    p = authorize_flow(client_id, client_public_key, preshared_key, client_ipv4, client_ipv6,
                       resource, client_ice_credentials, gateway_ice_credentials, gateway_id,
                       gateway_public_key, expires_at if expires_at is not None else int(time.time()) + 3600,
                       ref or make_ref("create_authorization"))
    del p["flow_id"]
    del p["actor"]
    p["client"].update({"version": "1.5.11", "device_serial": None, "device_os_name": "Linux",
                        "device_os_version": "6.1", "device_uuid": None,
                        "firebase_installation_id": None, "identifier_for_vendor": None})
    p["subject"] = {"actor_id": actor_id, "actor_name": "Jane Doe", "actor_email": "jane@example.com",
                    "actor_type": "account_user", "auth_provider_id": None, "ip": "198.51.100.7",
                    "ip_region": "BE", "ip_city": "Brussels", "ip_lat": 50.85, "ip_lon": 4.35,
                    "user_agent": "Linux/6.1 headless-client/1.5.11"}
    p["use_iceless"] = use_iceless
    p["flow_logs_ingest_token"] = None
    return p


# The pushes of the 2024 protocol that today's portal replaced, and what it
# sends instead (the emulator's --v1-compat, docs/portal-today.md).
TODAY_PUSHES = {"authorize_flow": "create_authorization"}
# The legacy pushes today's portal never sends to a gateway reporting 1.6.
LEGACY_ONLY_PUSHES = ("request_connection", "allow_access", "access_authorization_expiry_updated")


def today_push(event, payload):
    """The push today's portal sends for the 2024 push EVENT with PAYLOAD:
    (event, payload).  authorize_flow becomes create_authorization with the
    same flow (ref, resource, client keys and addresses, ICE credentials),
    without flow_id and actor, with the informational client fields, the
    subject, use_iceless false and no flow-log token; a null expires_at (the
    2024 "never") becomes one day from now, since today's portal always sends
    an integer.  reject_access loses flow_id.  Other events are returned as
    they are; ValueError for the legacy-only pushes."""
    if event in LEGACY_ONLY_PUSHES:
        raise ValueError("today's portal never sends %s to a gateway on /gateway/v2/websocket" % event)
    if not isinstance(payload, dict):
        return event, payload
    if event == "reject_access":
        return event, {k: v for k, v in payload.items() if k != "flow_id"}
    if event != "authorize_flow":
        return event, payload
    p = json.loads(json.dumps(payload))
    p.pop("flow_id", None)
    actor = p.pop("actor", None)
    actor_id = actor.get("id", ACTOR_ID) if isinstance(actor, dict) else ACTOR_ID
    c = create_authorization(actor_id=actor_id, expires_at=p.get("expires_at") or int(time.time()) + 86400)
    for k in ("ref", "resource", "client_ice_credentials", "gateway_ice_credentials"):
        if k in p:
            c[k] = p[k]
    if isinstance(p.get("client"), dict):
        c["client"] = dict(c["client"], **p["client"])
    return TODAY_PUSHES[event], c


def request_connection(client_id=CLIENT_ID, client_public_key=CLIENT_PUBLIC_KEY,
                       preshared_key=None, client_ipv4=DEFAULT_CLIENT_IPV4,
                       client_ipv6=DEFAULT_CLIENT_IPV6, resource=None,
                       ice_parameters=None, domain=None, expires_at=None,
                       ref=None, flow_id=None, actor_id=ACTOR_ID):
    """Section 2.4 (legacy).  ice_parameters are the client's offer
    credentials (random when not given).  domain: {"name":..,"proxy_ips":[..]}
    or None (key left out).  expires_at defaults to now + 1 day: the portal
    always sends an integer here."""
    if ice_parameters is None:
        # The client's str0m alphabet: a-z A-Z 0-9 without w/W (ice-chars).
        alpha = "abcdefghijklmnopqrstuvxyzABCDEFGHIJKLMNOPQRSTUVXYZ0123456789"
        pick = lambda n: "".join(alpha[b % len(alpha)] for b in os.urandom(n))
        ice_parameters = {"username": pick(4), "password": pick(22)}
    payload = {"ice_parameters": ice_parameters}
    if domain is not None:
        payload["domain"] = domain
    return {
        "ref": ref or make_ref("request_connection"),
        "flow_id": flow_id or new_uuid(),
        "actor": {"id": actor_id},
        "resource": resource if resource is not None else cidr_resource(),
        "client": {
            "id": client_id,
            "peer": {"persistent_keepalive": 25, "public_key": client_public_key,
                     "preshared_key": preshared_key or random_key(),
                     "ipv4": client_ipv4, "ipv6": client_ipv6},
            "payload": payload,
        },
        "expires_at": expires_at if expires_at is not None else int(time.time()) + 86400,
    }


def allow_access(client_id=CLIENT_ID, resource=None, expires_at=None, payload=None,
                 client_ipv4=DEFAULT_CLIENT_IPV4, client_ipv6=DEFAULT_CLIENT_IPV6,
                 ref=None, flow_id=None):
    """Section 2.5 (legacy).  payload: {"name":..,"proxy_ips":[..]} or None
    (sent as null)."""
    return {
        "ref": ref or make_ref("allow_access"),
        "client_id": client_id,
        "flow_id": flow_id or new_uuid(),
        "resource": resource if resource is not None else cidr_resource(),
        "expires_at": expires_at,
        "payload": payload,
        "client_ipv4": client_ipv4,
        "client_ipv6": client_ipv6,
    }


def reject_access(client_id=CLIENT_ID, resource_id=None, flow_id=None):
    """Section 2.6."""
    return {"flow_id": flow_id or new_uuid(), "client_id": client_id,
            "resource_id": resource_id or new_uuid()}


def resource_updated(resource=None, **kw):
    """Section 2.7: the payload is the resource itself.  Without resource,
    kw go to cidr_resource (address=, id=, name=, filters=)."""
    return resource if resource is not None else cidr_resource(**kw)


def ice_candidates(client_id=CLIENT_ID, candidates=None):
    """Section 2.8."""
    if candidates is None:
        candidates = ["candidate:1234567890 1 udp 2130706431 192.0.2.44 52625 typ host"]
    return {"client_id": client_id, "candidates": candidates}


def invalidate_ice_candidates(client_id=CLIENT_ID, candidates=None):
    """Section 2.9."""
    return ice_candidates(client_id, candidates)


def disconnect(reason="token_expired"):
    """Section 2.10 (the portal only ever sends token_expired)."""
    return {"reason": reason}


def frame(event, payload, topic="gateway", ref=None):
    """A whole portal push (or reply) as the portal's serializer writes it:
    keys sorted, compact."""
    return {"event": event, "payload": payload, "ref": ref, "topic": topic}


def encode(obj):
    """The portal's JSON text (Jason: compact; small maps key-sorted)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


BUILDERS = {
    "init": init, "relays_presence": relays_presence,
    "authorize_flow": authorize_flow, "request_connection": request_connection,
    "create_authorization": create_authorization, "authorization": authorization,
    "flow_logs_config": flow_logs_config,
    "allow_access": allow_access, "reject_access": reject_access,
    "resource_updated": resource_updated, "ice_candidates": ice_candidates,
    "invalidate_ice_candidates": invalidate_ice_candidates, "disconnect": disconnect,
    "turn_relay": turn_relay, "stun_relay": stun_relay, "dual_stack_relay": dual_stack_relay,
    "cidr_resource": cidr_resource, "dns_resource": dns_resource,
    "internet_resource": internet_resource, "tcp_filter": tcp_filter,
    "udp_filter": udp_filter, "icmp_filter": icmp_filter, "client_obj": client_obj,
    "ice_credentials": ice_credentials, "random_key": random_key, "make_ref": make_ref,
    "external_id": external_id,
}


def _value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help", "list"):
        print(__doc__.strip())
        print("\nbuilders:")
        for name, fn in BUILDERS.items():
            print("  %s %s" % (name, " ".join("%s=" % p for p in inspect.signature(fn).parameters)))
        return 0 if len(argv) >= 2 else 2
    name = argv[1]
    if name == "frame":
        if len(argv) != 4:
            print("usage: payloads.py frame EVENT PAYLOAD_JSON", file=sys.stderr)
            return 2
        print(encode(frame(argv[2], json.loads(argv[3]))))
        return 0
    fn = BUILDERS.get(name)
    if fn is None:
        print("payloads.py: unknown builder %r (try: payloads.py list)" % name, file=sys.stderr)
        return 2
    kw = {}
    for a in argv[2:]:
        if "=" not in a:
            print("payloads.py: argument %r is not NAME=VALUE" % a, file=sys.stderr)
            return 2
        k, v = a.split("=", 1)
        kw[k] = _value(v)
    try:
        out = fn(**kw)
    except TypeError as e:
        print("payloads.py: %s: %s" % (name, e), file=sys.stderr)
        return 2
    print(encode(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
