import Bulletins
import CanonicalJSON
import CitySimulation
import CourtLog
import CourtPlan
import Foundation
import Projections
import QueryViews
import TransparencyLog
#if canImport(Glibc)
import Glibc
#endif

/// What the demo remembers of the working loop between months.
struct DemoLoopState {
    /// Items raised, by reference: the month raised, the department that answers, whether answered.
    var items: [(ref: String, month: Int, lead: String, answered: Bool, escalated: Bool)] = []
    /// Explanations already reviewed, by node/seq.
    var reviewed: Set<String> = []
}

extension DemoRun {
    /// The plan's working loop in month `k` (issue 11): 意见建议 raised at the courts and answered,
    /// escalated or left overdue at 410800; explanations the hub has received reviewed (most accepted,
    /// some returned, and some of those explained again); the 双周例会 that fall in the month, the
    /// first approving last month's draft bulletin; and the month's 考核 scores.
    mutating func workingLoop(month k: Int, source: ProjectionSource) throws -> [String] {
        guard case .month(let y, let m) = simulation.period(k) else { return [] }
        func day(_ d: Int, _ hm: String = "09:00:00") -> String { "\(CivilDate(year: y, month: m, day: d).text)T\(hm)+08:00" }
        let ic = hub.node
        var policy: [EventDraft] = []
        if k == 0 {
            let first = CivilDate(year: y, month: m, day: 1).text
            let doc = "焦中法〔\(y)〕演示考核1号"
            let data: [(String, [String: JSONValue])] = [
                ("loop_limit.set", ["limit": "suggestion-answer", "days": 10, "effective": .string(first), "document": .string(doc)]),
                ("loop_limit.set", ["limit": "explanation", "days": 10, "effective": .string(first), "document": .string(doc)]),
                ("score_rules.set", ["late_explanation": 100, "missing_explanation": 300, "external_per_10k": 2000, "effective": .string(first), "document": .string(doc)]),
                ("score_standard.set", ["lead": "case-filing", "indicator": "online-filing", "weight": 10, "scoring": "bands",
                                        "bands": ["9900:100", "9500:60", "9000:30"], "effective": .string(first), "document": .string(doc)]),
                ("score_standard.set", ["lead": "trial-management", "indicator": "online-hearing", "weight": 5, "scoring": "rank",
                                        "effective": .string(first), "document": .string(doc)]),
                ("score_standard.set", ["lead": "case-filing", "indicator": "e-service", "weight": 5, "scoring": "met",
                                        "effective": .string(first), "document": .string(doc)]),
            ]
            for (i, (type, d)) in data.enumerated() {
                policy.append(try EventDraft(id: "loop-setup-\(i)", type: type, at: EventTime(parsing: day(1, "08:00:00")), dept: "tech", data: d))
            }
        }
        var r = SplitMix(seed: simulation.seed, stream: "loop/\(k)")
        let grassroots = plan.courts.filter { $0.level == "grassroots" }.map(\.code)
        let systems = plan.indicators.map(\.slug)
        // 意见建议 raised this month at grassroots courts (they reach the hub with next month's sync).
        var raised = 0
        for i in 0..<r.int(1...2) {
            let court = grassroots[r.int(0...grassroots.count - 1)]
            let system = systems[r.int(0...systems.count - 1)]
            let id = "\(y)-\(m)-\(i + 1)"
            let kind = r.chance(0.5) ? "problem" : "suggestion"
            let text = kind == "problem" ? "\(name(court))反映：\(system) 系统近期运行不稳定，影响网上办理。" : "\(name(court))建议：\(system) 增加批量操作和操作指引。"
            try append([try EventDraft(id: "suggest-\(id)", type: "suggestion.raised", at: EventTime(parsing: day(10 + i)), dept: nil,
                                       data: ["unit": .string(court), "suggestion": .string(id), "kind": .string(kind), "system": .string(system),
                                              "text": .string(text), "contact": "技术联络员"])], to: node(court))
            let lead = (try? plan.indicator(system))?.lead.first ?? "tech"
            loop.items.append((ref: "\(court)/\(id)", month: k, lead: lead, answered: false, escalated: false))
            raised += 1
        }
        // Last month's items: most answered on the 5th, a few left to run past the limit; items two
        // months old and still open are escalated to the office.
        var answered = 0, escalated = 0
        for i in loop.items.indices where !loop.items[i].answered {
            let item = loop.items[i]
            if item.month == k - 1 && r.chance(0.75) {
                policy.append(try EventDraft(id: "answer-\(item.ref)", type: "suggestion.answered", at: EventTime(parsing: day(5)), dept: "tech",
                                             data: ["suggestion": .string(item.ref), "by": .string(item.lead), "text": "已研究，正在协调厂商处理。"]))
                if r.chance(0.6) {
                    policy.append(try EventDraft(id: "close-\(item.ref)", type: "suggestion.closed", at: EventTime(parsing: day(20)), dept: "tech",
                                                 data: ["suggestion": .string(item.ref), "outcome": "resolved"]))
                }
                loop.items[i].answered = true
                answered += 1
            } else if item.month == k - 2 && !item.escalated {
                policy.append(try EventDraft(id: "escalate-\(item.ref)", type: "suggestion.escalated", at: EventTime(parsing: day(8)), dept: "tech",
                                             data: ["suggestion": .string(item.ref), "to": "office", "reason": "超过答复时限，提请领导小组办公室协调。"]))
                loop.items[i].escalated = true
                escalated += 1
            }
        }
        // Reviews of the explanations the hub holds: accepted, or returned (and sometimes explained again).
        var accepted = 0, returned = 0
        var refiled: [String: [EventDraft]] = [:]
        for x in source.policy.explanations where loop.reviewed.insert("\(x.node)/\(x.seq)").inserted {
            guard let filed = try? EventTime(parsing: x.at) else { continue }
            let reviewAt = EventTime(beijing: filed.utcSeconds + 7 * 86400)
            var rr = SplitMix(seed: simulation.seed, stream: "review/\(x.node)/\(x.seq)")
            let back = rr.chance(0.2)
            var data: [String: JSONValue] = ["unit": .string(x.unit), "indicator": .string(x.indicator), "period": .string(x.period),
                                             "decision": back ? "returned" : "accepted", "reviewer": "信息化领导小组办公室"]
            if back { data["reason"] = "未说明整改时限和责任人，请部门负责人重新说明。" }
            policy.append(try EventDraft(id: "review-\(x.node)-\(x.seq)", type: "explanation.reviewed", at: reviewAt, dept: nil, data: data))
            if back { returned += 1 } else { accepted += 1 }
            if back && rr.chance(0.5) {
                let filer = nodes[x.unit] != nil ? x.unit : PolicyAuthority.intermediateCourt
                let again: [String: JSONValue] = ["unit": .string(x.unit), "indicator": .string(x.indicator), "period": .string(x.period),
                                                  "text": .string("补充说明：已明确整改时限为下月底，由部门负责人督办。"), "head": "部门负责人"]
                refiled[filer, default: []].append(try EventDraft(id: "explain-again-\(x.node)-\(x.seq)", type: "explanation.filed",
                                                                   at: EventTime(beijing: reviewAt.utcSeconds + 3 * 86400), dept: nil, data: again))
            }
        }
        // The business lines' own assessments (推进要求2): 审判管理 scores every grassroots court for
        // the month, and for the half-year when one closes; the office's weight (score_rules.set
        // above) combines them with the internal score.
        var lines = 0
        var periods = [simulation.period(k)]
        if m == 6 || m == 12 { periods.append(.half(year: y, half: m == 6 ? 1 : 2)) }
        for period in periods {
            var rs = SplitMix(seed: simulation.seed, stream: "external/\(period)")
            for court in grassroots {
                policy.append(try EventDraft(id: "external-\(court)-\(period)", type: "external_score.recorded", at: EventTime(parsing: day(25, "10:00:00")),
                                             dept: "tech", data: ["unit": .string(court), "period": .string(period.description), "line": "审判管理",
                                                                  "score": .int(Int64(rs.int(72...98) * 100)), "document": .string("焦中法审管〔\(y)〕演示评分")]))
                lines += 1
            }
        }
        // The 双周例会 of the month (every 14 days from the plan's date).
        let planDate = (try? CivilDate(parsing: plan.document.effective)) ?? CivilDate(year: 2022, month: 7, day: 28)
        var meetings = 0
        var firstMeeting: CivilDate?
        var d = WorkingLoop.regularMeeting(onOrAfter: CivilDate(year: y, month: m, day: 1), planDate: planDate)
        while d.year == y && d.month == m {
            var data: [String: JSONValue] = ["date": .string(d.text), "kind": "regular", "attendees": ["技术处", "立案庭", "审管办", "办公室"],
                                             "minutes": .string("听取意见建议办理和说明情况审核情况；审议通报草稿。")]
            if meetings == 0 && k > 0 { data["approves"] = .array([.string("bulletin:\(simulation.period(k - 1))")]) }
            policy.append(try EventDraft(id: "meeting-\(d.text)", type: "meeting.held", at: EventTime(parsing: "\(d.text)T16:00:00+08:00"), dept: "tech", data: data))
            meetings += 1
            if firstMeeting == nil { firstMeeting = d }
            d = WorkingLoop.regularMeeting(onOrAfter: CivilDate(utcSeconds: Int64(d.daysSinceEpoch + 1) * 86400), planDate: planDate)
        }
        try append(policy, to: ic)
        for (code, drafts) in refiled { try append(drafts, to: node(code)) }
        // Last month's bulletin, approved at the first meeting, is issued the day after it: its
        // Markdown as of a whole second that has passed (so a replay as of then gives exactly it).
        var issuedNote: String?
        if k > 0, let meeting = firstMeeting {
            let cutoff = nowSeconds
            while nowSeconds <= cutoff { usleep(20_000) }
            // The figures as of the cutoff, by the same replay `report --as-of` makes.
            let src = try ProjectionSource.replayed(hub.store, recordedBy: cutoff)
            let prev = simulation.period(k - 1)
            let bulletin = try Bulletin.make(kind: .monthly, period: prev, projection: src.projection, counts: src.counts, dataNote: "数据来源：演示")
            let digest = WorkingLoop.digest(ofMarkdown: BulletinMarkdown.render(bulletin.bound))
            let issued = CivilDate(utcSeconds: Int64(meeting.daysSinceEpoch + 1) * 86400)
            let number = "焦中法技〔\(y)〕演示\(m)号"
            var data: [String: JSONValue] = ["period": .string(prev.description), "number": .string(number), "issued": .string(issued.text),
                                             "digest": .string(digest), "as_of": .string(EventTime(beijing: cutoff).text),
                                             "approved_by": .string("双周例会 \(meeting.text)")]
            // Bind the checkpoint that holds exactly these records (protocol §16.12), as `report --issue`
            // does: nothing is pushed while the demo issues, so the tree brought up to date holds the
            // records as of the cutoff; the figures replayed at that checkpoint must give the same digest.
            let checkpoint = try hub.currentCheckpoint()
            let atCheckpoint = try ProjectionSource.checkpointed(hub.store, treeSize: checkpoint.size)
            let same = try Bulletin.make(kind: .monthly, period: prev, projection: atCheckpoint.projection, counts: atCheckpoint.counts, dataNote: "数据来源：演示")
            guard WorkingLoop.digest(ofMarkdown: BulletinMarkdown.render(same.bound)) == digest else {
                throw EventError("the demo's checkpoint \(checkpoint.size) does not hold exactly the records of \(prev)'s bulletin as of its cutoff")
            }
            let root = try Checkpoint(body: try hub.checkpointSigner().verifier.verify(note: checkpoint.checkpoint)).root
            data["checkpoint_size"] = .int(checkpoint.size)
            data["checkpoint_root"] = .string(Data(root).base64EncodedString())
            try append([try EventDraft(id: "issue-\(prev)", type: "bulletin.issued", at: EventTime(parsing: "\(issued.text)T09:00:00+08:00"), dept: "tech",
                                       data: data)], to: ic)
            issuedNote = "\(prev) 月通报 issued as \(number) on \(issued.text) after the 双周例会 of \(meeting.text) approved it"
        }
        var notes = ["working loop: \(raised) 意见建议 raised, \(answered) answered, \(escalated) escalated; \(accepted + returned) explanations reviewed (\(returned) returned, \(refiled.values.reduce(0) { $0 + $1.count }) explained again); \(meetings) 双周例会; \(lines) business-line scores"]
        if let issuedNote { notes.append(issuedNote) }
        // This month's 考核 scores, as the hub knows them now.
        let now = try ProjectionSource.stored(hub.store)
        let p = simulation.period(k)
        let scores = now.projection.scores(period: p, counts: try now.counts(p.description), on: p.lastDay)
        if let top = scores.first(where: { $0.unitKind == "court" && $0.rank == 1 }) {
            notes.append("考核 \(p): first \(top.unitName) \(Projection.points(top.total)) of \(scores.filter { $0.unitKind == "court" }.count) courts scored")
        }
        return notes
    }
}
