extension Bulletin.TrendPoint {
    /// A point drawn by `TrendChart` for any unit, not only the city (the dashboard draws one
    /// court's trend with the same chart).
    public static func of(period: String, valuePer10k: Int64?, valueText: String, thresholdPer10k: Int64?) -> Bulletin.TrendPoint {
        Bulletin.TrendPoint(period: period, valuePer10k: valuePer10k, valueText: valueText, thresholdPer10k: thresholdPer10k)
    }
}
