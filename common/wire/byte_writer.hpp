#pragma once
// Builds wire messages. Length-prefixed blocks are written through a callback and their prefix is
// filled in afterwards, so no length is ever computed by hand.

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tls_checks::wire {

class ByteWriter {
public:
    void u8(std::uint8_t value) { bytes_.push_back(value); }
    void u16(std::uint16_t value) { put_big_endian(value, 2); }
    void u24(std::uint32_t value) { put_big_endian(value, 3); }
    void u32(std::uint32_t value) { put_big_endian(value, 4); }
    void u16_le(std::uint16_t value) { put_little_endian(value, 2); }
    void u24_le(std::uint32_t value) { put_little_endian(value, 3); }
    void u32_le(std::uint32_t value) { put_little_endian(value, 4); }
    void bytes(std::span<const std::uint8_t> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
    void text(std::string_view data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
    void zeros(std::size_t count);

    // Writes a `prefix_bytes`-byte (1 to 4) length, then whatever `body(*this)` writes, then
    // fills in the length. Throws std::length_error when the body does not fit the prefix:
    // that is a bug in a builder, never a property of network input.
    template <class Body>
    void prefixed(std::size_t prefix_bytes, Body&& body) {
        const std::size_t at = bytes_.size();
        zeros(prefix_bytes);
        body(*this);
        patch_length(at, prefix_bytes);
    }

    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }
    [[nodiscard]] const std::vector<std::uint8_t>& data() const noexcept { return bytes_; }
    [[nodiscard]] std::vector<std::uint8_t> take() { return std::move(bytes_); }

private:
    void put_big_endian(std::uint32_t value, std::size_t width) {
        for (std::size_t i = width; i-- > 0;) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }

    void put_little_endian(std::uint32_t value, std::size_t width) {
        for (std::size_t i = 0; i < width; ++i) bytes_.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
    }

    void patch_length(std::size_t at, std::size_t prefix_bytes);

    std::vector<std::uint8_t> bytes_;
};

}  // namespace tls_checks::wire
