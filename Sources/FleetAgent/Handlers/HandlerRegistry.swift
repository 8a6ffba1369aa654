import Foundation
import Logging

/// The handlers this agent runs, by (type, version). Their list is exactly the capabilities sent to the AFM.
public struct HandlerRegistry: Sendable {
    private var handlers: [String: [Int: any TaskHandler]] = [:]

    public init(_ handlers: [any TaskHandler] = []) {
        for handler in handlers { register(handler) }
    }

    public mutating func register(_ handler: any TaskHandler) {
        handlers[handler.type, default: [:]][handler.version] = handler
    }

    public func handler(type: String, version: Int) -> (any TaskHandler)? {
        handlers[type]?[version]
    }

    /// Protocol 1 names one version per type, so the highest registered version is the one announced.
    public var capabilities: [String: Int] {
        handlers.compactMapValues { $0.keys.max() }
    }

    /// Adds every `TYPE@VERSION` executable in `directory`; a plug-in replaces a built-in of the same type and version.
    public mutating func loadPlugins(from directory: String, timeout: Duration, logger: Logger) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw AgentConfigurationError("cannot read the handlers directory \(directory): \(error.localizedDescription)")
        }
        for name in names where !name.hasPrefix(".") {
            let path = directory + "/" + name
            guard let (type, version) = ExternalHandler.parse(fileName: name) else {
                logger.warning("ignoring \(path): a handler is named TYPE@VERSION")
                continue
            }
            guard FileManager.default.isExecutableFile(atPath: path) else {
                logger.warning("ignoring \(path): not executable")
                continue
            }
            if let existing = handlers[type]?.keys.max(), existing != version {
                logger.warning("\(type) has handlers for versions \(existing) and \(version); protocol 1 announces one, the highest")
            }
            register(ExternalHandler(type: type, version: version, executable: URL(fileURLWithPath: path), timeout: timeout))
            logger.info("handler plug-in \(type) v\(version): \(path)")
        }
    }
}
