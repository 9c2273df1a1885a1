"""A tiny stand-in AWS endpoint for tests/integration/test_sigv4_botocore.sh.

usage: fake_aws.py PORT LOG
Every request's SigV4 signature is recomputed with botocore from what arrived on the wire
(the headers named in SignedHeaders, the path, the body) and with the credentials in
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and the session token the request carries,
which must then be signed); a mismatch answers 403
SignatureDoesNotMatch. Then, per operation:
  ECS ListClusters            ThrottlingException twice, then {"clusterArns": []}, then
                              answers of 9 MiB
  ECS DescribeClusters        HTTP 500 once, then {"clusters": [], "failures": []}
  EC2 DescribeAvailabilityZones   400, EC2 error XML InvalidParameterValue (RequestID req-123)
  ELB DescribeLoadBalancers   400, Query error XML LoadBalancerNotFound
  anything else               400 JSON ClientException "unsupported by fake_aws"
One line per request goes to LOG: "OP signature=ok|bad token=yes|no"."""
import datetime
import json
import os
import sys
import unittest.mock
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

PORT = int(sys.argv[1])
LOG = open(sys.argv[2], "a", buffering=1)
counts = {}


def verify(handler, body):
    auth = handler.headers.get("Authorization", "")
    try:
        cred = auth.split("Credential=")[1].split(",")[0]
        signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
        akid, date, region, service, _ = cred.split("/")
    except (IndexError, ValueError):
        return False
    r = AWSRequest(method=handler.command, url="http://%s%s" % (handler.headers["Host"], handler.path),
                   data=body)
    for name in signed:
        for v in handler.headers.get_all(name) or []:
            if name.lower() not in ("x-amz-date", "x-amz-security-token"):
                r.headers[name] = v
    creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                        handler.headers.get("X-Amz-Security-Token"))
    when = datetime.datetime.strptime(handler.headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4Auth(creds, service, region).add_auth(r)
    return r.headers["Authorization"] == auth and akid == creds.access_key


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def answer(self, status, ctype, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "req-123")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        target = self.headers.get("X-Amz-Target", "")
        if target:
            op = target.split(".")[-1]
        else:
            op = parse_qs(body.decode("utf-8")).get("Action", ["?"])[0]
        ok = verify(self, body)
        token = "yes" if self.headers.get("X-Amz-Security-Token") else "no"
        LOG.write("%s signature=%s token=%s\n" % (op, "ok" if ok else "bad", token))
        n = counts[op] = counts.get(op, 0) + 1
        js = "application/x-amz-json-1.1"
        if not ok:
            if target:
                return self.answer(403, js, json.dumps({"__type": "InvalidSignatureException",
                                                        "message": "signature mismatch"}))
            return self.answer(403, "text/xml", "<ErrorResponse><Error><Code>SignatureDoesNotMatch"
                               "</Code><Message>mismatch</Message></Error></ErrorResponse>")
        if op == "ListClusters":
            if n <= 2:
                return self.answer(400, js, json.dumps({"__type": "com.amazonaws.ecs#ThrottlingException",
                                                        "message": "Rate exceeded"}))
            if n == 3:
                return self.answer(200, js, json.dumps({"clusterArns": []}))
            # past MAX_AWS_RESPONSE (8 MiB)
            return self.answer(200, js, json.dumps({"clusterArns": ["x" * 1024] * 9 * 1024}))
        if op == "DescribeClusters":
            if n <= 1:
                return self.answer(500, js, json.dumps({"__type": "ServerException", "message": "oops"}))
            return self.answer(200, js, json.dumps({"clusters": [], "failures": []}))
        if op == "DescribeAvailabilityZones":
            return self.answer(400, "text/xml",
                               "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                               "<Code>InvalidParameterValue</Code><Message>zone filter rejected"
                               "</Message></Error></Errors><RequestID>req-123</RequestID></Response>")
        if op == "DescribeLoadBalancers":
            return self.answer(400, "text/xml",
                               "<ErrorResponse xmlns=\"http://elasticloadbalancing.amazonaws.com/doc/"
                               "2012-06-01/\"><Error><Type>Sender</Type><Code>LoadBalancerNotFound"
                               "</Code><Message>There is no ACTIVE Load Balancer named 'x'</Message>"
                               "</Error><RequestId>req-456</RequestId></ErrorResponse>")
        return self.answer(400, js, json.dumps({"__type": "ClientException",
                                                "message": "unsupported by fake_aws"}))


HTTPServer(("127.0.0.1", PORT), H).serve_forever()
