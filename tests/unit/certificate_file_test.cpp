// Certificate files on disk: PEM, DER and PKCS#12 told apart by content, leaf first, and every
// way such a file can be wrong.

#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <vector>

#include "tls/certificate_file.hpp"

using namespace tls_checks::tls;

namespace {

struct Identity {
    EvpPkeyPtr key;
    X509Ptr certificate;
};

// A certificate for `common_name`, signed by `issuer` (self-signed without one). P-256 keys:
// the quickest to make.
Identity make_identity(const std::string& common_name, const Identity* issuer = nullptr) {
    init_openssl();
    Identity made;
    made.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    BOOST_REQUIRE(made.key);
    made.certificate.reset(X509_new());
    X509* certificate = made.certificate.get();
    BOOST_REQUIRE(certificate != nullptr);
    BOOST_REQUIRE(X509_set_version(certificate, X509_VERSION_3) == 1);
    BOOST_REQUIRE(ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1) == 1);
    BOOST_REQUIRE(X509_gmtime_adj(X509_getm_notBefore(certificate), 0) != nullptr);
    BOOST_REQUIRE(X509_gmtime_adj(X509_getm_notAfter(certificate), 86400) != nullptr);
    BOOST_REQUIRE(X509_NAME_add_entry_by_txt(X509_get_subject_name(certificate), "CN", MBSTRING_UTF8,
                                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1);
    const Identity& signer = issuer != nullptr ? *issuer : made;
    BOOST_REQUIRE(X509_set_issuer_name(certificate, X509_get_subject_name(signer.certificate.get())) == 1);
    BOOST_REQUIRE(X509_set_pubkey(certificate, made.key.get()) == 1);
    BOOST_REQUIRE(X509_sign(certificate, signer.key.get(), EVP_sha256()) > 0);
    return made;
}

std::string common_name(X509* certificate) {
    std::string name(256, '\0');
    const int length = X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name.data(),
                                                 static_cast<int>(name.size()));
    name.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
    return name;
}

std::vector<std::string> common_names(const std::vector<X509Ptr>& chain) {
    std::vector<std::string> names;
    for (const auto& certificate : chain) names.push_back(common_name(certificate.get()));
    return names;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(length));
}

std::string pem_of(X509* certificate) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(PEM_write_bio_X509(bio.get(), certificate) == 1);
    return bio_contents(bio.get());
}

std::string pem_of(EVP_PKEY* key) {
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1);
    return bio_contents(bio.get());
}

std::string der_of(X509* certificate) {
    unsigned char* der = nullptr;
    const int length = i2d_X509(certificate, &der);
    BOOST_REQUIRE(length > 0);
    const OpenSslMemoryPtr<unsigned char> owner(der);
    return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

std::string der_of(PKCS12* pkcs12) {
    unsigned char* der = nullptr;
    const int length = i2d_PKCS12(pkcs12, &der);
    BOOST_REQUIRE(length > 0);
    const OpenSslMemoryPtr<unsigned char> owner(der);
    return std::string(reinterpret_cast<const char*>(der), static_cast<std::size_t>(length));
}

// The plugins leave OpenSSL's legacy cipher name table empty (init_openssl), and PKCS12_create()
// looks its encryption up there: this test process fills it before anything initialises OpenSSL,
// so that it can write the files the loader reads. The loader itself is proven without the table
// by the integration tests (check_tls_cert --file with PKCS#12 files).
struct LegacyCipherNamesForWritingPkcs12 {
    LegacyCipherNamesForWritingPkcs12() { OPENSSL_init_crypto(OPENSSL_INIT_ADD_ALL_CIPHERS, nullptr); }
};
BOOST_TEST_GLOBAL_FIXTURE(LegacyCipherNamesForWritingPkcs12);

// The stack PKCS12_create() takes; it holds the caller's references, not its own.
struct BorrowedStack {
    explicit BorrowedStack(std::initializer_list<X509*> certificates) : stack(sk_X509_new_null()) {
        for (X509* certificate : certificates) BOOST_REQUIRE(sk_X509_push(stack, certificate) > 0);
    }
    BorrowedStack(const BorrowedStack&) = delete;
    BorrowedStack& operator=(const BorrowedStack&) = delete;
    ~BorrowedStack() { sk_X509_free(stack); }
    STACK_OF(X509) * stack;
};

// A leaf issued by an intermediate issued by a root: three certificates whose order shows.
struct Pki {
    Identity root = make_identity("Root CA");
    Identity intermediate = make_identity("Intermediate CA", &root);
    Identity leaf = make_identity("leaf.example", &intermediate);

    // PKCS#12 as OpenSSL 3 writes it by default (AES-256-CBC, PBKDF2, SHA-256 MAC).
    std::string pkcs12(const char* password) const {
        const BorrowedStack ca{intermediate.certificate.get(), root.certificate.get()};
        const Pkcs12Ptr made(PKCS12_create(password, "leaf", leaf.key.get(), leaf.certificate.get(), ca.stack, 0, 0, 0, 0, 0));
        BOOST_REQUIRE(made);
        return der_of(made.get());
    }
};

using LibraryContextPtr = std::unique_ptr<OSSL_LIB_CTX, OpenSslDeleter<&OSSL_LIB_CTX_free>>;
// OSSL_LIB_CTX_free() does not drop the references OSSL_PROVIDER_load() hands out.
using ProviderPtr = std::unique_ptr<OSSL_PROVIDER, OpenSslDeleter<&OSSL_PROVIDER_unload>>;

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "certificate_file_test.XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path_ = pattern;
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    std::string write(const std::string& name, const std::string& content) const {
        const std::string file = (path_ / name).string();
        std::ofstream out(file, std::ios::binary);
        out << content;
        BOOST_REQUIRE(out.good());
        return file;
    }
    std::string path(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

struct Fixture {
    Pki pki;
    TempDir dir;
};

std::vector<std::string> loaded_names(const std::string& path, const std::optional<std::string>& password = std::nullopt) {
    auto chain = load_certificate_file(path, password);
    BOOST_REQUIRE_MESSAGE(chain.has_value(), "unexpected error: " << (chain ? "" : chain.error().message));
    return common_names(*chain);
}

std::string load_error(const std::string& path, const std::optional<std::string>& password = std::nullopt) {
    auto chain = load_certificate_file(path, password);
    BOOST_REQUIRE_MESSAGE(!chain.has_value(), "unexpectedly loaded " << (chain ? chain->size() : 0) << " certificates");
    return chain.error().message;
}

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// Runs `work` in a child process and returns what it returned: for tests that change
// process-wide OpenSSL state (loaded providers, OPENSSL_MODULES), so that they leave the
// other tests alone whatever the order.
std::string in_child_process(const std::function<std::string()>& work) {
    std::array<int, 2> ends{};
    BOOST_REQUIRE(::pipe(ends.data()) == 0);
    const pid_t child = ::fork();
    BOOST_REQUIRE(child >= 0);
    if (child == 0) {
        ::close(ends[0]);
        const std::string answer = work();
        std::size_t written = 0;
        while (written < answer.size()) {
            const ssize_t n = ::write(ends[1], answer.data() + written, answer.size() - written);
            if (n <= 0) ::_exit(2);
            written += static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(ends[1]);
    std::string answer;
    std::array<char, 4096> chunk{};
    ssize_t n = 0;
    while ((n = ::read(ends[0], chunk.data(), chunk.size())) > 0) answer.append(chunk.data(), static_cast<std::size_t>(n));
    ::close(ends[0]);
    int status = 0;
    BOOST_REQUIRE(::waitpid(child, &status, 0) == child);
    BOOST_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return answer;
}

// PKCS#12 the way OpenSSL 1.x and older Windows tools wrote it: certificates under 40-bit RC2,
// the key under 3DES. RC2 needs the legacy provider, which is loaded only into a private library
// context here, so that the process-wide one stays as a plugin starts.
std::string legacy_pkcs12(const Pki& pki, const char* password) {
    const LibraryContextPtr context(OSSL_LIB_CTX_new());
    BOOST_REQUIRE(context);
    const ProviderPtr default_provider(OSSL_PROVIDER_load(context.get(), "default"));
    BOOST_REQUIRE(default_provider);
    const ProviderPtr legacy_provider(OSSL_PROVIDER_load(context.get(), "legacy"));
    BOOST_REQUIRE_MESSAGE(legacy_provider, "OpenSSL's legacy provider is not installed");
    const BorrowedStack ca{pki.intermediate.certificate.get(), pki.root.certificate.get()};
    const Pkcs12Ptr made(PKCS12_create_ex(password, "leaf", pki.leaf.key.get(), pki.leaf.certificate.get(), ca.stack,
                                          NID_pbe_WithSHA1And3_Key_TripleDES_CBC, NID_pbe_WithSHA1And40BitRC2_CBC, 0, 0, 0,
                                          context.get(), nullptr));
    BOOST_REQUIRE(made);
    // Written out and read back by the test's caller through the default context, as a file is.
    return der_of(made.get());
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ",") + name;
    return out;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(certificate_files, Fixture)

// ---- PEM ----

BOOST_AUTO_TEST_CASE(pem_with_several_certificates_and_a_key_yields_the_certificates_in_file_order) {
    const std::string file = dir.write("chain.pem", pem_of(pki.leaf.certificate.get()) + pem_of(pki.leaf.key.get()) +
                                                        pem_of(pki.intermediate.certificate.get()) +
                                                        pem_of(pki.root.certificate.get()));
    BOOST_TEST(loaded_names(file) == (std::vector<std::string>{"leaf.example", "Intermediate CA", "Root CA"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pem_loaded_is_the_same_certificate_that_was_written) {
    const std::string file = dir.write("leaf.pem", pem_of(pki.leaf.certificate.get()));
    auto chain = load_certificate_file(file, std::nullopt);
    BOOST_REQUIRE(chain.has_value());
    BOOST_REQUIRE(chain->size() == 1u);
    BOOST_TEST(X509_cmp(chain->front().get(), pki.leaf.certificate.get()) == 0);
}

BOOST_AUTO_TEST_CASE(pem_after_whitespace_or_explanatory_text_is_read) {
    const std::string leading = dir.write("leading.pem", "\n \t\r\n" + pem_of(pki.leaf.certificate.get()));
    BOOST_TEST(loaded_names(leading) == std::vector<std::string>{"leaf.example"}, boost::test_tools::per_element());
    // What `openssl x509 -text` writes, and bundles with a comment per certificate.
    const std::string text = dir.write("text.pem", "Certificate:\n    Data:\n        Version: 3 (0x2)\n" +
                                                       pem_of(pki.leaf.certificate.get()) + "# Intermediate CA\n" +
                                                       pem_of(pki.intermediate.certificate.get()));
    BOOST_TEST(loaded_names(text) == (std::vector<std::string>{"leaf.example", "Intermediate CA"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pem_without_a_certificate_block_is_rejected) {
    const std::string file = dir.write("key.pem", pem_of(pki.leaf.key.get()));
    BOOST_TEST(load_error(file) == file + ": PEM file without a CERTIFICATE block");
}

BOOST_AUTO_TEST_CASE(pem_certificate_block_that_is_no_certificate_is_rejected_naming_the_block) {
    // Good base64, good armour, but the bytes inside are not a certificate.
    const std::string file = dir.write("broken.pem", pem_of(pki.leaf.key.get()) +
                                                         "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n");
    const std::string message = load_error(file);
    BOOST_TEST(starts_with(message, file + ": the certificate in PEM block 2 is broken: "), message);
}

BOOST_AUTO_TEST_CASE(pem_certificate_block_with_bytes_after_the_certificate_is_rejected) {
    const std::string der = der_of(pki.leaf.certificate.get()) + std::string("\x05\x00", 2);
    BioPtr bio(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(PEM_write_bio(bio.get(), "CERTIFICATE", "", reinterpret_cast<const unsigned char*>(der.data()),
                                static_cast<long>(der.size())) > 0);
    const std::string file = dir.write("trailing.pem", bio_contents(bio.get()));
    BOOST_TEST(load_error(file) == file + ": the certificate in PEM block 1 is broken: bytes after its end");
}

BOOST_AUTO_TEST_CASE(pem_block_without_its_end_line_is_rejected_naming_the_block) {
    std::string pem = pem_of(pki.intermediate.certificate.get());
    pem.resize(pem.find("-----END"));
    const std::string file = dir.write("truncated.pem", pem_of(pki.leaf.certificate.get()) + pem);
    const std::string message = load_error(file);
    BOOST_TEST(starts_with(message, file + ": PEM block 2 is broken: "), message);
}

// ---- DER ----

BOOST_AUTO_TEST_CASE(der_certificate_is_read_as_the_whole_file) {
    const std::string file = dir.write("leaf.cer", der_of(pki.leaf.certificate.get()));
    BOOST_TEST(loaded_names(file) == std::vector<std::string>{"leaf.example"}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(der_certificate_with_bytes_after_it_is_not_a_certificate_file) {
    const std::string file = dir.write("leaf-junk.cer", der_of(pki.leaf.certificate.get()) + "junk");
    BOOST_TEST(load_error(file) == file + ": not a PEM, DER or PKCS#12 certificate file");
}

BOOST_AUTO_TEST_CASE(format_is_told_by_content_not_by_file_name) {
    const std::string der = dir.write("really-der.pem", der_of(pki.leaf.certificate.get()));
    BOOST_TEST(loaded_names(der) == std::vector<std::string>{"leaf.example"}, boost::test_tools::per_element());
    const std::string pem = dir.write("really-pem.p12", pem_of(pki.leaf.certificate.get()));
    BOOST_TEST(loaded_names(pem) == std::vector<std::string>{"leaf.example"}, boost::test_tools::per_element());
}

// ---- PKCS#12 ----

BOOST_AUTO_TEST_CASE(pkcs12_yields_the_leaf_then_its_ca_certificates_in_file_order) {
    const std::string file = dir.write("chain.p12", pki.pkcs12("secret"));
    BOOST_TEST(loaded_names(file, "secret") == (std::vector<std::string>{"leaf.example", "Intermediate CA", "Root CA"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pkcs12_leaf_is_the_certificate_matching_the_key_wherever_it_is_stored) {
    // The key's certificate stored between the CA certificates, not in its own bag.
    const BorrowedStack all{pki.intermediate.certificate.get(), pki.leaf.certificate.get(), pki.root.certificate.get()};
    const Pkcs12Ptr made(PKCS12_create("secret", nullptr, pki.leaf.key.get(), nullptr, all.stack, 0, 0, 0, 0, 0));
    BOOST_REQUIRE(made);
    const std::string file = dir.write("key-in-middle.p12", der_of(made.get()));
    BOOST_TEST(loaded_names(file, "secret") == (std::vector<std::string>{"leaf.example", "Intermediate CA", "Root CA"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pkcs12_without_a_key_yields_its_certificates_in_file_order) {
    const BorrowedStack ca{pki.intermediate.certificate.get(), pki.root.certificate.get()};
    const Pkcs12Ptr made(PKCS12_create("secret", nullptr, nullptr, nullptr, ca.stack, 0, 0, 0, 0, 0));
    BOOST_REQUIRE(made);
    const std::string file = dir.write("truststore.p12", der_of(made.get()));
    BOOST_TEST(loaded_names(file, "secret") == (std::vector<std::string>{"Intermediate CA", "Root CA"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(pkcs12_with_the_empty_password_is_read_without_a_password) {
    const std::string file = dir.write("empty-password.p12", pki.pkcs12(""));
    BOOST_TEST(loaded_names(file).size() == 3u);
    BOOST_TEST(loaded_names(file, "").size() == 3u);
}

BOOST_AUTO_TEST_CASE(pkcs12_without_mac_or_encryption_is_read_whatever_the_password) {
    const BorrowedStack ca{pki.intermediate.certificate.get()};
    const Pkcs12Ptr made(PKCS12_create(nullptr, nullptr, pki.leaf.key.get(), pki.leaf.certificate.get(), ca.stack, -1, -1,
                                       0, -1, 0));
    BOOST_REQUIRE(made);
    const std::string file = dir.write("plain.p12", der_of(made.get()));
    BOOST_TEST(loaded_names(file) == (std::vector<std::string>{"leaf.example", "Intermediate CA"}),
               boost::test_tools::per_element());
    BOOST_TEST(loaded_names(file, "anything").size() == 2u);
}

BOOST_AUTO_TEST_CASE(pkcs12_with_a_password_but_none_given_asks_for_a_password_file) {
    const std::string file = dir.write("chain.p12", pki.pkcs12("secret"));
    BOOST_TEST(load_error(file) == file + ": PKCS#12 file needs a password (--password-file)");
}

BOOST_AUTO_TEST_CASE(pkcs12_with_a_wrong_password_is_rejected) {
    const std::string file = dir.write("chain.p12", pki.pkcs12("secret"));
    BOOST_TEST(load_error(file, "Secret") == file + ": wrong PKCS#12 password");
    BOOST_TEST(load_error(file, "") == file + ": wrong PKCS#12 password");
}

BOOST_AUTO_TEST_CASE(pkcs12_with_legacy_rc2_and_3des_is_read_by_loading_the_legacy_provider) {
    const std::string file = dir.write("legacy.p12", legacy_pkcs12(pki, "secret"));
    const std::string outcome = in_child_process([&] {
        const bool before = OSSL_PROVIDER_available(nullptr, "legacy") == 1;
        auto chain = load_certificate_file(file, "secret");
        const bool after = OSSL_PROVIDER_available(nullptr, "legacy") == 1;
        return std::string(before ? "loaded" : "absent") + " " + (after ? "loaded" : "absent") + " " +
               (chain ? joined(common_names(*chain)) : chain.error().message);
    });
    BOOST_TEST(outcome == "absent loaded leaf.example,Intermediate CA,Root CA");
}

BOOST_AUTO_TEST_CASE(pkcs12_with_legacy_algorithms_and_no_legacy_provider_says_so) {
    const std::string file = dir.write("legacy.p12", legacy_pkcs12(pki, "secret"));
    const std::string message = in_child_process([&] {
        ::setenv("OPENSSL_MODULES", "/nonexistent/ossl-modules", 1);  // where OpenSSL looks for legacy.so
        auto chain = load_certificate_file(file, "secret");
        return chain ? std::string("loaded") : chain.error().message;
    });
    BOOST_TEST(starts_with(message, file + ": PKCS#12 file uses a legacy algorithm (RC2, RC4), and OpenSSL's legacy "
                                           "provider cannot be loaded: "),
               message);
}

BOOST_AUTO_TEST_CASE(pkcs12_with_legacy_algorithms_and_a_wrong_password_is_a_wrong_password) {
    const std::string file = dir.write("legacy.p12", legacy_pkcs12(pki, "secret"));
    const std::string message = in_child_process([&] {
        auto chain = load_certificate_file(file, "wrong");
        return chain ? std::string("loaded") : chain.error().message;
    });
    BOOST_TEST(message == file + ": wrong PKCS#12 password");
}

// ---- files that are no certificate file at all ----

BOOST_AUTO_TEST_CASE(missing_file_is_rejected_with_the_system_reason) {
    const std::string file = dir.path("missing.pem");
    BOOST_TEST(load_error(file) == "cannot read " + file + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(directory_is_rejected_with_the_system_reason) {
    const std::string path = dir.path("");
    BOOST_TEST(load_error(path) == "cannot read " + path + ": Is a directory");
}

BOOST_AUTO_TEST_CASE(empty_file_is_rejected) {
    const std::string file = dir.write("empty.pem", "");
    BOOST_TEST(load_error(file) == file + " is empty");
}

BOOST_AUTO_TEST_CASE(text_without_pem_blocks_is_not_a_certificate_file) {
    const std::string file = dir.write("notes.txt", "this is not a certificate\n");
    BOOST_TEST(load_error(file) == file + ": not a PEM, DER or PKCS#12 certificate file");
}

BOOST_AUTO_TEST_CASE(binary_that_is_neither_der_nor_pkcs12_is_not_a_certificate_file) {
    const std::string file = dir.write("random.bin", std::string("\x30\x82\x01\x00", 4) + std::string(256, '\x42'));
    BOOST_TEST(load_error(file) == file + ": not a PEM, DER or PKCS#12 certificate file");
}

BOOST_AUTO_TEST_CASE(truncated_pkcs12_is_not_a_certificate_file) {
    std::string pkcs12 = pki.pkcs12("secret");
    pkcs12.resize(pkcs12.size() / 2);
    const std::string file = dir.write("truncated.p12", pkcs12);
    BOOST_TEST(load_error(file, "secret") == file + ": not a PEM, DER or PKCS#12 certificate file");
}

BOOST_AUTO_TEST_CASE(file_larger_than_the_bound_is_refused) {
    const std::string file = dir.write("huge.pem", pem_of(pki.leaf.certificate.get()) + std::string(max_certificate_file_bytes, '\n'));
    BOOST_TEST(load_error(file) == file + " is larger than 4 MiB");
}

BOOST_AUTO_TEST_CASE(file_exactly_at_the_bound_is_read) {
    const std::string pem = pem_of(pki.leaf.certificate.get());
    const std::string file = dir.write("big.pem", pem + std::string(max_certificate_file_bytes - pem.size(), '\n'));
    BOOST_TEST(loaded_names(file) == std::vector<std::string>{"leaf.example"}, boost::test_tools::per_element());
}

// ---- password files ----

BOOST_AUTO_TEST_CASE(password_file_yields_its_first_line_without_the_line_ending) {
    BOOST_TEST(*read_password_file(dir.write("unix", "secret\nsecond line\n")) == "secret");
    BOOST_TEST(*read_password_file(dir.write("dos", "secret\r\nsecond line\r\n")) == "secret");
    BOOST_TEST(*read_password_file(dir.write("bare", "secret")) == "secret");
    BOOST_TEST(*read_password_file(dir.write("spaces", " se cret \n")) == " se cret ");
}

BOOST_AUTO_TEST_CASE(empty_password_file_is_the_empty_password) {
    BOOST_TEST(*read_password_file(dir.write("empty", "")) == "");
    BOOST_TEST(*read_password_file(dir.write("newline", "\n")) == "");
}

BOOST_AUTO_TEST_CASE(unreadable_password_file_is_an_error_naming_it) {
    const std::string file = dir.path("no-such-password");
    auto password = read_password_file(file);
    BOOST_REQUIRE(!password.has_value());
    BOOST_TEST(password.error().message == "cannot read " + file + ": No such file or directory");
}

BOOST_AUTO_TEST_CASE(password_file_read_then_opens_its_pkcs12) {
    const std::string file = dir.write("chain.p12", pki.pkcs12("secret"));
    auto password = read_password_file(dir.write("password", "secret\n"));
    BOOST_REQUIRE(password.has_value());
    BOOST_TEST(loaded_names(file, *password).size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
