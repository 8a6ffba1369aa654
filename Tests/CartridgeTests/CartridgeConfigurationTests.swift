import Cartridge
import MQTT
import Testing

@Suite("Cartridge configuration: agent.conf, launch parameters, environment, defaults")
struct CartridgeConfigurationTests {
    static let agentConf = """
        # The agent's configuration
        [agent]
        mb.urls = mb1.example:1883, [::1]:1884
        mb.username = agent
        mb.password =
        listen.address = 10.0.0.5
        thrift.receiver.urls = cep.example:7711
        thrift.server.admin.username = admin
        thrift.server.admin.password = admin
        cep.stats.publisher.enabled = true
        port.check.timeout = null
        [other]
        mb.urls = ignored:1
        """

    @Test("agent.conf wins over the payload, which wins over the environment; empty and null fall through")
    func precedence() throws {
        let sources = ConfigurationSources(
            agentConf: try ConfigurationSources.parseAgentConf(Self.agentConf),
            payload: ConfigurationSources.parsePayload("MEMBER_ID=m-1,PORTS=\"8080|8443\",mb.password=from-payload,port.check.timeout=5000,TOKEN=a=b"),
            environment: ["MB_PASSWORD": "from-env", "STATS_NOTIFIER_INTERVAL": "30", "MB_USERNAME": "env-user"])
        let settings = try CartridgeSettings.resolve(sources)
        #expect(settings.brokers == [BrokerAddress(host: "mb1.example", port: 1883), BrokerAddress(host: "::1", port: 1884)])
        #expect(settings.brokerUsername == "agent")
        #expect(settings.brokerPassword == "from-payload", "empty in agent.conf falls through to the payload")
        #expect(settings.portCheckTimeout == 5000, "null in agent.conf falls through")
        #expect(settings.statsInterval == 30)
        #expect(settings.ports == [8080, 8443])
        #expect(settings.memberID == "m-1")
        #expect(settings.payload["TOKEN"] == "a=b", "a value keeps everything after the first =")
        #expect(settings.cepStatsEnabled && settings.thriftReceivers.count == 1)
        #expect(settings.publisherTimeout == 900 && settings.listenAddress == "10.0.0.5")
        #expect(settings.thriftSSLEnabled && settings.thriftCAFile == nil, "TLS without verification unless a CA file is given")
    }

    @Test("mb.ip and mb.port stand in for mb.urls")
    func brokerFromIPAndPort() throws {
        let settings = try CartridgeSettings.resolve(ConfigurationSources(environment: ["MB_IP": "10.1.1.1", "MB_PORT": "1883"]))
        #expect(settings.brokers == [BrokerAddress(host: "10.1.1.1", port: 1883)])
    }

    static let refusals: [(sources: ConfigurationSources, message: String)] = [
        (ConfigurationSources(), "mb.urls: no message broker configured"),
        (ConfigurationSources(environment: ["MB_URLS": "broker"]), "mb.urls (environment MB_URLS): 'broker' is not host:port"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "mb.publisher.timeout": "soon"]), "mb.publisher.timeout (agent.conf): 'soon' is not a whole number"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "APPLICATION_PATH": "var/www"]), "APPLICATION_PATH (agent.conf): 'var/www' is not an absolute path"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "cep.stats.publisher.enabled": "true"]), "thrift.receiver.urls: cep.stats.publisher.enabled is true but no CEP receiver"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "cep.stats.publisher.enabled": "true", "thrift.receiver.urls": "c:7711"]), "thrift.server.admin.username: cep.stats.publisher.enabled is true but the CEP credentials are missing"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "thrift.receiver.urls": "c"]), "thrift.receiver.urls (agent.conf): 'c' is not host:port"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "cep.stats.publisher.enabled": "yes"]), "cep.stats.publisher.enabled (agent.conf): 'yes' is not true or false"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883"], payload: ["PORTS": "80|http"]), "PORTS (launch parameters): 'http' is not a port number"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883"], environment: ["ARTIFACT_UPDATE_INTERVAL": "ten"]), "artifact.update.interval (environment ARTIFACT_UPDATE_INTERVAL): 'ten' is not a whole number"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "port.check.timeout": "-5"]), "port.check.timeout (agent.conf): '-5' is not a whole number"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883", "thrift.ssl.enabled": "1"]), "thrift.ssl.enabled (agent.conf): '1' is not true or false"),
        (ConfigurationSources(agentConf: ["mb.urls": "b:1883"], environment: ["THRIFT_SSL_CA_FILE": "/nonexistent/ca.pem"]), "thrift.ssl.ca.file (environment THRIFT_SSL_CA_FILE): '/nonexistent/ca.pem' is not a readable file"),
    ]

    @Test("each refusal names the key and its source in one line", arguments: refusals)
    func refusal(sources: ConfigurationSources, message: String) {
        do {
            _ = try CartridgeSettings.resolve(sources)
            Issue.record("accepted \(sources)")
        } catch {
            #expect(error.description.hasPrefix(message), "\(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("agent.conf syntax errors name the line")
    func malformedAgentConf() {
        #expect(throws: CartridgeConfigurationError("agent.conf line 2: expected key = value, got mb.urls")) {
            try ConfigurationSources.parseAgentConf("[agent]\nmb.urls\n")
        }
    }

    @Test("the cartridge side is on with a config file or an mb.* variable in the environment")
    func cartridgeSideSwitch() {
        #expect(CartridgeSettings.isRequested(configFileGiven: true, environment: [:]))
        #expect(CartridgeSettings.isRequested(configFileGiven: false, environment: ["MB_URLS": "b:1"]))
        #expect(!CartridgeSettings.isRequested(configFileGiven: false, environment: ["MB_URLS": " ", "AFM": "http://afm"]))
    }
}
