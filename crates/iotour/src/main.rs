fn main() -> std::process::ExitCode {
    iotour::cli::main()
}
