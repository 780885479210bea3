#pragma once
// Certificate chains from files on disk, in whichever form an operator keeps them.

#include <optional>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "tls/ossl.hpp"

namespace tls_checks::tls {

// One sentence naming the file: "cannot read /x/y.pem: No such file or directory".
struct CertificateFileError {
    std::string message;
};

// Files larger than this are refused unread: a long chain in PEM is a few tens of KiB.
inline constexpr std::size_t max_certificate_file_bytes = 4 * 1024 * 1024;

// A certificate chain read from a file, leaf first, as an operator keeps it on disk:
//  - PEM with one or more CERTIFICATE (or X509 CERTIFICATE, TRUSTED CERTIFICATE) blocks, in file
//    order; other blocks such as keys are skipped, text around the blocks is allowed;
//  - a single DER certificate, the whole file;
//  - PKCS#12: the certificate matching its key, then the CA certificates it carries in file
//    order (without a key: all certificates in file order). The private key is never kept.
//    Files of older tools (RC2, 3DES) make it load OpenSSL's legacy provider, once needed.
// The format is told by content, not by name. `password` is for PKCS#12 only; absent means the
// empty password and then none.
Expected<std::vector<X509Ptr>, CertificateFileError> load_certificate_file(const std::string& path,
                                                                           const std::optional<std::string>& password);

// The first line of a password file, without its line ending ("\n" or "\r\n"); an empty file is
// the empty password.
Expected<std::string, CertificateFileError> read_password_file(const std::string& path);

}  // namespace tls_checks::tls
