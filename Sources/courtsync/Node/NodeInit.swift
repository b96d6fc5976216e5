import ArgumentParser
import CourtPlan
import NodeStore

struct NodeInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "初始化节点 init — Make a court's node: its Ed25519 identity (key file mode 0600) and its empty log.")

    @OptionGroup var node: NodeOptions

    @Option(help: "The court: code (410802), slug (jiefang) or name (解放区人民法院).")
    var court: String

    func run() throws {
        let court = try Plan.shipped.court(court)
        let dir = try NodeDirectory.create(at: node.dir, court: court)
        print("""
            node created in \(dir.path)
              court        \(court.code) \(court.name)
              public key   \(dir.key.publicKey.hex)
              fingerprint  \(dir.key.publicKey.fingerprint)
              key file     \(dir.path)/\(NodeDirectory.keyName) (mode 0600; back it up, never share it)
            """)
    }
}
