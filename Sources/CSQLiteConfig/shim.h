// sqlite3_config takes variable arguments, which Swift does not call: these wrap the calls
// CourtSync makes. Declared here rather than by including <sqlite3.h>, so that this module and
// GRDB's (which includes it) do not both define SQLite's types.
#ifndef COURTSYNC_SQLITE_CONFIG_H
#define COURTSYNC_SQLITE_CONFIG_H

int sqlite3_config(int, ...);

/// Turns off SQLite's memory statistics (SQLITE_CONFIG_MEMSTATUS, 9), which take a process-wide
/// mutex on every allocation and free. Must run before SQLite is first used; returns
/// SQLITE_MISUSE (21) if it was already, and 0 when done.
static inline int courtsync_sqlite_memory_statistics_off(void) {
    return sqlite3_config(9, 0);
}

#endif
