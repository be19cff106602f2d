extension Template {
    /// The template with the configuration's variables filled in, or the step's stop: unknown,
    /// naming the variables to set (a missing input is not a failure of the service).
    func expanded(in configuration: Configuration) -> Result<String, StepStop> {
        switch expand(configuration) {
        case let .success(text): return .success(text)
        case let .failure(missing):
            return .failure(StepStop(.unknown, missing.message, hint: "Set \(missing.names.joined(separator: ", ")) in the environment or .env."))
        }
    }
}
