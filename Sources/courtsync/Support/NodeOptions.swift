import ArgumentParser

/// `--dir D`: the node directory a command works on.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The node directory (made by `courtsync node init`).")
    var dir: String
}
