"""Publishes events to a data-bridge receiver with thriftpy2, from thrift/databridge.thrift alone.

Usage: publish.py IDL HOST PORT plain|tls USER PASSWORD
Prints one JSON line: what each call answered (session and stream ids, the refusals it provoked).
"""
import json
import ssl
import sys

import thriftpy2
from thriftpy2.rpc import make_client

idl, host, port, transport, user, password = sys.argv[1:7]
databridge = thriftpy2.load(idl, module_name="databridge_thrift")
options = {}
if transport == "tls":
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    options["ssl_context"] = context
client = make_client(databridge.ThriftSecureEventTransmissionService, host, int(port), timeout=10000, **options)
seen = {}
try:
    client.connect(user, password + "-wrong")
except databridge.ThriftAuthenticationException as refusal:
    seen["wrong_password"] = refusal.message
session = client.connect(user, password)
definition = {
    "name": "interop.all_types", "version": "2.1.0", "nickName": "every type", "description": "from Python",
    "metaData": [{"name": "host", "type": "STRING"}],
    "correlationData": [{"name": "trace", "type": "LONG"}],
    "payloadData": [
        {"name": "count", "type": "INT"}, {"name": "ratio", "type": "FLOAT"}, {"name": "value", "type": "DOUBLE"},
        {"name": "ok", "type": "BOOL"}, {"name": "label", "type": "STRING"},
    ],
}
stream = client.defineStream(session, json.dumps(definition))
seen["stream"] = stream
try:
    client.defineStream(session, json.dumps({"name": "interop.all_types", "version": "2.1.0"}))
except databridge.ThriftDifferentStreamDefinitionAlreadyDefinedException as refusal:
    seen["redefined"] = refusal.message
try:
    client.defineStream(session, "{not json")
except databridge.ThriftMalformedStreamDefinitionException as refusal:
    seen["malformed"] = refusal.message
# Two events: per event the stream id and timestamp, then meta, correlation and payload attributes.
bundle = databridge.ThriftEventBundle(
    sessionId=session, eventNum=2,
    intAttributeList=[7, -8],
    longAttributeList=[1700000000001, 9000000000, 1700000000002, -1],
    doubleAttributeList=[0.5, 123.25, 1.5, -0.0625],
    boolAttributeList=[True, False],
    stringAttributeList=[stream, "h1", "grüße", stream, "h2", ""],
    arbitraryDataMapMap={1: {"origin": "python"}},
)
client.publish(bundle)
try:
    client.publish(databridge.ThriftEventBundle(sessionId="no-such-session", eventNum=0))
except databridge.ThriftSessionExpiredException as refusal:
    seen["expired"] = refusal.message
try:
    client.publish(databridge.ThriftEventBundle(sessionId=session, eventNum=1, stringAttributeList=["nobody:1.0"], longAttributeList=[1]))
except databridge.ThriftUndefinedEventTypeException as refusal:
    seen["undefined"] = refusal.message
seen["found"] = client.findStreamId(session, "interop.all_types", "2.1.0")
client.disconnect(session)
print(json.dumps(seen, sort_keys=True))
