"""Compares sprout's SigV4 Authorization headers with botocore's SigV4Auth.

usage: sigv4_botocore.py SIGNER [COUNT] [SEED]
Generates COUNT requests per category (methods, paths needing URI-encoding and dot
segments, queries with repeated/unsorted/encoded keys, headers with extra spaces and
repeated names, bodies, session tokens, everything mixed), signs each with botocore at a
fixed timestamp and with SIGNER (tests/integration/aws/sigv4_sign.c), and prints one TAP
line per category."""
import datetime
import json
import random
import subprocess
import sys
import unittest.mock
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

signer = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 13)

PATH_CHARS = "abcXYZ019-._~ !$&'()*+,;=:@%/\u00e9\u4e2d"
QUERY_CHARS = "abcAB09-._~ /+=&?%\u00e9"
VALUE_CHARS = "abc XYZ\t019-_=,;:\"'/()"
TOKEN_NAME = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_!#$%&'*+.^`|~"


def rstr(chars, lo, hi):
    return "".join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def gen_path():
    k = rng.random()
    if k < 0.2:
        return rng.choice(["/", "", "//", "/./", "/a/../..", "/a/./b/", "/../x", "//a//b//"])
    segs = []
    for _ in range(rng.randint(1, 5)):
        segs.append(rng.choice([rstr(PATH_CHARS.replace("/", ""), 0, 8), ".", "..", ""])
                    if rng.random() < 0.3 else rstr(PATH_CHARS.replace("/", ""), 1, 8))
    return "/" + "/".join(segs) + ("/" if rng.random() < 0.3 else "")


def gen_query():
    pairs = []
    keys = [rstr(QUERY_CHARS, 0, 6) for _ in range(rng.randint(1, 4))]
    for _ in range(rng.randint(1, 8)):
        key = rng.choice(keys)
        if rng.random() < 0.15:
            pairs.append(quote(key, safe="-_.~"))  # no '='
        else:
            pairs.append(quote(key, safe="-_.~") + "=" + quote(rstr(QUERY_CHARS, 0, 8), safe="-_.~"))
    rng.shuffle(pairs)
    return "&".join(pairs)


def gen_headers():
    hs = []
    names = [rstr(TOKEN_NAME, 1, 10) for _ in range(rng.randint(1, 5))]
    names += ["Content-Type", "X-Amz-Target", "User-Agent", "Expect", "x-amz-meta-A", "Connection"]
    for _ in range(rng.randint(0, 8)):
        name = rng.choice(names)
        low = name.lower()
        if low in ("host", "authorization", "x-amz-date", "date", "x-amz-security-token",
                   "x-amz-content-sha256"):
            continue
        value = rstr(VALUE_CHARS, 0, 12)
        if rng.random() < 0.3:
            value = "  " + value + "   "
        if rng.random() < 0.2:
            value = "a   b \t c"
        hs.append([rng.choice([name, name.upper(), name.lower()]), value])
    return hs


def gen(cat):
    req = {
        "method": "GET", "path": "/", "query": "", "headers": [], "body": "",
        "date": "20%02d%02d%02dT%02d%02d%02dZ" % (rng.randint(10, 40), rng.randint(1, 12),
                                                  rng.randint(1, 28), rng.randint(0, 23),
                                                  rng.randint(0, 59), rng.randint(0, 59)),
        "akid": "AKID" + rstr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 12, 16),
        "secret": rstr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+", 40, 40),
        "region": rng.choice(["us-east-1", "eu-west-3", "ap-southeast-2", "us-gov-west-1"]),
        "service": rng.choice(["ecs", "ec2", "elasticloadbalancing", "autoscaling", "sts"]),
        "host": rng.choice(["example.amazonaws.com", "ecs.eu-west-3.amazonaws.com",
                            "127.0.0.1:5000", "localhost:4566"]),
    }
    allc = cat == "mixed"
    if cat == "methods" or allc:
        req["method"] = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS",
                                    "get", "Post"])
    if cat == "paths" or allc:
        req["path"] = gen_path()
    if cat == "queries" or allc:
        req["query"] = gen_query()
    if cat == "headers" or allc:
        req["headers"] = gen_headers()
    if cat == "bodies" or allc:
        req["method"] = "POST"
        req["body"] = rng.choice(["", "{}", "Action=DescribeClusters&Version=2016-11-15",
                                  rstr("abc{}\":, \n\u00e9\u4e2d", 0, 200)])
        req["headers"].append(["Content-Type", "application/x-amz-json-1.1"])
    if cat == "tokens" or allc:
        if cat == "tokens" or rng.random() < 0.5:
            req["token"] = rstr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/+=", 20, 300)
    req["headers"].insert(0, ["Host", req["host"]])
    return req


def botocore_sign(req):
    url = "https://" + req["host"] + req["path"] + ("?" + req["query"] if req["query"] else "")
    r = AWSRequest(method=req["method"], url=url, data=req["body"].encode("utf-8"))
    for name, value in req["headers"]:
        r.headers[name] = value
    creds = Credentials(req["akid"], req["secret"], req.get("token"))
    auth = SigV4Auth(creds, req["service"], req["region"])
    when = datetime.datetime.strptime(req["date"], "%Y%m%dT%H%M%SZ")
    with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when):
        auth.add_auth(r)
    return r.headers["Authorization"]


cats = ["methods", "paths", "queries", "headers", "bodies", "tokens", "mixed"]
reqs = [(c, gen(c)) for c in cats for _ in range(count)]
inp = "".join(json.dumps(r) + "\n" for _, r in reqs)
out = subprocess.run([signer], input=inp.encode("utf-8"), capture_output=True, check=True)
got = out.stdout.decode("utf-8").split("\n")
total = 0
for c in cats:
    bad = []
    for i, (cc, r) in enumerate(reqs):
        if cc != c:
            continue
        total += 1
        want = botocore_sign(r)
        if got[i] != want:
            bad.append((r, got[i], want))
    if bad:
        print("not ok - sigv4 %s: %d of %d requests differ from botocore" % (c, len(bad), count))
        for r, g, w in bad[:3]:
            print("#   request: %s\n#   sprout:   %s\n#   botocore: %s" % (json.dumps(r), g, w))
    else:
        print("ok - sigv4 %s: %d requests equal botocore's Authorization" % (c, count))
print("# %d requests compared" % total)
