// OCSP and CRL judgement from fixed DER vectors (tests/data/revocation/, made by make-vectors.sh;
// its README gives every date): each is judged at a chosen time, so that freshness is proven in
// both directions.

#include <boost/test/unit_test.hpp>

#include <openssl/pem.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tls/revocation.hpp"

using namespace tls_checks;
using tls::RevocationProblem;
using tls::RevocationStatus;

namespace {

const std::string directory = std::string(TLS_CHECKS_TEST_DATA) + "/revocation/";

std::vector<std::uint8_t> der(const std::string& name) {
    std::ifstream in(directory + name, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read " + directory + name);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

tls::X509Ptr pem(const std::string& name) {
    std::FILE* file = std::fopen((directory + name).c_str(), "r");
    BOOST_REQUIRE_MESSAGE(file != nullptr, "cannot read " + directory + name);
    tls::X509Ptr certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
    std::fclose(file);
    BOOST_REQUIRE(certificate);
    return certificate;
}

// The OCSP vectors: thisUpdate 1796146069, nextUpdate 1796750869 (a week).
constexpr std::int64_t ocsp_current = 1796146069 + 3600;
// The CRLs: thisUpdate 1780272000, nextUpdate 1780876800.
constexpr std::int64_t crl_current = 1780272000 + 3600;
constexpr const char* leaf_crl_url = "http://127.0.0.1:8080/crl/leaf.crl";

struct Certificates {
    tls::X509Ptr issuer = pem("issuer.pem");
    tls::X509Ptr leaf = pem("leaf.pem");
    tls::X509Ptr other = pem("other.pem");
};

}  // namespace

BOOST_AUTO_TEST_CASE(pointers_name_the_ocsp_responder_and_the_crl) {
    const Certificates c;
    const auto pointers = tls::revocation_pointers_of(c.leaf.get());
    BOOST_TEST(pointers.ocsp_urls == std::vector<std::string>{"http://127.0.0.1:8080/ocsp"}, boost::test_tools::per_element());
    BOOST_TEST(pointers.crl_urls == std::vector<std::string>{leaf_crl_url}, boost::test_tools::per_element());
    BOOST_TEST(!pointers.must_staple);
    BOOST_TEST(tls::revocation_pointers_of(c.issuer.get()).ocsp_urls.empty());
}

BOOST_AUTO_TEST_CASE(good_response_signed_by_the_issuer_is_good) {
    const Certificates c;
    const auto answer = tls::judge_ocsp_response(der("ocsp-good.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST((answer->status == RevocationStatus::good));
    BOOST_TEST(answer->this_update == 1796146069);
    BOOST_TEST(answer->next_update.value() == 1796750869);
    BOOST_TEST(!answer->delegated);
    BOOST_TEST(answer->signer == "CN=tls-checks vectors CA");
}

BOOST_AUTO_TEST_CASE(revoked_response_gives_the_reason_and_the_date) {
    const Certificates c;
    const auto answer = tls::judge_ocsp_response(der("ocsp-revoked.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST((answer->status == RevocationStatus::revoked));
    BOOST_TEST(answer->reason.value() == "keyCompromise");
    BOOST_TEST(answer->revoked_at == 1772323200);
}

BOOST_AUTO_TEST_CASE(unknown_response_is_unknown) {
    const Certificates c;
    const auto answer = tls::judge_ocsp_response(der("ocsp-unknown.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(answer.has_value());
    BOOST_TEST((answer->status == RevocationStatus::unknown));
}

BOOST_AUTO_TEST_CASE(delegated_responder_issued_by_the_issuer_is_accepted) {
    const Certificates c;
    const auto answer = tls::judge_ocsp_response(der("ocsp-delegated.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE_MESSAGE(answer.has_value(), (answer ? "" : answer.error().message));
    BOOST_TEST((answer->status == RevocationStatus::good));
    BOOST_TEST(answer->delegated);
    BOOST_TEST(answer->signer == "CN=tls-checks vectors OCSP responder");
}

BOOST_AUTO_TEST_CASE(response_signed_by_another_key_under_the_issuers_name_is_refused) {
    const Certificates c;
    const auto answer = tls::judge_ocsp_response(der("ocsp-wrong-key.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(!answer.has_value());
    BOOST_TEST((answer.error().problem == RevocationProblem::bad_signature));
    BOOST_TEST(answer.error().message.find("signature") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(response_for_another_certificate_does_not_answer_for_this_one) {
    const Certificates c;
    const auto for_leaf = tls::judge_ocsp_response(der("ocsp-other-cert.der"), c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(!for_leaf.has_value());
    BOOST_TEST((for_leaf.error().problem == RevocationProblem::other_certificate));
    // ... while it does answer for the certificate it is about
    const auto for_other = tls::judge_ocsp_response(der("ocsp-other-cert.der"), c.other.get(), c.issuer.get(), ocsp_current);
    BOOST_TEST(for_other.has_value());
}

BOOST_AUTO_TEST_CASE(response_is_fresh_only_between_this_update_and_next_update_with_five_minutes_of_skew) {
    const Certificates c;
    const auto good = der("ocsp-good.der");
    const auto judge = [&](std::int64_t now) { return tls::judge_ocsp_response(good, c.leaf.get(), c.issuer.get(), now); };
    BOOST_TEST(judge(1796750869 + 299).has_value());
    const auto stale = judge(1796750869 + 301);
    BOOST_REQUIRE(!stale.has_value());
    BOOST_TEST((stale.error().problem == RevocationProblem::stale));
    BOOST_TEST(judge(1796146069 - 299).has_value());
    const auto early = judge(1796146069 - 301);
    BOOST_REQUIRE(!early.has_value());
    BOOST_TEST((early.error().problem == RevocationProblem::not_yet_valid));
}

BOOST_AUTO_TEST_CASE(bytes_that_are_no_ocsp_response_are_malformed) {
    const Certificates c;
    const std::string html = "<html><body>404</body></html>";
    const std::vector<std::uint8_t> bytes(html.begin(), html.end());
    const auto answer = tls::judge_ocsp_response(bytes, c.leaf.get(), c.issuer.get(), ocsp_current);
    BOOST_REQUIRE(!answer.has_value());
    BOOST_TEST((answer.error().problem == RevocationProblem::malformed));
    auto trailing = der("ocsp-good.der");
    trailing.push_back(0);
    BOOST_TEST(!tls::judge_ocsp_response(trailing, c.leaf.get(), c.issuer.get(), ocsp_current).has_value());
}

BOOST_AUTO_TEST_CASE(crl_listing_the_serial_says_revoked_whatever_its_integer_encoding) {
    const Certificates c;
    // leaf.pem's serial has its high bit set: its DER INTEGER starts with 00.
    const auto answer = tls::judge_crl(der("crl.der"), c.leaf.get(), c.issuer.get(), leaf_crl_url, crl_current);
    BOOST_REQUIRE_MESSAGE(answer.has_value(), (answer ? "" : answer.error().message));
    BOOST_TEST((answer->status == RevocationStatus::revoked));
    BOOST_TEST(answer->reason.value() == "keyCompromise");
    BOOST_TEST(answer->revoked_at == 1772323200);
    BOOST_TEST(answer->entries == 1U);
    const auto other = tls::judge_crl(der("crl.der"), c.other.get(), c.issuer.get(), leaf_crl_url, crl_current);
    BOOST_REQUIRE(other.has_value());
    BOOST_TEST((other->status == RevocationStatus::good));
}

BOOST_AUTO_TEST_CASE(crl_with_a_bad_signature_is_refused) {
    const Certificates c;
    const auto answer = tls::judge_crl(der("crl-bad-signature.der"), c.leaf.get(), c.issuer.get(), leaf_crl_url, crl_current);
    BOOST_REQUIRE(!answer.has_value());
    BOOST_TEST((answer.error().problem == RevocationProblem::bad_signature));
}

BOOST_AUTO_TEST_CASE(crl_past_its_next_update_is_stale) {
    const Certificates c;
    const auto answer = tls::judge_crl(der("crl.der"), c.leaf.get(), c.issuer.get(), leaf_crl_url, 1780876800 + 301);
    BOOST_REQUIRE(!answer.has_value());
    BOOST_TEST((answer.error().problem == RevocationProblem::stale));
    BOOST_TEST(tls::crl_next_update(der("crl.der")).value() == 1780876800);
}

BOOST_AUTO_TEST_CASE(partitioned_crl_counts_only_for_the_distribution_point_it_names) {
    const Certificates c;
    const auto here = tls::judge_crl(der("crl-idp.der"), c.leaf.get(), c.issuer.get(), leaf_crl_url, crl_current);
    BOOST_REQUIRE_MESSAGE(here.has_value(), (here ? "" : here.error().message));
    BOOST_TEST((here->status == RevocationStatus::revoked));
    const auto elsewhere =
        tls::judge_crl(der("crl-idp.der"), c.leaf.get(), c.issuer.get(), "http://127.0.0.1:8080/crl/2.crl", crl_current);
    BOOST_REQUIRE(!elsewhere.has_value());
    BOOST_TEST((elsewhere.error().problem == RevocationProblem::scope));
    BOOST_TEST(elsewhere.error().message.find(leaf_crl_url) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(ocsp_request_names_the_certificate) {
    const Certificates c;
    const auto request = tls::ocsp_request_for(c.leaf.get(), c.issuer.get());
    BOOST_TEST(!request.empty());
    BOOST_TEST(request.front() == 0x30);  // a DER SEQUENCE
}
