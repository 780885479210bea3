#include "wire/byte_writer.hpp"

namespace tls_checks::wire {

// Out of line on purpose: inlined into the builders' nested lambdas, GCC 12 loses track of the
// vector's size and warns about a memset into "a region of size 0" (-Wstringop-overflow).
void ByteWriter::zeros(std::size_t count) { bytes_.resize(bytes_.size() + count, 0); }

void ByteWriter::patch_length(std::size_t at, std::size_t prefix_bytes) {
    const std::size_t length = bytes_.size() - at - prefix_bytes;
    if (prefix_bytes < 1 || prefix_bytes > 4 || (prefix_bytes < 4 && length >> (8 * prefix_bytes) != 0))
        throw std::length_error("ByteWriter: block of " + std::to_string(length) + " bytes overflows its prefix");
    for (std::size_t i = 0; i < prefix_bytes; ++i)
        bytes_[at + i] = static_cast<std::uint8_t>(length >> (8 * (prefix_bytes - 1 - i)));
}

}  // namespace tls_checks::wire
