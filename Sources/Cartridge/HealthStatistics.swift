import Foundation

/// The instance's health as the reference's default reader measures it.
public struct HealthStatistics: Sendable, Equatable {
    /// Memory in use, percent of total: (total − available) / total × 100, rounded to one decimal (psutil's
    /// `virtual_memory().percent`).
    public var memoryConsumption: Double
    /// The one-minute load average per CPU, in percent: loadavg₁ ÷ CPUs × 100.
    public var loadAverage: Double

    /// Reads `/proc/meminfo`, the load average and the online CPU count; nil when they cannot be read.
    public static func current() -> HealthStatistics? {
        guard let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        var loads = [Double](repeating: 0, count: 3)
        guard getloadavg(&loads, 3) >= 1 else { return nil }
        return compute(meminfo: meminfo, oneMinuteLoad: loads[0], cpuCount: sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// The figures from `/proc/meminfo` text, the one-minute load and the CPU count. Without `MemAvailable`
    /// (kernels before 3.14) available memory is free + buffers + cached, as psutil estimates it there.
    public static func compute(meminfo: String, oneMinuteLoad: Double, cpuCount: Int) -> HealthStatistics? {
        var kilobytes: [String: Double] = [:]
        for line in meminfo.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            if parts.count >= 2, let value = Double(parts[1]) { kilobytes[String(parts[0])] = value }
        }
        guard let total = kilobytes["MemTotal"], total > 0, cpuCount > 0 else { return nil }
        let available = kilobytes["MemAvailable"]
            ?? (kilobytes["MemFree"] ?? 0) + (kilobytes["Buffers"] ?? 0) + (kilobytes["Cached"] ?? 0)
        let percent = ((total - available) / total * 100 * 10).rounded() / 10
        return HealthStatistics(memoryConsumption: percent, loadAverage: oneMinuteLoad / Double(cpuCount) * 100)
    }
}
