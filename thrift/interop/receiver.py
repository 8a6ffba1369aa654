"""A data-bridge receiver written with thriftpy2 from thrift/databridge.thrift alone, on plain TCP.

Usage: receiver.py IDL PORT_FILE OUTPUT
Listens on a port the kernel chooses on 127.0.0.1 and writes its number to PORT_FILE once it listens (so that no
other process can take the port between its choice and its use). Accepts user admin / password admin, keeps stream definitions, and appends every call it gets to OUTPUT as one
JSON line (publish lines carry the whole bundle as received).
"""
import json
import os
import sys
import threading
import uuid

import thriftpy2
from thriftpy2.protocol import TBinaryProtocolFactory
from thriftpy2.server import TThreadedServer
from thriftpy2.thrift import TProcessor
from thriftpy2.transport import TBufferedTransportFactory, TServerSocket

idl, port_file, output = sys.argv[1], sys.argv[2], sys.argv[3]
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


# Built as thriftpy2's make_server builds it, which refuses port 0.
server = TThreadedServer(
    TProcessor(databridge.ThriftSecureEventTransmissionService, Receiver()), TServerSocket(host="127.0.0.1", port=0),
    iprot_factory=TBinaryProtocolFactory(), itrans_factory=TBufferedTransportFactory())
server.trans.listen()
with open(port_file + ".partial", "w") as announcement:
    announcement.write(str(server.trans.sock.getsockname()[1]))
os.rename(port_file + ".partial", port_file)
while True:
    client = server.trans.accept()
    threading.Thread(target=server.handle, args=(client,), daemon=True).start()
