/// A least-squares line through points, with how much of their variance it explains.
struct Trend: Sendable, Equatable {
    var slopePerSecond: Double
    var rSquared: Double

    /// The fit through at least five points spread over time; nil otherwise.
    static func fit(_ points: [(x: Double, y: Double)]) -> Trend? {
        guard points.count >= 5 else { return nil }
        let n = Double(points.count)
        let meanX = points.map(\.x).reduce(0, +) / n, meanY = points.map(\.y).reduce(0, +) / n
        var sxx = 0.0, sxy = 0.0, syy = 0.0
        for (x, y) in points {
            sxx += (x - meanX) * (x - meanX)
            sxy += (x - meanX) * (y - meanY)
            syy += (y - meanY) * (y - meanY)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        let r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 0
        return Trend(slopePerSecond: slope, rSquared: r2)
    }
}
