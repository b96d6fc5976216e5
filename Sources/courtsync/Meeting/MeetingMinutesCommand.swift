import ArgumentParser
import CanonicalJSON
import CourtLog
import NodeStore
import Projections
import QueryViews

struct MeetingMinutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minutes",
        abstract: "Record the minutes of a meeting (meeting.held) in the hub's log: attendees, minutes, approvals.",
        discussion: "Example: courtsync meeting minutes --dir HUB --date 2022-10-06 --attendee 技术处 --attendee 立案庭 --text '审议9月通报草稿' --approve bulletin:2022-09")

    @Option(help: "The hub directory (the intermediate court's node).")
    var dir: String

    @Option(help: "The meeting's date YYYY-MM-DD: a 双周例会 date, or any date with --extra.")
    var date: String

    @Flag(help: "An extra meeting (emergency), not on the 14-day schedule.")
    var extra = false

    @Option(name: .customLong("attendee"), help: "Who attended (repeat).")
    var attendees: [String] = []

    @Option(help: "The minutes: topics and decisions.")
    var text: String

    @Option(name: .customLong("approve"), help: "A decision approving bulletin:PERIOD (a draft bulletin) or policy:SEQ (a policy event of the hub's log) (repeat).")
    var approves: [String] = []

    func run() throws {
        let day = try CivilDate(parsing: date)
        guard !attendees.isEmpty else { throw EventError("give the attendees with --attendee NAME (repeat for each)") }
        let node = try NodeDirectory.open(at: dir)
        guard node.court.code == PolicyAuthority.intermediateCourt else {
            throw EventError("minutes are recorded by the intermediate court (410800): \(dir) is the node of \(node.court.code); give the hub directory")
        }
        let source = try ProjectionSource.stored(node.store)
        let planDate = (try? CivilDate(parsing: source.plan.document.effective)) ?? CivilDate(year: 2022, month: 7, day: 28)
        let regular = WorkingLoop.regularMeeting(onOrAfter: day, planDate: planDate)
        if !extra && regular != day {
            throw EventError("\(day.text) is no 双周例会 date (every 14 days from \(planDate.text); the next is \(regular.text)): use that date, or --extra for an extra meeting")
        }
        let seqs = Set(source.policy.events.filter { $0.node == PolicyAuthority.intermediateCourt }.map(\.seq))
        for a in approves {
            if a.hasPrefix("bulletin:") {
                _ = try Period(parsing: String(a.dropFirst("bulletin:".count)))
            } else if a.hasPrefix("policy:"), let seq = Int64(a.dropFirst("policy:".count)) {
                guard seqs.contains(seq) else { throw EventError("--approve \(a): the hub's log has no policy event at seq \(seq)") }
            } else {
                throw EventError("--approve \(a) is not bulletin:PERIOD or policy:SEQ, e.g. --approve bulletin:2022-09")
            }
        }
        var data: [String: JSONValue] = [
            "date": .string(day.text), "kind": .string(extra ? "extra" : "regular"),
            "attendees": .array(attendees.map { .string($0) }), "minutes": .string(text),
        ]
        if !approves.isEmpty { data["approves"] = .array(approves.map { .string($0) }) }
        let draft = try EventRecordReader().draft(id: "meeting-\(day.text)-\(extra ? "extra" : "regular")", type: "meeting.held",
                                                  at: "\(day.text)T16:00:00+08:00", dept: "tech", data: data)
        let outcome = try node.append([draft], recordedAt: nowSeconds)
        if let e = outcome.appended.first {
            print("minutes of \(day.text) recorded as seq \(e.seq)\(approves.isEmpty ? "" : "; approved: \(approves.joined(separator: ", "))")")
        } else {
            print("minutes of \(day.text) already recorded with the same content: nothing appended")
        }
    }
}
