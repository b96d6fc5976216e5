import CanonicalJSON
import CourtLog

/// Writes one court's events for one month: times inside the month (UTC+08:00, working
/// hours), ids unique in the court's log, and the late share set aside for next month.
struct MonthGenerator {
    let simulation: CitySimulation
    let court: String
    let k: Int
    let year: Int
    let month: Int
    let lateAllowed: Bool
    var rng: SplitMix
    private(set) var usage = CitySimulation.MonthUsage()
    private var counter = 0
    /// The first and last second of the month, in UTC.
    let monthStart: Int64
    let monthEnd: Int64

    init(simulation: CitySimulation, court: String, k: Int, year: Int, month: Int, lateAllowed: Bool) {
        self.simulation = simulation
        self.court = court
        self.k = k
        self.year = year
        self.month = month
        self.lateAllowed = lateAllowed
        rng = SplitMix(seed: simulation.seed, stream: "usage/\(court)/\(k)")
        monthStart = Int64(CivilDate(year: year, month: month, day: 1).daysSinceEpoch) * 86400 - 8 * 3600
        monthEnd = monthStart + Int64(CivilDate.daysIn(year: year, month: month)) * 86400 - 1
    }

    mutating func emit(_ type: String, at utc: Int64, dept: String?, _ data: [String: JSONValue]) throws {
        counter += 1
        let id = "\(court)-\(year)\(month < 10 ? "0" : "")\(month)-\(counter)"
        let draft = try EventDraft(id: id, type: type, at: EventTime(beijing: utc), dept: dept, data: data)
        // A roster is set on the month's first day, never late.
        if lateAllowed && type != "roster.set" && rng.chance(CitySimulation.lateShare) { usage.late.append(draft) } else { usage.onTime.append(draft) }
    }

    /// A time in working hours (08:00–17:59) on a day of the month from `afterDay`.
    mutating func randomTime(afterDay first: Int) -> Int64 {
        let days = CivilDate.daysIn(year: year, month: month)
        let day = rng.int(first...days)
        return monthStart + Int64(day - 1) * 86400 + Int64(rng.int(8 * 3600...(18 * 3600 - 1)))
    }

    /// A time after `t`, still in the month.
    mutating func later(_ t: Int64) -> Int64 {
        t + Int64(Double(monthEnd - t) * rng.unit())
    }

    /// A review decision: within the limit and approved with probability `good`; otherwise
    /// approved late, or rejected. Returns the decision and the delay in seconds.
    mutating func review(good: Double, limitHours: Int64) -> (String, Int64) {
        let limit = limitHours * 3600
        if rng.chance(good) { return ("approved", Int64(rng.int(1800...Int(max(limit - 3600, 1800))))) }
        if rng.chance(0.5) { return ("approved", limit + Int64(rng.int(3600...(60 * 3600)))) }
        return ("rejected", Int64(rng.int(1800...Int(max(limit - 3600, 1800)))))
    }

    /// RFC 3339 in UTC+08:00 of a UTC second.
    func text(_ utc: Int64) -> String { EventTime(beijing: utc).text }

    /// The rosters in force from the first month: per department at the intermediate court.
    mutating func rosters(_ profile: CourtProfile) throws {
        if court == PolicyAuthority.intermediateCourt {
            for (dept, staff) in CourtProfile.intermediateRosters {
                try emit("roster.set", at: monthStart + 60, dept: dept, ["headcount": .int(Int64(staff))])
            }
        } else {
            // A grassroots court keeps a roster per department (its headcount is their sum), a
            // few of them per role within each department (the sum of the roles).
            for (dept, n) in CourtProfile.grassrootsDepartments(staff: profile.staff) {
                if CitySimulation.roleRosterCourts.contains(court) {
                    for (role, m) in CourtProfile.roles(staff: n) where m > 0 {
                        try emit("roster.set", at: monthStart + 60, dept: dept, ["headcount": .int(Int64(m)), "role": .string(role)])
                    }
                } else {
                    try emit("roster.set", at: monthStart + 60, dept: dept, ["headcount": .int(Int64(n))])
                }
            }
        }
    }

    /// Each staff member on the roster uses OA and mobile office at least once, or not, this month.
    mutating func staffActivity(_ profile: CourtProfile) throws {
        var staff: [(id: String, dept: String?, unit: String, joinedMonth: Int, role: String?)] = []
        if court == PolicyAuthority.intermediateCourt {
            for (dept, n) in CourtProfile.intermediateRosters {
                for i in 1...n { staff.append(("\(court)-\(dept)-s\(i)", dept, dept, 0, nil)) }
            }
        } else {
            var i = 0
            let byRole = CitySimulation.roleRosterCourts.contains(court)
            for (dept, n) in CourtProfile.grassrootsDepartments(staff: profile.staff) {
                // Where rosters give roles, each staff member's activity carries the role.
                let roles: [String?] = byRole ? CourtProfile.roles(staff: n).flatMap { Array(repeating: Optional($0.role), count: $0.staff) } : Array(repeating: nil, count: n)
                for r in roles { i += 1; staff.append(("\(court)-s\(i)", dept, court, 0, r)) }
            }
            if court == CitySimulation.hiringCourt, k >= simulation.hiringMonth, simulation.hiringMonth > 0 {
                for i in (profile.staff + 1)...(profile.staff + 6) { staff.append(("\(court)-s\(i)", "civil-1", court, simulation.hiringMonth, nil)) }
            }
        }
        let days = CivilDate.daysIn(year: year, month: month)
        for s in staff {
            for app in ["oa", "mobile"] {
                // New staff get their OA account the month after joining, mobile office the month after that.
                let ready = k >= s.joinedMonth + (s.joinedMonth == 0 ? 0 : app == "oa" ? 1 : 2)
                guard ready, rng.chance(simulation.activity(s.unit, app, k)) else { continue }
                let day = rng.int(1...days)
                var data: [String: JSONValue] = [
                    "staff_id": .string(s.id), "app": .string(app), "day": .string(CivilDate(year: year, month: month, day: day).text),
                ]
                if let role = s.role { data["role"] = .string(role) }
                try emit("staff.active", at: monthStart + Int64(day - 1) * 86400 + Int64(rng.int(8 * 3600...(18 * 3600 - 1))), dept: s.dept, data)
            }
            // The office system (办公/办文/办会/政务), supervised by 办公室: most staff use it.
            if rng.chance(simulation.rate(s.unit, "oa-office", k)) {
                let day = rng.int(1...days)
                try emit("system.used", at: monthStart + Int64(day - 1) * 86400 + Int64(rng.int(8 * 3600...(18 * 3600 - 1))), dept: s.dept,
                         ["system": "oa-office", "staff_id": .string(s.id)])
            }
        }
    }
}
