#include "net/line_reader.hpp"

#include <algorithm>
#include <array>

namespace tls_checks::net {

Expected<Done, NetError> LineReader::fill(const Deadline& deadline) {
    if (total_ >= limits_.max_total) {
        return unexpected(NetError{NetErrorKind::too_much_data,
                                   stream_.peer() + " sent more than " + std::to_string(limits_.max_total) + " bytes"});
    }
    std::array<unsigned char, 4096> chunk{};
    const std::size_t wanted = std::min(chunk.size(), limits_.max_total - total_);
    auto got = stream_.read_some(std::span(chunk.data(), wanted), deadline);
    if (!got) return unexpected(std::move(got.error()));
    buffer_.insert(buffer_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(*got));
    total_ += *got;
    return Done{};
}

void LineReader::compact() noexcept {
    // Only when everything was handed out: positions into the buffer stay valid otherwise.
    if (start_ > 0 && start_ == buffer_.size()) {
        buffer_.clear();
        start_ = 0;
    }
}

LineReader::Scan LineReader::find_line(std::size_t from, std::string& line, std::size_t& end) const {
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(from);
    const auto newline = std::find(begin, buffer_.end(), static_cast<unsigned char>('\n'));
    if (newline == buffer_.end()) return Scan::incomplete;
    const auto line_begin = buffer_.begin() + static_cast<std::ptrdiff_t>(start_);
    auto line_end = newline;
    if (line_end != line_begin && *(line_end - 1) == '\r') --line_end;
    if (static_cast<std::size_t>(line_end - line_begin) > limits_.max_line) return Scan::too_long;
    line.assign(line_begin, line_end);
    end = static_cast<std::size_t>(newline - buffer_.begin()) + 1;
    return Scan::line;
}

std::optional<std::string> LineReader::peek_line() const {
    std::string line;
    std::size_t end = 0;
    if (find_line(start_, line, end) != Scan::line) return std::nullopt;
    return line;
}

Expected<std::string, NetError> LineReader::read_line(const Deadline& deadline) {
    compact();
    std::size_t scanned = start_;
    for (;;) {
        std::string line;
        std::size_t end = 0;
        const Scan scan = find_line(scanned, line, end);
        if (scan == Scan::line) {
            start_ = end;
            return line;
        }
        if (scan == Scan::too_long) break;
        scanned = buffer_.size();
        if (buffered() > limits_.max_line + 1) break;
        if (auto filled = fill(deadline); !filled) return unexpected(std::move(filled.error()));
    }
    return unexpected(NetError{NetErrorKind::line_too_long, stream_.peer() + " sent a line longer than " +
                                                                std::to_string(limits_.max_line) + " bytes"});
}

Expected<std::string, NetError> LineReader::read_available(const Deadline& deadline) {
    compact();
    if (buffered() == 0) {
        if (auto filled = fill(deadline); !filled) return unexpected(std::move(filled.error()));
    }
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(start_);
    std::string bytes(begin, buffer_.end());
    start_ = buffer_.size();
    return bytes;
}

Expected<std::vector<unsigned char>, NetError> LineReader::read_exact(std::size_t count, const Deadline& deadline) {
    if (count > limits_.max_total) {
        return unexpected(NetError{NetErrorKind::too_much_data,
                                   "refusing to read " + std::to_string(count) + " bytes from " + stream_.peer()});
    }
    compact();
    while (buffered() < count) {
        if (auto filled = fill(deadline); !filled) return unexpected(std::move(filled.error()));
    }
    const auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(start_);
    std::vector<unsigned char> bytes(begin, begin + static_cast<std::ptrdiff_t>(count));
    start_ += count;
    return bytes;
}

}  // namespace tls_checks::net
