/// Where an agent is, as its polls report it and v2 answers show it.
public struct WireLocation: Sendable, Equatable {
    public let country: String
    public let region: String
    public let latitude: Double?
    public let longitude: Double?

    public init(country: String, region: String, latitude: Double? = nil, longitude: Double? = nil) {
        self.country = country
        self.region = region
        self.latitude = latitude
        self.longitude = longitude
    }
}
