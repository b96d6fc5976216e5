import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import CitySimulation

@Suite("the demo's simulated city: seeded, deterministic, and shaped like the plan")
struct CitySimulationTests {
    let year = CitySimulation(seed: 2022, scale: 0.05, months: 12)

    func canonical(_ drafts: [EventDraft]) -> [String] {
        drafts.map { d in
            String(decoding: CanonicalEncoder.encode(["id": .string(d.id), "type": .string(d.type), "at": .string(d.at.text),
                                                      "dept": d.dept.map { .string($0) } ?? .null, "data": .object(d.data)]), as: UTF8.self)
        }
    }

    @Test func theSameSeedGivesTheSameEventsAndAnotherSeedDoesNot() throws {
        let again = CitySimulation(seed: 2022, scale: 0.05, months: 12)
        let other = CitySimulation(seed: 2023, scale: 0.05, months: 12)
        for (court, k) in [("410802", 0), ("410800", 5), ("410883", 11)] {
            let a = try year.usage(court: court, month: k), b = try again.usage(court: court, month: k)
            #expect(canonical(a.onTime) == canonical(b.onTime) && canonical(a.late) == canonical(b.late), "\(court) month \(k)")
            #expect(canonical(try other.usage(court: court, month: k).onTime) != canonical(a.onTime), "\(court) month \(k) with another seed")
        }
        // Generation order does not matter: each court and month has its own stream.
        let later = try year.usage(court: "410803", month: 3)
        _ = try year.usage(court: "410804", month: 2)
        #expect(canonical(try year.usage(court: "410803", month: 3).onTime) == canonical(later.onTime))
    }

    @Test func everyUsageTypeAppearsAndEveryEventLiesInItsMonth() throws {
        // At scale 0.2 a month of 解放区 has about 300 cases: enough for even the rare types.
        let usage = try CitySimulation(seed: 2022, scale: 0.2, months: 12).usage(court: "410802", month: 4) // 2022-12
        let all = usage.onTime + usage.late
        let usageTypes = EventCatalog.shipped.types.filter { $0.value.role == .usage }.map(\.key)
        // roster.set appears in the first month and in the hiring month (the fifth: 2022-12) at 解放区.
        for t in usageTypes { #expect(all.contains { $0.type == t }, "no \(t) in 410802 2022-12") }
        #expect(all.allSatisfy { $0.at.beijingMonth == 202212 }, "an event outside 2022-12")
        #expect(Set(all.map(\.id)).count == all.count, "ids repeat within the month")
        let roster = all.first { $0.type == "roster.set" }
        // 解放区's 150 staff: 立案庭 150/5 = 30, 民一庭 150×2/5 = 60, 办公室 60; six hired into 民一庭 → 66.
        #expect(roster?.dept == "civil-1" && roster?.data["headcount"]?.intValue == 66, "60 in 民一庭 + 6 hired")
        // Ids differ between months of one court.
        let next = try CitySimulation(seed: 2022, scale: 0.2, months: 12).usage(court: "410802", month: 5)
        #expect(Set(all.map(\.id)).isDisjoint(with: Set((next.onTime + next.late).map(\.id))))
    }

    @Test func theIntermediateCourtRecordsPerDepartmentAndGrassrootsCourtsKeepDepartmentRosters() throws {
        let ic = try year.usage(court: "410800", month: 0)
        let depts = Set(ic.onTime.compactMap(\.dept))
        #expect(ic.onTime.allSatisfy { $0.dept != nil }, "every event at 410800 names its department")
        #expect(depts.isSubset(of: Set(Plan.shipped.departments.map(\.slug))), "\(depts.subtracting(Set(Plan.shipped.departments.map(\.slug))))")
        #expect(ic.onTime.filter { $0.type == "roster.set" }.count == 25, "a roster for each of the 25 departments")
        // A grassroots court keeps a roster per department: 修武县's staff split 1/5, 2/5, the rest.
        let grassroots = try year.usage(court: "410821", month: 0)
        let rosters = grassroots.onTime.filter { $0.type == "roster.set" }
        #expect(rosters.map { $0.dept ?? "-" } == ["case-filing", "civil-1", "general-office"])
        let profile = try #require(CourtProfile.jiaozuo.first { $0.code == "410821" })
        #expect(rosters.compactMap { $0.data["headcount"]?.intValue }.reduce(0, +) == Int64(profile.staff))
        // Its case events are the court's (no department), like the plan's 各基层法院.
        #expect(grassroots.onTime.filter { $0.type == "case.filed" }.allSatisfy { $0.dept == nil })
    }

    @Test func lateEventsAreAboutTwoPercentAndTheLastMonthHasNone() throws {
        let u = try year.usage(court: "410802", month: 3)
        let share = Double(u.late.count) / Double(u.count)
        #expect(share > 0.01 && share < 0.03, "late share \(share)")
        #expect(try year.usage(court: "410802", month: 11).late.isEmpty)
    }

    @Test func volumeFollowsTheScaleAndTheCourtsSize() throws {
        let small = CitySimulation(seed: 2022, scale: 0.02, months: 12)
        let big = CitySimulation(seed: 2022, scale: 0.2, months: 12)
        func cases(_ s: CitySimulation, _ court: String) throws -> Int { try s.usage(court: court, month: 2).onTime.filter { $0.type == "case.filed" }.count }
        // 解放区 files 16,000 cases a year: at scale 0.2 about 16000 × 0.2 / 12 ≈ 267 in October (±10%).
        let jiefang = try cases(big, "410802")
        #expect((230...300).contains(jiefang), "\(jiefang)")
        // ten times the scale, about ten times the cases; 马村区 (4,500 a year) files fewer than 解放区.
        #expect(try cases(big, "410804") < jiefang)
        let ratio = Double(jiefang) / Double(try cases(small, "410802"))
        #expect(ratio > 8 && ratio < 12.5, "\(ratio)")
    }

    @Test func thePolicyCalendarFollowsTheMonths() throws {
        #expect(year.offlineMonths == 5..<7, "2023-01 and 2023-02")
        #expect(CitySimulation(seed: 1, scale: 0.1, months: 3).offlineMonths == 0..<2)
        #expect(CitySimulation(seed: 1, scale: 0.1, months: 2).offlineMonths.isEmpty)
        // 网上信访 gets its threshold in the sixth month (2023-01), the provincial raise in the seventh.
        let sixth = try year.notices(month: 5)
        #expect(sixth.count == 1 && sixth[0].data["indicator"]?.stringValue == "online-petition" && sixth[0].data["per_10k"]?.intValue == 6000)
        #expect(sixth[0].data["effective"]?.stringValue == "2023-01-01")
        let seventh = try year.notices(month: 6)
        #expect(seventh.count == 1 && seventh[0].data["indicator"]?.stringValue == "e-dossier-quality" && seventh[0].data["per_10k"]?.intValue == 9000)
        #expect(try (0..<12).filter { ![5, 6].contains($0) }.allSatisfy { try year.notices(month: $0).isEmpty })
        // Every notice and standing passes the catalog (EventDraft's init) and names a plan indicator.
        let ind = try Plan.shipped.indicator("online-filing")
        let standing = try year.standing(ind, period: year.period(0), publishedAfterMonth: 0, cityPer10k: 9950, thresholdPer10k: 9900)
        #expect(standing.data["period"]?.stringValue == "2022-08" && standing.at.text.hasPrefix("2022-09-08"))
        // A half-year's standing is published after its last month.
        let half = try year.standing(ind, period: .half(year: 2022, half: 2), publishedAfterMonth: 4, cityPer10k: 9950, thresholdPer10k: 9900)
        #expect(half.data["period"]?.stringValue == "2022-H2" && half.at.text.hasPrefix("2023-01-08") && half.id == "standing-online-filing-2022-H2")
        // A city above the provincial average ranks in 1…6; below it, in 4…14.
        for k in 0..<12 {
            let above = try year.standing(ind, period: year.period(k), publishedAfterMonth: k, cityPer10k: 10_000, thresholdPer10k: 9900).data["rank"]!.intValue!
            let below = try year.standing(ind, period: year.period(k), publishedAfterMonth: k, cityPer10k: 9000, thresholdPer10k: 9900).data["rank"]!.intValue!
            #expect((1...6).contains(above) && (4...14).contains(below), "month \(k): \(above) \(below)")
        }
    }

    @Test func explanationsAreFiledForAboutTwoThirdsOfMisses() throws {
        let ind = try Plan.shipped.indicator("online-filing")
        var filed = 0
        for court in Plan.shipped.courts {
            for k in 0..<12 {
                if let e = try year.explanation(unit: court.code, unitName: court.name, indicator: ind, period: year.period(k).description, filedAfterMonth: k) {
                    filed += 1
                    #expect(e.data["unit"]?.stringValue == court.code && (e.data["text"]?.stringValue ?? "").hasPrefix(court.name))
                }
            }
        }
        // 132 misses; with p = 0.65 about 86 are explained.
        #expect((65...105).contains(filed), "\(filed) of 132")
    }
}
