/// How big a simulated court is and how its cases are spread over its departments: the
/// order of magnitude of Jiaozuo's courts (cases filed in a year, staff on the roster).
public struct CourtProfile: Sendable {
    public let code: String
    /// Cases filed in a year at `--scale 1`.
    public let casesPerYear: Int
    /// Staff on the roster (the intermediate court's are split over its departments).
    public let staff: Int

    /// The eleven courts of the plan, in the plan's order.
    public static let jiaozuo: [CourtProfile] = [
        CourtProfile(code: "410800", casesPerYear: 9_000, staff: 257),
        CourtProfile(code: "410802", casesPerYear: 16_000, staff: 150),
        CourtProfile(code: "410803", casesPerYear: 5_000, staff: 70),
        CourtProfile(code: "410804", casesPerYear: 4_500, staff: 65),
        CourtProfile(code: "410811", casesPerYear: 12_000, staff: 120),
        CourtProfile(code: "410821", casesPerYear: 6_000, staff: 85),
        CourtProfile(code: "410822", casesPerYear: 7_500, staff: 95),
        CourtProfile(code: "410823", casesPerYear: 11_000, staff: 130),
        CourtProfile(code: "410825", casesPerYear: 8_000, staff: 100),
        CourtProfile(code: "410882", casesPerYear: 9_500, staff: 115),
        CourtProfile(code: "410883", casesPerYear: 8_000, staff: 100),
    ]

    /// The intermediate court's departments and their rosters (sum 257).
    /// A grassroots court's departments and their staff: 立案庭 a fifth, 民一庭 two fifths,
    /// 办公室 (the court's general office) the rest.
    public static func grassrootsDepartments(staff: Int) -> [(dept: String, staff: Int)] {
        let filing = staff / 5, civil = staff * 2 / 5
        return [("case-filing", filing), ("civil-1", civil), ("general-office", staff - filing - civil)]
    }

    /// The staff of a department by role, for the courts whose rosters give roles: 员额法官 two
    /// fifths, 法官助理 three tenths, 书记员 a fifth, other staff the rest (in that order).
    public static func roles(staff: Int) -> [(role: String, staff: Int)] {
        let judges = staff * 2 / 5, assistants = staff * 3 / 10, clerks = staff / 5
        return [("judge", judges), ("judge_assistant", assistants), ("clerk", clerks), ("other", staff - judges - assistants - clerks)]
    }

    public static let intermediateRosters: [(dept: String, staff: Int)] = [
        ("tech", 12), ("trial-management", 8), ("case-filing", 25), ("enforcement-general", 10), ("general-office", 15),
        ("petitions", 8), ("personnel", 8), ("publicity", 6), ("civil-1", 18), ("civil-2", 14), ("civil-3", 8),
        ("environment-resources", 6), ("supervision-1", 7), ("supervision-2", 7), ("bankruptcy", 6), ("labour-protection", 7),
        ("family", 7), ("juvenile", 5), ("administrative", 10), ("compensation", 4), ("criminal-1", 10), ("criminal-2", 8),
        ("criminal-3", 7), ("enforcement-1", 14), ("enforcement-2", 11),
    ]

    /// Which division of the intermediate court hears a case, with weights; criminal
    /// divisions' cases are the ones that go through the cross-department platform.
    static let intermediateDivisions: [(dept: String, weight: Int)] = [
        ("civil-1", 20), ("civil-2", 12), ("civil-3", 6), ("environment-resources", 4), ("supervision-1", 4),
        ("supervision-2", 4), ("bankruptcy", 3), ("labour-protection", 5), ("family", 5), ("juvenile", 2),
        ("administrative", 8), ("compensation", 1), ("criminal-1", 8), ("criminal-2", 5), ("criminal-3", 4),
        ("enforcement-1", 6), ("enforcement-2", 3),
    ]

    /// Cases in a month relative to the average month (January's year-end rush, the Spring
    /// Festival in February).
    static func seasonal(month: Int) -> Double {
        switch month {
        case 1: 1.10
        case 2: 0.70
        case 3: 1.05
        case 7, 8: 0.95
        case 12: 1.15
        default: 1.0
        }
    }
}
