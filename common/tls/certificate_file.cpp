#include "tls/certificate_file.hpp"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace tls_checks::tls {

namespace {

class FileDescriptor {
public:
    explicit FileDescriptor(int descriptor) noexcept : descriptor_(descriptor) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    ~FileDescriptor() {
        if (descriptor_ >= 0) (void)::close(descriptor_);
    }
    [[nodiscard]] int get() const noexcept { return descriptor_; }

private:
    int descriptor_;
};

Unexpected<CertificateFileError> failure(std::string message) { return unexpected(CertificateFileError{std::move(message)}); }

Unexpected<CertificateFileError> cannot_read(const std::string& path, int error) {
    return failure("cannot read " + path + ": " + std::strerror(error));
}

Unexpected<CertificateFileError> too_large(const std::string& path) {
    return failure(path + " is larger than " + std::to_string(max_certificate_file_bytes / (1024 * 1024)) + " MiB");
}

// The whole file, or an error once it grows past the bound. The bound is enforced while
// reading, not only by fstat(), so that a pipe or a file still being written is bounded too.
Expected<std::string, CertificateFileError> read_bounded(const std::string& path) {
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (file.get() < 0) return cannot_read(path, errno);
    struct stat status {};
    if (::fstat(file.get(), &status) == 0 && S_ISREG(status.st_mode) &&
        static_cast<std::uintmax_t>(status.st_size) > max_certificate_file_bytes)
        return too_large(path);
    std::string content;
    std::array<char, 16 * 1024> chunk{};
    for (;;) {
        const ssize_t got = ::read(file.get(), chunk.data(), chunk.size());
        if (got < 0) {
            if (errno == EINTR) continue;
            return cannot_read(path, errno);
        }
        if (got == 0) return content;
        content.append(chunk.data(), static_cast<std::size_t>(got));
        if (content.size() > max_certificate_file_bytes) return too_large(path);
    }
}

const unsigned char* bytes(const std::string& content) noexcept {
    return reinterpret_cast<const unsigned char*>(content.data());
}

Unexpected<CertificateFileError> not_a_certificate_file(const std::string& path) {
    return failure(path + ": not a PEM, DER or PKCS#12 certificate file");
}

// Every DER certificate and PKCS#12 PFX is an ASN.1 SEQUENCE (X.690 §8.9: tag 0x30) longer than
// 127 bytes, so its second byte is a long-form or indefinite length (bit 8 set, §8.1.3) that
// no text has. Everything else is read as PEM.
bool is_binary(const std::string& content) noexcept {
    return content.size() >= 2 && bytes(content)[0] == 0x30 && (bytes(content)[1] & 0x80) != 0;
}

// PEM_read_bio() rather than PEM_read_bio_X509(): the latter looks up PEM encryption ciphers
// first, which loads OpenSSL's whole cipher table, and certificates are never encrypted.
Expected<std::vector<X509Ptr>, CertificateFileError> read_pem(const std::string& path, const std::string& content) {
    BioPtr bio(BIO_new_mem_buf(content.data(), static_cast<int>(content.size())));
    if (!bio) return failure(path + ": " + drain_openssl_errors());
    std::vector<X509Ptr> chain;
    int blocks = 0;
    ERR_clear_error();
    for (;;) {
        char* name = nullptr;
        char* header = nullptr;
        unsigned char* data = nullptr;
        long length = 0;
        const int read = PEM_read_bio(bio.get(), &name, &header, &data, &length);
        const OpenSslMemoryPtr<char> name_owner(name);
        const OpenSslMemoryPtr<char> header_owner(header);
        const OpenSslMemoryPtr<unsigned char> data_owner(data);
        if (read != 1) {
            // The loop ends on "no start line" after the last block. Text before, between and
            // after the blocks is allowed (RFC 7468 §2: parsers must not malfunction on it).
            const unsigned long last = ERR_peek_last_error();
            if (ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) break;
            return failure(path + ": PEM block " + std::to_string(blocks + 1) + " is broken: " + drain_openssl_errors());
        }
        ++blocks;
        const std::string_view block_name(name);
        const unsigned char* cursor = data;
        X509Ptr certificate;
        if (block_name == PEM_STRING_X509 || block_name == PEM_STRING_X509_OLD) {
            certificate.reset(d2i_X509(nullptr, &cursor, length));
        } else if (block_name == PEM_STRING_X509_TRUSTED) {
            certificate.reset(d2i_X509_AUX(nullptr, &cursor, length));
        } else {
            continue;  // a key, CRL or request kept next to the chain is not part of it
        }
        if (!certificate || cursor != data + length) {
            return failure(path + ": the certificate in PEM block " + std::to_string(blocks) +
                           " is broken: " + drain_openssl_errors("bytes after its end"));
        }
        chain.push_back(std::move(certificate));
    }
    ERR_clear_error();
    if (blocks == 0) return not_a_certificate_file(path);
    if (chain.empty()) return failure(path + ": PEM file without a CERTIFICATE block");
    return chain;
}

// The whole file as one DER certificate, or nothing.
X509Ptr read_der(const std::string& content) {
    const unsigned char* cursor = bytes(content);
    X509Ptr certificate(d2i_X509(nullptr, &cursor, static_cast<long>(content.size())));
    ERR_clear_error();
    if (certificate && cursor != bytes(content) + content.size()) certificate.reset();
    return certificate;
}

enum class Pkcs12Problem { bad_password, unsupported_algorithm, broken };

struct Pkcs12Failure {
    Pkcs12Problem problem;
    std::string reason;
};

Expected<std::vector<X509Ptr>, Pkcs12Failure> parse_pkcs12(PKCS12* pkcs12, const std::optional<std::string>& password) {
    // PKCS12_parse() tries no password and then the empty one by itself when given none. A file
    // without a MAC (openssl pkcs12 -nomac) makes it refuse any other password ("mac absent"),
    // although the contents may well be readable without one.
    const char* pass = password && PKCS12_mac_present(pkcs12) == 1 ? password->c_str() : nullptr;
    ERR_clear_error();
    EVP_PKEY* key = nullptr;
    X509* certificate = nullptr;
    STACK_OF(X509)* ca = nullptr;
    const int parsed = PKCS12_parse(pkcs12, pass, &key, &certificate, &ca);
    const EvpPkeyPtr private_key(key);  // it only told which certificate is the leaf; never kept
    X509Ptr leaf(certificate);
    const X509StackPtr others(ca);
    if (parsed != 1) {
        // A missing algorithm is reported where the fetch failed, first in the queue; a wrong
        // password last, by PKCS12_parse() itself.
        const unsigned long first = ERR_peek_error();
        const unsigned long last = ERR_peek_last_error();
        Pkcs12Problem problem = Pkcs12Problem::broken;
        if (ERR_GET_REASON(first) == ERR_R_UNSUPPORTED) problem = Pkcs12Problem::unsupported_algorithm;
        else if (ERR_GET_LIB(last) == ERR_LIB_PKCS12 && ERR_GET_REASON(last) == PKCS12_R_MAC_VERIFY_FAILURE)
            problem = Pkcs12Problem::bad_password;
        return unexpected(Pkcs12Failure{problem, drain_openssl_errors()});
    }
    // The certificate that matches the key is the leaf; PKCS12_parse() hands the others back in
    // the order of the file's bags.
    std::vector<X509Ptr> chain;
    if (leaf) chain.push_back(std::move(leaf));
    for (int i = 0; i < sk_X509_num(others.get()); ++i) chain.push_back(share(sk_X509_value(others.get(), i)));
    return chain;
}

// OpenSSL 3 moved RC2 and RC4, which PKCS#12 files of older tools encrypt with, to the legacy
// provider, which nothing loads by default. Loading a provider explicitly ends OpenSSL's implicit
// use of the default one, so that is loaded too. Both stay loaded until the process exits.
Expected<Done, std::string> load_legacy_provider() {
    if (OSSL_PROVIDER_load(nullptr, "default") == nullptr) return unexpected(drain_openssl_errors());
    if (OSSL_PROVIDER_load(nullptr, "legacy") == nullptr) return unexpected(drain_openssl_errors());
    return Done{};
}

Expected<std::vector<X509Ptr>, CertificateFileError> read_pkcs12(const std::string& path, PKCS12* pkcs12,
                                                                 const std::optional<std::string>& password) {
    auto parsed = parse_pkcs12(pkcs12, password);
    if (!parsed && parsed.error().problem == Pkcs12Problem::unsupported_algorithm &&
        OSSL_PROVIDER_available(nullptr, "legacy") != 1) {
        if (auto loaded = load_legacy_provider(); !loaded) {
            return failure(path + ": PKCS#12 file uses a legacy algorithm (RC2, RC4), and OpenSSL's legacy provider "
                                  "cannot be loaded: " + loaded.error());
        }
        parsed = parse_pkcs12(pkcs12, password);
    }
    if (!parsed) {
        switch (parsed.error().problem) {
        case Pkcs12Problem::bad_password:
            if (password) return failure(path + ": wrong PKCS#12 password");
            return failure(path + ": PKCS#12 file needs a password (--password-file)");
        case Pkcs12Problem::unsupported_algorithm:
            return failure(path + ": PKCS#12 file uses an algorithm this OpenSSL lacks: " + parsed.error().reason);
        case Pkcs12Problem::broken:
            break;
        }
        return failure(path + ": broken PKCS#12 file: " + parsed.error().reason);
    }
    if (parsed->empty()) return failure(path + ": PKCS#12 file without a certificate");
    return std::move(*parsed);
}

}  // namespace

Expected<std::vector<X509Ptr>, CertificateFileError> load_certificate_file(const std::string& path,
                                                                           const std::optional<std::string>& password) {
    init_openssl();
    auto content = read_bounded(path);
    if (!content) return unexpected(std::move(content.error()));
    if (content->empty()) return failure(path + " is empty");
    if (!is_binary(*content)) return read_pem(path, *content);
    if (X509Ptr certificate = read_der(*content)) {
        std::vector<X509Ptr> chain;
        chain.push_back(std::move(certificate));
        return chain;
    }
    const unsigned char* cursor = bytes(*content);
    const Pkcs12Ptr pkcs12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(content->size())));
    if (!pkcs12) {
        ERR_clear_error();
        return not_a_certificate_file(path);
    }
    return read_pkcs12(path, pkcs12.get(), password);
}

Expected<std::string, CertificateFileError> read_password_file(const std::string& path) {
    auto content = read_bounded(path);
    if (!content) return unexpected(std::move(content.error()));
    std::string line = content->substr(0, content->find('\n'));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

}  // namespace tls_checks::tls
