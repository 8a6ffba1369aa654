"""A data-bridge receiver written with thriftpy2 from thrift/databridge.thrift alone, on plain TCP.

Usage: receiver.py IDL PORT OUTPUT
Accepts user admin / password admin, keeps stream definitions, and appends every call it gets to OUTPUT as one
JSON line (publish lines carry the whole bundle as received).
"""
import json
import sys
import uuid

import thriftpy2
from thriftpy2.rpc import make_server

idl, port, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
databridge = thriftpy2.load(idl, module_name="databridge_thrift")
sessions = set()


def record(entry):
    with open(output, "a") as log:
        log.write(json.dumps(entry, sort_keys=True) + "\n")


class Receiver:
    def connect(self, userName, password):
        if (userName, password) != ("admin", "admin"):
            raise databridge.ThriftAuthenticationException(message="bad credentials")
        session = str(uuid.uuid4())
        sessions.add(session)
        record({"call": "connect", "user": userName, "session": session})
        return session

    def disconnect(self, sessionId):
        sessions.discard(sessionId)
        record({"call": "disconnect", "session": sessionId})

    def defineStream(self, sessionId, streamDefinition):
        if sessionId not in sessions:
            raise databridge.ThriftSessionExpiredException(message="unknown session")
        definition = json.loads(streamDefinition)
        record({"call": "defineStream", "session": sessionId, "definition": streamDefinition})
        return "%s:%s" % (definition["name"], definition["version"])

    def publish(self, eventBundle):
        if eventBundle.sessionId not in sessions:
            raise databridge.ThriftSessionExpiredException(message="unknown session")
        record({
            "call": "publish", "session": eventBundle.sessionId, "eventNum": eventBundle.eventNum,
            "ints": eventBundle.intAttributeList, "longs": eventBundle.longAttributeList,
            "doubles": eventBundle.doubleAttributeList, "bools": eventBundle.boolAttributeList,
            "strings": eventBundle.stringAttributeList, "arbitrary": eventBundle.arbitraryDataMapMap,
        })


server = make_server(databridge.ThriftSecureEventTransmissionService, Receiver(), "127.0.0.1", port)
print("listening", flush=True)
server.serve()
