// The suite's version, written into every report.
public enum QBenchVersion {
    public static let string = "0.1.0"
}
