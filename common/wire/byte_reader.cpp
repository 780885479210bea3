#include "wire/byte_reader.hpp"

namespace tls_checks::wire {

bool ByteReader::fail(std::string_view why) {
    if (error_.empty()) error_ = context_ + ": " + std::string(why);
    return false;
}

bool ByteReader::fail_from(const ByteReader& child) {
    if (error_.empty()) error_ = child.error_.empty() ? context_ + ": error in " + child.context_ : child.error_;
    return false;
}

bool ByteReader::read_bytes(std::size_t count, std::span<const std::uint8_t>& out) {
    // The one bound check every getter goes through.
    if (count > bytes_.size()) {
        return fail("expected " + std::to_string(count) + (count == 1 ? " byte, " : " bytes, ") +
                    std::to_string(bytes_.size()) + " left");
    }
    out = bytes_.first(count);
    bytes_ = bytes_.subspan(count);
    return true;
}

bool ByteReader::read_big_endian(std::size_t width, std::uint32_t& out) {
    std::span<const std::uint8_t> raw;
    if (!read_bytes(width, raw)) return false;
    std::uint32_t value = 0;
    for (const std::uint8_t byte : raw) value = (value << 8u) | byte;
    out = value;
    return true;
}

bool ByteReader::read_u8(std::uint8_t& out) {
    std::uint32_t value = 0;
    if (!read_big_endian(1, value)) return false;
    out = static_cast<std::uint8_t>(value);
    return true;
}

bool ByteReader::read_u16(std::uint16_t& out) {
    std::uint32_t value = 0;
    if (!read_big_endian(2, value)) return false;
    out = static_cast<std::uint16_t>(value);
    return true;
}

bool ByteReader::read_u24(std::uint32_t& out) { return read_big_endian(3, out); }

bool ByteReader::read_u32(std::uint32_t& out) { return read_big_endian(4, out); }

namespace {

std::uint32_t little_endian(std::span<const std::uint8_t> raw) {
    std::uint32_t value = 0;
    for (std::size_t i = raw.size(); i-- > 0;) value = (value << 8u) | raw[i];
    return value;
}

}  // namespace

bool ByteReader::read_u16_le(std::uint16_t& out) {
    std::span<const std::uint8_t> raw;
    if (!read_bytes(2, raw)) return false;
    out = static_cast<std::uint16_t>(little_endian(raw));
    return true;
}

bool ByteReader::read_u24_le(std::uint32_t& out) {
    std::span<const std::uint8_t> raw;
    if (!read_bytes(3, raw)) return false;
    out = little_endian(raw);
    return true;
}

bool ByteReader::read_u32_le(std::uint32_t& out) {
    std::span<const std::uint8_t> raw;
    if (!read_bytes(4, raw)) return false;
    out = little_endian(raw);
    return true;
}

bool ByteReader::read_c_string(std::string& out) {
    for (std::size_t i = 0; i < bytes_.size(); ++i) {
        if (bytes_[i] == 0) {
            out.assign(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(i));
            bytes_ = bytes_.subspan(i + 1);
            return true;
        }
    }
    return fail("string without its terminating NUL");
}

bool ByteReader::skip(std::size_t count) {
    std::span<const std::uint8_t> ignored;
    return read_bytes(count, ignored);
}

bool ByteReader::read_vector(std::size_t prefix_bytes, std::size_t min, std::size_t max, ByteReader& child,
                             std::string_view what) {
    if (prefix_bytes < 1 || prefix_bytes > 3) return fail("bad length prefix width");
    std::uint32_t length = 0;
    if (!read_big_endian(prefix_bytes, length)) return false;
    if (length < min || length > max) {
        return fail(std::string(what) + " length " + std::to_string(length) + " outside " + std::to_string(min) +
                    ".." + std::to_string(max));
    }
    std::span<const std::uint8_t> body;
    if (!read_bytes(length, body)) return false;
    child = ByteReader(body, context_ + " " + std::string(what));
    return true;
}

bool ByteReader::expect_empty() {
    if (bytes_.empty()) return true;
    return fail(std::to_string(bytes_.size()) + (bytes_.size() == 1 ? " byte" : " bytes") + " left over");
}

}  // namespace tls_checks::wire
