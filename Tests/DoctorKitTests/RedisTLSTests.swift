import Foundation
import Testing

@testable import DoctorKit
import DoctorSandbox

/// A redis-server speaking only TLS, with a throwaway self-signed certificate for `localhost`.
enum TLSRedis {
    static let password = "tls#redis-\(UUID().uuidString.prefix(6))"

    static let server: Result<(port: UInt16, certificate: String, pid: Int32), TemporaryPostgresError> = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("doctor-redis-tls-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let openssl = Process()
        openssl.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        openssl.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                             "-addext", "subjectAltName=DNS:localhost", "-keyout", folder + "/key.pem", "-out", folder + "/cert.pem"]
        openssl.standardOutput = FileHandle.nullDevice
        openssl.standardError = FileHandle.nullDevice
        do { try openssl.run() } catch { return .failure(.failed("cannot run openssl: \(error)")) }
        openssl.waitUntilExit()
        guard openssl.terminationStatus == 0 else { return .failure(.failed("openssl could not make a certificate")) }
        guard let port = try? freeLoopbackPort() else { return .failure(.failed("no free port")) }
        let redis = Process()
        redis.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        redis.arguments = ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1",
                           "--tls-cert-file", folder + "/cert.pem", "--tls-key-file", folder + "/key.pem",
                           "--tls-ca-cert-file", folder + "/cert.pem", "--tls-auth-clients", "no",
                           "--requirepass", password, "--save", "", "--appendonly", "no", "--daemonize", "no"]
        redis.standardOutput = FileHandle.nullDevice
        redis.standardError = FileHandle.nullDevice
        do { try redis.run() } catch { return .failure(.failed("cannot start redis-server: \(error)")) }
        // SIGKILL: the child inherits the test runner's blocked signal mask (see DatabaseServers).
        atexit { if case let .success(server) = TLSRedis.server { kill(server.pid, SIGKILL) } }
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return .success((port, folder + "/cert.pem", redis.processIdentifier)) }
            usleep(50_000)
        }
        return .failure(.failed("redis-server with TLS did not start"))
    }()

    static func running() -> (port: UInt16, certificate: String)? {
        switch server {
        case let .success(found): return (found.port, found.certificate)
        case let .failure(error):
            if DatabaseServers.isCI { Issue.record("a TLS redis-server is required under CI=true: \(error)") }
            return nil
        }
    }
}

@Suite("Redis over TLS (rediss://) against a real redis-server", .serialized)
struct RedisTLSTests {
    let check = RedisPingCheck.Ping(variable: "REDIS_URL", warn: .seconds(1), fail: .seconds(2), timeout: .seconds(5))

    @Test("an untrusted certificate fails in plain words; trusted (SSL_CERT_FILE) it answers PONG over TLS")
    func tls() async {
        guard let server = TLSRedis.running() else { return }
        let url = "rediss://:\(TLSRedis.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)@localhost:\(server.port)/0"
        let untrusted = await runCheck(check, ["REDIS_URL": url])
        #expect(untrusted.status == .fail)
        #expect(untrusted.summary.contains("certificate verification failed"), "\(untrusted.summary)")
        #expect(!allText(untrusted).contains(TLSRedis.password))

        // OpenSSL's default verify paths honour SSL_CERT_FILE, as they do for every OpenSSL client.
        setenv("SSL_CERT_FILE", server.certificate, 1)
        defer { unsetenv("SSL_CERT_FILE") }
        let trusted = await runCheck(check, ["REDIS_URL": url])
        #expect(trusted.status == .pass, "\(trusted.summary)")
        #expect(trusted.summary.contains("over TLS"), "\(trusted.summary)")
        #expect(!allText(trusted).contains(TLSRedis.password))
    }
}
