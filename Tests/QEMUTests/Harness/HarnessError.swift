/// The one error type the harness throws. Its description is the whole
/// story (Swift Testing prints it as the failure), so it always says what
/// was being done and includes any output that explains why it failed.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
