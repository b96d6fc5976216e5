import ArgumentParser

/// `courtsync standings`: the province's standings (方案§三.3), recorded at the hub.
struct StandingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "standings",
        abstract: "The provincial court's standings of the city (全省排名), recorded as signed events at the hub's node 410800.",
        subcommands: [StandingsImport.self])
}
