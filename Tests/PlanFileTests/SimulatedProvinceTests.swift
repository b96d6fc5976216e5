import CourtPlan
import Testing

/// The simulated province `bench province` and the province tests sync: the shipped plan with
/// simulated grassroots courts added, never clashing with a real court.
@Suite("A simulated province's plan")
struct SimulatedProvinceTests {
    @Test func oneHundredEightyCourtsAreTheElevenOfThePlanAndOneHundredSixtyNineSimulatedOnes() throws {
        let province = try Plan.shipped.simulatingProvince(courts: 180)
        #expect(province.courts.count == 180)
        #expect(Array(province.courts.prefix(11)) == Plan.shipped.courts)
        let added = province.courts.dropFirst(11)
        #expect(added.count == 169 && added.allSatisfy { Plan.isSimulated(court: $0.code) && $0.level == "grassroots" && $0.name.hasPrefix("模拟") })
        #expect(added.first?.code == "990001" && added.last?.code == "990169" && added.last?.name == "模拟第0169基层人民法院")
        #expect(!Plan.shipped.courts.contains { Plan.isSimulated(court: $0.code) })
        #expect(Set(province.courts.map(\.code)).count == 180 && Set(province.courts.map(\.slug)).count == 180)
        // A court is found by its code or name, like the plan's own; the title says it is simulated.
        #expect(try province.court("990042").slug == "simulated-0042")
        #expect(try province.court("模拟第0042基层人民法院").code == "990042")
        #expect(province.document.title.contains("模拟") && province.document.title.hasPrefix(Plan.shipped.document.title))
        // Everything else is the plan's.
        #expect(province.indicators.map(\.slug) == Plan.shipped.indicators.map(\.slug))
        #expect(province.departments.map(\.slug) == Plan.shipped.departments.map(\.slug))
        // Deterministic, and the shipped plan itself is unchanged.
        #expect(try Plan.shipped.simulatingProvince(courts: 180).json == province.json)
        #expect(try Plan.shipped.simulatingProvince(courts: 11).json == Plan.shipped.json)
        #expect(Plan.shipped.courts.count == 11)
    }

    @Test func fewerCourtsThanThePlansAreRefusedSayingHowMany() {
        #expect { try Plan.shipped.simulatingProvince(courts: 10) } throws: { "\($0)".contains("at least the plan's 11 courts") }
    }
}
