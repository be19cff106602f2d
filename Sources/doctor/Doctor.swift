import DoctorKit

@main
struct Doctor {
    static func main() {}
}
