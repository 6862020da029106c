// User-facing errors: one line each, naming the file or flag and what was expected.

/// An error a user can act on. `description` is the whole message, printed as one line on stderr.
public enum QBError: Error, CustomStringConvertible, Equatable {
    /// A file could not be read or written.
    case io(path: String, message: String)
    /// A file was read but its content is not what was expected.
    case badInput(path: String, message: String)
    /// A command-line value is not acceptable.
    case badOption(flag: String, message: String)
    /// Anything else, already phrased for the user.
    case other(String)
    /// The work stopped on a signal (SIGINT, SIGTERM) before it finished; `message` says what was kept.
    case interrupted(signal: Int32, message: String)

    public var description: String {
        switch self {
        case let .io(path, message): return "\(path): \(message)"
        case let .badInput(path, message): return "\(path): \(message)"
        case let .badOption(flag, message): return "\(flag): \(message)"
        case let .other(message): return message
        case let .interrupted(_, message): return message
        }
    }
}

extension QBError {
    /// The same error with line breaks and other control characters in its parts escaped (`\n`), so that whatever
    /// a hostile file put in a name or value, the message stays one line.
    public var oneLine: QBError {
        let esc = escapingLineBreaks
        switch self {
        case let .io(path, message): return .io(path: esc(path), message: esc(message))
        case let .badInput(path, message): return .badInput(path: esc(path), message: esc(message))
        case let .badOption(flag, message): return .badOption(flag: esc(flag), message: esc(message))
        case let .other(message): return .other(esc(message))
        case let .interrupted(signal, message): return .interrupted(signal: signal, message: esc(message))
        }
    }
}
