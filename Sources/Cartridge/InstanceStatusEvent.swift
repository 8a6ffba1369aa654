import Foundation
import JSON

/// The instance-status events the agent publishes, on Stratos' topics with Stratos' JSON (camelCase fields, every
/// field present, `null` when unknown, keys sorted).
public enum InstanceStatusEvent: String, Sendable, CaseIterable {
    case started = "InstanceStartedEvent"
    case activated = "InstanceActivatedEvent"
    case maintenanceMode = "InstanceMaintenanceModeEvent"
    case readyToShutdown = "InstanceReadyToShutdownEvent"

    public var topic: String { "instance/status/\(rawValue)" }

    public func payload(for settings: CartridgeSettings) -> [UInt8] {
        var fields: [(String, String?)] = [
            ("clusterId", settings.clusterID), ("clusterInstanceId", settings.clusterInstanceID),
            ("instanceId", settings.instanceID), ("memberId", settings.memberID),
            ("networkPartitionId", settings.networkPartitionID), ("partitionId", settings.partitionID),
            ("serviceName", settings.serviceName),
        ]
        // Only InstanceStartedEvent carries the application id.
        if self == .started { fields.append(("applicationId", settings.applicationID)) }
        let members = fields.sorted { $0.0 < $1.0 }.map { name, value in
            "\"\(name)\": " + (value.map(Self.quoted) ?? "null")
        }
        return Array(("{" + members.joined(separator: ", ") + "}").utf8)
    }

    private static func quoted(_ text: String) -> String {
        JSONWriter.string(from: .string(text))
    }
}
