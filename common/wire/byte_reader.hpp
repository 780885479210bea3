#pragma once
// A bounded cursor over untrusted bytes (after BoringSSL's CBS and Botan's TLS_Data_Reader).
// Every getter checks the bound in one place, advances only on success, and returns false on
// failure while remembering the first error with the reader's context ("ServerHello: expected
// 2 bytes, 1 left"). Length-prefixed vectors are read into child readers, never by offset.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tls_checks::wire {

class ByteReader {
public:
    ByteReader() = default;
    ByteReader(std::span<const std::uint8_t> bytes, std::string_view context) : bytes_(bytes), context_(context) {}

    [[nodiscard]] bool read_u8(std::uint8_t& out);
    [[nodiscard]] bool read_u16(std::uint16_t& out);
    [[nodiscard]] bool read_u24(std::uint32_t& out);
    [[nodiscard]] bool read_u32(std::uint32_t& out);
    [[nodiscard]] bool read_bytes(std::size_t count, std::span<const std::uint8_t>& out);
    // Little-endian integers, for the protocols that use them (MySQL).
    [[nodiscard]] bool read_u16_le(std::uint16_t& out);
    [[nodiscard]] bool read_u24_le(std::uint32_t& out);
    [[nodiscard]] bool read_u32_le(std::uint32_t& out);
    // Bytes up to (not including) a NUL, which is consumed too.
    [[nodiscard]] bool read_c_string(std::string& out);
    [[nodiscard]] bool skip(std::size_t count);

    // A vector with a `prefix_bytes`-byte (1 to 3) big-endian length, whose length must lie in
    // min..max (the RFC's `<min..max>`). The child reader inherits this reader's context with
    // `what` appended.
    [[nodiscard]] bool read_vector(std::size_t prefix_bytes, std::size_t min, std::size_t max, ByteReader& child,
                                   std::string_view what);

    // Fails unless every byte was consumed: trailing bytes are an error, not ignored.
    [[nodiscard]] bool expect_empty();

    // Records a semantic error found by the caller (a wrong value where the bytes were fine).
    [[nodiscard]] bool fail(std::string_view why);
    // Takes over a child reader's error as it stands (its context already names the place).
    [[nodiscard]] bool fail_from(const ByteReader& child);

    [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size(); }
    [[nodiscard]] bool empty() const noexcept { return bytes_.empty(); }
    [[nodiscard]] std::span<const std::uint8_t> rest() const noexcept { return bytes_; }
    [[nodiscard]] const std::string& context() const noexcept { return context_; }
    // The first failure of this reader, "" while there is none.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

private:
    [[nodiscard]] bool read_big_endian(std::size_t width, std::uint32_t& out);

    std::span<const std::uint8_t> bytes_;
    std::string context_;
    std::string error_;
};

}  // namespace tls_checks::wire
