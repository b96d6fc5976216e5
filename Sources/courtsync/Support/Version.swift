/// `courtsync --version`.
enum CourtSyncVersion {
    static let text = "courtsync 0.12.0 (焦中法〔2022〕77号; protocol courtsync-event/1)"
}
