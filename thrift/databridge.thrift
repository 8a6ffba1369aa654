// The WSO2 data-bridge event transmission services as AgentFleet speaks them (Thrift binary protocol, unframed
// buffered transport). Field ids and types are the wire contract: the agent publishes with them and cep-stub
// receives them. One file, so independent Thrift implementations (thrift-compiler, thriftpy2) can load it alone.

namespace java org.wso2.carbon.databridge.commons.thrift
namespace py databridge

enum ThriftAttributeType {
    INT,
    LONG,
    FLOAT,
    DOUBLE,
    BOOL,
    STRING
}

struct ThriftAttribute {
    1: optional string name;
    2: optional ThriftAttributeType attributeType;
}

// Events flattened into one list per attribute type: per event its stream id (strings), its timestamp in ms
// (longs), then its attributes in definition order. FLOAT attributes travel in the double list.
struct ThriftEventBundle {
    1: optional string sessionId;
    2: optional i32 eventNum;
    3: optional list<i32> intAttributeList;
    4: optional list<i64> longAttributeList;
    5: optional list<double> doubleAttributeList;
    6: optional list<bool> boolAttributeList;
    7: optional list<string> stringAttributeList;
    8: optional map<i32, map<string, string>> arbitraryDataMapMap;
}

exception ThriftStreamDefinitionException { 1: required string message }
exception ThriftNoStreamDefinitionExistException { 1: required string message }
exception ThriftDifferentStreamDefinitionAlreadyDefinedException { 1: required string message }
exception ThriftMalformedStreamDefinitionException { 1: required string message }
exception ThriftUndefinedEventTypeException { 1: required string message }
exception ThriftSessionExpiredException { 1: required string message }
exception ThriftAuthenticationException { 1: required string message }

// The TLS port's service. Stream ids are "name:version".
service ThriftSecureEventTransmissionService {
    string connect(1: string userName, 2: string password) throws (1: ThriftAuthenticationException ae),
    void disconnect(1: string sessionId),
    string defineStream(1: string sessionId, 2: string streamDefinition)
        throws (1: ThriftDifferentStreamDefinitionAlreadyDefinedException ade, 2: ThriftMalformedStreamDefinitionException mtd,
                3: ThriftStreamDefinitionException tde, 4: ThriftSessionExpiredException se),
    string findStreamId(1: string sessionId, 2: string streamName, 3: string streamVersion)
        throws (1: ThriftNoStreamDefinitionExistException tnde, 2: ThriftSessionExpiredException se),
    void publish(1: ThriftEventBundle eventBundle) throws (1: ThriftUndefinedEventTypeException ue, 2: ThriftSessionExpiredException se),
    bool deleteStreamById(1: string sessionId, 2: string streamId) throws (1: ThriftSessionExpiredException se),
    bool deleteStreamByNameVersion(1: string sessionId, 2: string streamName, 3: string streamVersion)
        throws (1: ThriftSessionExpiredException se)
}

// The plain port's service: the same calls without connect and disconnect (sessions come from the TLS port).
service ThriftEventTransmissionService {
    string defineStream(1: string sessionId, 2: string streamDefinition)
        throws (1: ThriftDifferentStreamDefinitionAlreadyDefinedException ade, 2: ThriftMalformedStreamDefinitionException mtd,
                3: ThriftStreamDefinitionException tde, 4: ThriftSessionExpiredException se),
    string findStreamId(1: string sessionId, 2: string streamName, 3: string streamVersion)
        throws (1: ThriftNoStreamDefinitionExistException tnde, 2: ThriftSessionExpiredException se),
    void publish(1: ThriftEventBundle eventBundle) throws (1: ThriftUndefinedEventTypeException ue, 2: ThriftSessionExpiredException se),
    bool deleteStreamById(1: string sessionId, 2: string streamId) throws (1: ThriftSessionExpiredException se),
    bool deleteStreamByNameVersion(1: string sessionId, 2: string streamName, 3: string streamVersion)
        throws (1: ThriftSessionExpiredException se)
}
