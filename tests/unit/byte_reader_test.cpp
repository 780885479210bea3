// ByteReader and ByteWriter: bounds, nested vectors, leftovers, and round trips.

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "wire/byte_reader.hpp"
#include "wire/byte_writer.hpp"

using namespace tls_checks::wire;

namespace {

// A message shaped like a TLS extension block: u16 type, then a u16-prefixed body holding a
// u8-prefixed list.
std::vector<std::uint8_t> sample() {
    ByteWriter writer;
    writer.u16(0x002b);
    writer.prefixed(2, [](ByteWriter& body) {
        body.prefixed(1, [](ByteWriter& list) {
            list.u16(0x0304);
            list.u16(0x0303);
        });
    });
    return writer.take();
}

// Parses sample(); every step must succeed and nothing may be left.
bool parse_sample(const std::vector<std::uint8_t>& bytes, std::vector<std::uint16_t>& versions, std::string& error) {
    ByteReader reader(bytes, "extension");
    std::uint16_t type = 0;
    ByteReader body;
    ByteReader list;
    const bool ok = reader.read_u16(type) && reader.read_vector(2, 0, 0xFFFF, body, "body") &&
                    body.read_vector(1, 2, 254, list, "versions") && body.expect_empty() && reader.expect_empty();
    error = !reader.error().empty() ? reader.error() : body.error();
    if (!ok) return false;
    while (!list.empty()) {
        std::uint16_t version = 0;
        if (!list.read_u16(version)) {
            error = list.error();
            return false;
        }
        versions.push_back(version);
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(writer_fills_nested_length_prefixes) {
    const std::vector<std::uint8_t> expected = {0x00, 0x2b, 0x00, 0x05, 0x04, 0x03, 0x04, 0x03, 0x03};
    BOOST_TEST(sample() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(round_trip_reads_back_what_was_written) {
    std::vector<std::uint16_t> versions;
    std::string error;
    BOOST_TEST(parse_sample(sample(), versions, error));
    BOOST_TEST(versions == (std::vector<std::uint16_t>{0x0304, 0x0303}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_strict_prefix_of_a_valid_encoding_parses) {
    const auto full = sample();
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
        const std::vector<std::uint8_t> prefix(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
        std::vector<std::uint16_t> versions;
        std::string error;
        BOOST_TEST_INFO("prefix of " << cut << " bytes");
        BOOST_TEST(!parse_sample(prefix, versions, error));
        BOOST_TEST(!error.empty());
    }
}

BOOST_AUTO_TEST_CASE(trailing_byte_is_rejected_with_context) {
    auto bytes = sample();
    bytes.push_back(0);
    std::vector<std::uint16_t> versions;
    std::string error;
    BOOST_TEST(!parse_sample(bytes, versions, error));
    BOOST_TEST(error == "extension: 1 byte left over");
}

BOOST_AUTO_TEST_CASE(short_read_names_what_was_expected_and_what_was_left) {
    const std::vector<std::uint8_t> one = {0x03};
    ByteReader reader(one, "ServerHello");
    std::uint16_t version = 0;
    BOOST_TEST(!reader.read_u16(version));
    BOOST_TEST(reader.error() == "ServerHello: expected 2 bytes, 1 left");
    BOOST_TEST(reader.remaining() == 1U);  // a failed getter does not advance
}

BOOST_AUTO_TEST_CASE(vector_length_outside_its_bounds_is_rejected) {
    const std::vector<std::uint8_t> bytes = {0x01, 0xAA};
    ByteReader reader(bytes, "ClientHello");
    ByteReader child;
    BOOST_TEST(!reader.read_vector(1, 2, 32, child, "session_id"));
    BOOST_TEST(reader.error() == "ClientHello: session_id length 1 outside 2..32");
}

BOOST_AUTO_TEST_CASE(child_reader_cannot_read_past_its_vector) {
    const std::vector<std::uint8_t> bytes = {0x01, 0xAA, 0xBB};
    ByteReader reader(bytes, "msg");
    ByteReader child;
    BOOST_REQUIRE(reader.read_vector(1, 0, 255, child, "inner"));
    std::uint16_t two = 0;
    BOOST_TEST(!child.read_u16(two));
    BOOST_TEST(child.error() == "msg inner: expected 2 bytes, 1 left");
    std::uint8_t next = 0;
    BOOST_TEST(reader.read_u8(next));
    BOOST_TEST(next == 0xBB);
}

BOOST_AUTO_TEST_CASE(first_error_is_kept) {
    const std::vector<std::uint8_t> none;
    ByteReader reader(none, "x");
    std::uint8_t byte = 0;
    BOOST_TEST(!reader.read_u8(byte));
    BOOST_TEST(!reader.fail("later"));
    BOOST_TEST(reader.error() == "x: expected 1 byte, 0 left");
}

BOOST_AUTO_TEST_CASE(u24_and_u32_are_big_endian) {
    ByteWriter writer;
    writer.u24(0x010203);
    writer.u32(0x04050607);
    const auto bytes = writer.take();
    ByteReader reader(bytes, "n");
    std::uint32_t a = 0;
    std::uint32_t b = 0;
    BOOST_TEST((reader.read_u24(a) && reader.read_u32(b) && reader.expect_empty()));
    BOOST_TEST(a == 0x010203U);
    BOOST_TEST(b == 0x04050607U);
}

BOOST_AUTO_TEST_CASE(block_too_long_for_its_prefix_is_a_builder_bug) {
    ByteWriter writer;
    BOOST_CHECK_THROW(writer.prefixed(1, [](ByteWriter& body) { body.zeros(256); }), std::length_error);
}
