// TLS record framing: need more until whole, malformed for non-TLS answers, alerts decoded.

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "tls/record.hpp"
#include "vectors.hpp"
#include "wire/hex.hpp"

using namespace tls_checks::tls;

namespace tls_checks::tls {
// Lets Boost.Test print a status when a comparison fails.
std::ostream& operator<<(std::ostream& out, RecordStatus status) {
    return out << (status == RecordStatus::need_more ? "need_more" : status == RecordStatus::complete ? "complete" : "malformed");
}
}  // namespace tls_checks::tls

namespace {

const std::vector<std::uint8_t> fatal_protocol_version = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46};

RecordStatus status_of(const std::vector<std::uint8_t>& bytes) { return parse_record(bytes).status; }

}  // namespace

BOOST_AUTO_TEST_CASE(complete_alert_record_is_framed_and_decoded) {
    const auto parsed = parse_record(fatal_protocol_version);
    BOOST_REQUIRE(parsed.status == RecordStatus::complete);
    BOOST_TEST(static_cast<int>(parsed.record.type) == 21);
    BOOST_TEST(parsed.record.version == 0x0303);
    BOOST_TEST(parsed.record.size == 7U);
    Alert alert;
    std::string error;
    BOOST_REQUIRE(parse_alert(parsed.record.fragment, alert, error));
    BOOST_TEST(alert.level == 2);
    BOOST_TEST(alert_name(alert.description) == "protocol_version");
}

BOOST_AUTO_TEST_CASE(every_strict_prefix_needs_more) {
    for (std::size_t cut = 0; cut < fatal_protocol_version.size(); ++cut) {
        const std::vector<std::uint8_t> prefix(fatal_protocol_version.begin(),
                                               fatal_protocol_version.begin() + static_cast<std::ptrdiff_t>(cut));
        BOOST_TEST_INFO("prefix of " << cut << " bytes");
        BOOST_TEST(status_of(prefix) == RecordStatus::need_more);
    }
}

BOOST_AUTO_TEST_CASE(bytes_after_the_record_are_left_for_the_next_one) {
    auto two = fatal_protocol_version;
    two.insert(two.end(), {0x16, 0x03});
    const auto parsed = parse_record(two);
    BOOST_REQUIRE(parsed.status == RecordStatus::complete);
    BOOST_TEST(parsed.record.size == 7U);
}

BOOST_AUTO_TEST_CASE(http_error_page_is_malformed_from_its_first_byte) {
    const std::string http = "HTTP/1.1 400 Bad Request\r\n";
    const auto parsed = parse_record(std::vector<std::uint8_t>(http.begin(), http.end()));
    BOOST_TEST(parsed.status == RecordStatus::malformed);
    BOOST_TEST(parsed.error == "record: unknown content type 72");
    BOOST_TEST(status_of({'H'}) == RecordStatus::malformed);
}

BOOST_AUTO_TEST_CASE(wrong_major_version_empty_and_oversized_fragments_are_malformed) {
    BOOST_TEST(status_of({0x16, 0x02, 0x00, 0x00, 0x01, 0x00}) == RecordStatus::malformed);
    BOOST_TEST(status_of({0x16, 0x03, 0x01, 0x00, 0x00}) == RecordStatus::malformed);
    BOOST_TEST(status_of({0x16, 0x03, 0x01, 0x48, 0x01}) == RecordStatus::malformed);  // 18433 > 2^14 + 2048
    BOOST_TEST(status_of({0x16, 0x03, 0x01, 0x48, 0x00}) == RecordStatus::need_more);  // 18432 is allowed
}

BOOST_AUTO_TEST_CASE(alert_with_wrong_length_is_rejected) {
    Alert alert;
    std::string error;
    const std::vector<std::uint8_t> three = {2, 40, 0};
    BOOST_TEST(!parse_alert(three, alert, error));
    BOOST_TEST(error == "alert: 1 byte left over");
    const std::vector<std::uint8_t> one = {2};
    BOOST_TEST(!parse_alert(one, alert, error));
    BOOST_TEST(alert_name(123) == "alert 123");
}

namespace {

std::string summary(const tls_checks::tls::RecordParse& parsed) {
    switch (parsed.status) {
        case RecordStatus::need_more: return "need_more";
        case RecordStatus::malformed: return "malformed " + parsed.error;
        case RecordStatus::complete: break;
    }
    const auto& record = parsed.record;
    std::string out = "complete type=" + std::to_string(static_cast<int>(record.type)) +
                      " version=" + tls_checks::wire::hex16(record.version) + " size=" + std::to_string(record.size);
    if (record.type == ContentType::alert) {
        Alert alert;
        std::string error;
        out += parse_alert(record.fragment, alert, error)
                   ? " alert=" + std::to_string(alert.level) + "," + alert_name(alert.description)
                   : " alert=error " + error;
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(record_vectors_frame_to_their_expected_result) {
    for (const auto& vector : tls_checks::test::read_vectors("record.vec")) {
        BOOST_TEST_INFO("vector " << vector.name);
        BOOST_TEST(summary(parse_record(vector.bytes("input"))) == vector.fields.at("expect"));
    }
}
