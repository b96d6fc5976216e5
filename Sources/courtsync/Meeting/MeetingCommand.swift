import ArgumentParser

/// `courtsync meeting agenda|minutes`: the 双周例会 of the plan's §六.
struct MeetingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meeting",
        abstract: "The 双周例会 (every 14 days from the plan's date): the next agenda from the record, and the minutes as a signed event.",
        subcommands: [MeetingAgendaCommand.self, MeetingMinutesCommand.self])
}
