import Testing
import CanonicalJSON
import CourtLog
import CourtPlan
@testable import Projections
@testable import Bulletins

// Issue 11, the plan's working loop: 意见建议 routed, answered, closed and escalated; 说明情况 with a
// deadline from the bulletin's issue date and a review. Expected values worked out by hand.
@Suite("the plan's working loop")
struct WorkingLoopTests {
    static func day(_ s: String) throws -> CivilDate { try CivilDate(parsing: s) }

    func state(_ events: [PolicyEvent]) -> PolicyState {
        var s = PolicyState(plan: .shipped, source: "test")
        // The hub folds by (node, seq); the loop must not depend on it.
        for e in events.sorted(by: { ($0.node, $0.seq) < ($1.node, $1.seq) }) { s.fold(e) }
        return s
    }

    @Test func aSuggestionIsRoutedToTheSystemsLeadAndAnOverdueOneShows() throws {
        let events = [
            try policy(seq: 1, "loop_limit.set", at: "2023-01-02T09:00:00+08:00",
                       ["limit": "suggestion-answer", "days": 10, "effective": "2023-01-01", "document": "焦中法〔2023〕2号"]),
            // online-hearing's lead is trial-management (plan); no system → tech.
            try policy(node: "410802", seq: 1, "suggestion.raised", at: "2023-01-03T10:00:00+08:00",
                       ["unit": "410802", "suggestion": "1", "kind": "problem", "system": "online-hearing", "text": "庭审平台掉线"]),
            try policy(node: "410803", seq: 1, "suggestion.raised", at: "2023-01-05T10:00:00+08:00",
                       ["unit": "410803", "suggestion": "1", "kind": "suggestion", "text": "建议增加培训"]),
            // The answer is in 410800's log with a lower (node, seq) order than the raise it answers.
            try policy(seq: 2, "suggestion.answered", at: "2023-01-09T09:00:00+08:00",
                       ["suggestion": "410803/1", "by": "tech", "text": "二月安排培训"]),
        ]
        let loop = state(events).loop
        let a = try #require(loop.suggestions.first { $0.ref == "410802/1" })
        let b = try #require(loop.suggestions.first { $0.ref == "410803/1" })
        #expect(a.routedTo == "trial-management" && a.autoRouted && a.status == .open)
        #expect(b.routedTo == "tech" && b.status == .answered)
        // 2023-01-13 is 10 days after 01-03: not yet past a 10-day limit; 01-14 is 11 days → overdue.
        #expect(!loop.isOverdue(a, on: try Self.day("2023-01-13")))
        #expect(loop.isOverdue(a, on: try Self.day("2023-01-14")))
        // Answered items never run against the limit.
        #expect(!loop.isOverdue(b, on: try Self.day("2023-03-01")))
    }

    @Test func escalationReopensAndRestartsTheClockAndClosingEndsIt() throws {
        let events = [
            try policy(seq: 1, "loop_limit.set", at: "2023-01-02T09:00:00+08:00",
                       ["limit": "suggestion-answer", "days": 5, "effective": "2023-01-01", "document": "d"]),
            try policy(seq: 2, "suggestion.raised", at: "2023-01-03T10:00:00+08:00",
                       ["unit": "civil-1", "suggestion": "S-1", "kind": "suggestion", "system": "e-service", "text": "批量送达"]),
            try policy(seq: 3, "suggestion.answered", at: "2023-01-04T10:00:00+08:00", ["suggestion": "civil-1/S-1", "by": "case-filing", "text": "研究中"]),
            try policy(seq: 4, "suggestion.escalated", at: "2023-01-20T10:00:00+08:00", ["suggestion": "civil-1/S-1", "to": "office", "reason": "全市问题"]),
        ]
        let loop = state(events).loop
        let s = try #require(loop.suggestions.first)
        let jan20 = try Self.day("2023-01-20"), jan25 = try Self.day("2023-01-25"), jan26 = try Self.day("2023-01-26")
        #expect(s.status == .open && s.routedTo == "office" && s.escalated && s.clockFrom == jan20)
        // 01-25 is 5 days after the escalation (not overdue); 01-26 is 6 (overdue).
        #expect(!loop.isOverdue(s, on: jan25) && loop.isOverdue(s, on: jan26))
        let closed = state(events + [try policy(seq: 5, "suggestion.closed", at: "2023-01-27T10:00:00+08:00",
                                                ["suggestion": "civil-1/S-1", "outcome": "resolved"])]).loop
        let june = try Self.day("2023-06-01")
        #expect(closed.suggestions.first?.status == .closed && !closed.isOverdue(closed.suggestions[0], on: june))
    }

    @Test func explanationsLateReturnedAndMissingStandOut() throws {
        var logs = Logs()
        // September: 410802 1/1 met; 410803 1/2, 410804 0/1 and 410811 0/1 miss online-filing (99%).
        try logs.filed("410802", 1, online: true, day: "2022-09-01")
        try logs.filed("410803", 1, online: true, day: "2022-09-01")
        try logs.filed("410803", 1, online: false, day: "2022-09-02")
        try logs.filed("410804", 1, online: false, day: "2022-09-02")
        try logs.filed("410811", 1, online: false, day: "2022-09-02")
        let explain: (String, Int64, String) throws -> PolicyEvent = { node, seq, at in
            try policy(node: node, seq: seq, "explanation.filed", at: at,
                       ["unit": .string(node), "indicator": "online-filing", "period": "2022-09", "text": "说明", "head": "张庭长"])
        }
        let events = [
            try policy(seq: 1, "loop_limit.set", at: "2022-10-01T09:00:00+08:00",
                       ["limit": "explanation", "days": 7, "effective": "2022-10-01", "document": "d"]),
            // Issued 10-10: explanations are due by 10-17; a reissue later does not move that.
            try policy(seq: 2, "bulletin.issued", at: "2022-10-10T09:00:00+08:00",
                       ["period": "2022-09", "number": "焦中法技〔2022〕9号", "issued": "2022-10-10", "digest": .string(String(repeating: "a", count: 64)), "as_of": "2022-10-09T18:00:00+08:00"]),
            try policy(seq: 3, "bulletin.issued", at: "2022-10-30T09:00:00+08:00",
                       ["period": "2022-09", "number": "焦中法技〔2022〕12号", "issued": "2022-10-30", "digest": .string(String(repeating: "b", count: 64)), "as_of": "2022-10-29T18:00:00+08:00", "reason": "迟到数据"]),
            try explain("410803", 1, "2022-10-12T10:00:00+08:00"),   // on time, then returned
            try explain("410804", 1, "2022-10-18T10:00:00+08:00"),   // one day late, accepted
            try policy(seq: 4, "explanation.reviewed", at: "2022-10-20T09:00:00+08:00",
                       ["unit": "410803", "indicator": "online-filing", "period": "2022-09", "decision": "returned", "reason": "未说明整改措施"]),
            try policy(seq: 5, "explanation.reviewed", at: "2022-10-20T09:05:00+08:00",
                       ["unit": "410804", "indicator": "online-filing", "period": "2022-09", "decision": "accepted"]),
        ]
        let p = try Projected(logs.facts, policy: events)
        let loop = p.projection.policy.loop
        #expect(loop.explanationDeadline(period: "2022-09") == (try Self.day("2022-10-17")))
        let entries = p.projection.accountability(period: try Period(parsing: "2022-09"), counts: p.tally.counts(of: "2022-09"))
            .filter { $0.indicator == "online-filing" }
        let on = try Self.day("2022-10-25")
        func st(_ unit: String) throws -> ExplanationStatus {
            p.projection.explanationStatus(try #require(entries.first { $0.unit == unit }), loop: loop, on: on)
        }
        #expect(try st("410803").state == .returned && st("410803").standsOut && st("410803").reason == "未说明整改措施" && !st("410803").late)
        #expect(try st("410804").state == .accepted && st("410804").late && !st("410804").standsOut && st("410804").head == "张庭长")
        #expect(try st("410811").state == .notExplained && st("410811").late && st("410811").standsOut && st("410811").chinese == "逾期未说明")
        // 410803 explains again: the return is answered and awaits review.
        let again = try Projected(logs.facts, policy: events + [try explain("410803", 2, "2022-10-22T10:00:00+08:00")])
        let e803 = try #require(again.projection.accountability(period: try Period(parsing: "2022-09"), counts: again.tally.counts(of: "2022-09"))
            .first { $0.unit == "410803" && $0.indicator == "online-filing" })
        #expect(again.projection.explanationStatus(e803, loop: again.projection.policy.loop, on: on).state == .awaitingReview)
    }

    @Test func policyCheckRefusesBadLoopEvents() throws {
        let at = try EventTime(parsing: "2023-01-03T10:00:00+08:00")
        func check(_ node: String, _ type: String, _ data: [String: JSONValue]) throws {
            try PolicyCheck.check(try EventDraft(id: "x", type: type, at: at, dept: nil, data: data), node: node, plan: .shipped)
        }
        let raise: [String: JSONValue] = ["unit": "410803", "suggestion": "1", "kind": "problem", "text": "t"]
        #expect(throws: EventError.self) { try check("410802", "suggestion.raised", raise) }
        #expect(throws: EventError.self) { try check("410803", "suggestion.raised", raise.merging(["system": "online-hearng"]) { $1 }) }
        #expect(throws: EventError.self) { try check("410802", "suggestion.answered", ["suggestion": "410802/1", "by": "tech", "text": "t"]) }
        #expect(throws: EventError.self) { try check("410800", "suggestion.routed", ["suggestion": "410802/1", "to": "nobody"]) }
        #expect(throws: EventError.self) { try check("410800", "explanation.reviewed",
                                                     ["unit": "410802", "indicator": "online-filing", "period": "2022-09", "decision": "returned"]) }
        #expect(throws: EventError.self) { try check("410800", "bulletin.issued",
                                                     ["period": "2022-09", "number": "n", "issued": "2022-10-10", "digest": "xyz", "as_of": "2022-10-09T18:00:00+08:00"]) }
        try check("410803", "suggestion.raised", raise.merging(["system": "online-hearing"]) { $1 })
    }
}

@Suite("the working loop in the bulletin")
struct WorkingLoopBulletinTests {
    @Test func theNextBulletinListsUnitsThatNeverExplainedOrWereReturned() throws {
        // twoCourtCity: June 410803 95/100 = 95.00% < 99% missed, never explained for June.
        let p = try twoCourtCity()
        let md = BulletinMarkdown.render(try bulletin(p, .monthly, "2023-07"))
        #expect(md.contains("上期未说明或被退回未重新说明的单位"), "\(md)")
        #expect(md.contains("| 网上立案率 | 2023-06 | **未说明** |"), "\(md)")
        // July's own explanation by 410803 is not "outstanding" for the August bulletin until
        // returned; returned (no new filing) it stands out with its reason.
        var events = p.projection.policy.events
        events.append(try policy(seq: 3, "explanation.reviewed", at: "2023-08-20T09:00:00+08:00",
                                 ["unit": "410803", "indicator": "online-filing", "period": "2023-07", "decision": "returned", "reason": "缺整改时限"]))
        var state = PolicyState(plan: .shipped, source: "test")
        for e in events { state.fold(e) }
        let returned = Projection(policy: state, rosters: p.projection.rosters)
        let outstanding = try Bulletin.outstanding(before: try Period(parsing: "2023-08"), projection: returned, counts: { p.tally.counts(of: $0) })
        let e = try #require(outstanding.first { $0.entry.unit == "410803" && $0.entry.indicator == "online-filing" })
        #expect(e.status.state == .returned && e.status.reason == "缺整改时限")
    }

    @Test func theBulletinShowsScoresWhenAStandardIsInForce() throws {
        let p = try twoCourtCity()
        var state = PolicyState(plan: .shipped, source: "test")
        for e in p.projection.policy.events { state.fold(e) }
        state.fold(try policy(seq: 9, "score_standard.set", at: "2023-07-01T09:00:00+08:00",
                              ["lead": "case-filing", "indicator": "online-filing", "weight": 10, "scoring": "met", "effective": "2023-07-01", "document": "d"]))
        let scored = Projection(policy: state, rosters: p.projection.rosters)
        let b = try Bulletin.make(kind: .monthly, period: try Period(parsing: "2023-07"), projection: scored,
                                  counts: { p.tally.counts(of: $0) }, dataNote: "数据来源：测试")
        // July: 410802 198/200 = 99.00% met → 10.00 of 10 → 100.00; 410803 97/100 missed → 0.00.
        let md = BulletinMarkdown.render(b)
        #expect(md.contains("## 考核得分"), "\(md)")
        #expect(md.contains("| 法院1/2 | ") && md.contains("| 100.00 | 100.00 | 0 | — | 网上立案率 10.00/10 |"), "\(md)")
        #expect(BulletinHTML.render(b).contains("<h2>考核得分</h2>"))
    }
}
