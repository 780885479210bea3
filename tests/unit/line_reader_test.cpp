// The bounded reader: lines split across writes, CRLF and LF, the line cap, the total cap, a
// closed peer and a silent one (the deadline ends the wait).

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "net/line_reader.hpp"
#include "memory_stream.hpp"
#include "net/socket.hpp"

using namespace tls_checks;
using namespace tls_checks::net;
using namespace std::chrono_literals;

namespace {

// A connected pair: `client` is what the reader reads from, `server` what the test writes to.
struct Pair {
    Socket client;
    Socket server;
    Pair() {
        int fds[2];
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) == 0);
        client = Socket(fds[0]);
        client.peer_text = "peer";
        server = Socket(fds[1]);
    }
    void send(const std::string& text) { BOOST_REQUIRE(::write(server.fd(), text.data(), text.size()) == static_cast<ssize_t>(text.size())); }
};

}  // namespace

BOOST_AUTO_TEST_CASE(lines_end_at_crlf_or_lf_and_may_arrive_in_pieces) {
    Pair pair;
    LineReader reader(pair.client);
    pair.send("250-first\r\n250 sec");
    const auto deadline = Deadline::after(2s);
    auto first = reader.read_line(deadline);
    BOOST_REQUIRE(first.has_value());
    BOOST_TEST(*first == "250-first");
    pair.send("ond\nthird\r\n");
    BOOST_TEST(reader.read_line(deadline).value() == "250 second");
    BOOST_TEST(reader.read_line(deadline).value() == "third");
    BOOST_TEST(reader.buffered() == 0U);
}

BOOST_AUTO_TEST_CASE(bytes_after_the_last_line_stay_buffered_for_the_caller_to_see) {
    Pair pair;
    LineReader reader(pair.client);
    pair.send("220 go ahead\r\n\x16\x03\x01");
    BOOST_TEST(reader.read_line(Deadline::after(2s)).value() == "220 go ahead");
    BOOST_TEST(reader.buffered() == 3U);
}

BOOST_AUTO_TEST_CASE(line_longer_than_the_cap_is_an_error) {
    Pair pair;
    LineReader reader(pair.client, ReaderLimits{16, 1024});
    pair.send(std::string(40, 'a') + "\r\n");
    auto line = reader.read_line(Deadline::after(2s));
    BOOST_REQUIRE(!line.has_value());
    BOOST_TEST(static_cast<int>(line.error().kind) == static_cast<int>(NetErrorKind::line_too_long));
}

BOOST_AUTO_TEST_CASE(line_exactly_at_the_cap_is_accepted) {
    Pair pair;
    LineReader reader(pair.client, ReaderLimits{16, 1024});
    pair.send(std::string(16, 'b') + "\r\n");
    BOOST_TEST(reader.read_line(Deadline::after(2s)).value() == std::string(16, 'b'));
}

BOOST_AUTO_TEST_CASE(endless_short_lines_hit_the_total_cap) {
    Pair pair;
    LineReader reader(pair.client, ReaderLimits{64, 100});
    std::string many;
    for (int i = 0; i < 40; ++i) many += "250-x\r\n";
    pair.send(many);
    const auto deadline = Deadline::after(2s);
    NetErrorKind kind = NetErrorKind::io_error;
    for (int i = 0; i < 40; ++i) {
        auto line = reader.read_line(deadline);
        if (!line) {
            kind = line.error().kind;
            break;
        }
    }
    BOOST_TEST(static_cast<int>(kind) == static_cast<int>(NetErrorKind::too_much_data));
    BOOST_TEST(reader.total_read() <= 100U);
}

BOOST_AUTO_TEST_CASE(peer_close_before_a_full_line_is_reported_as_closed) {
    Pair pair;
    LineReader reader(pair.client);
    pair.send("partial");
    pair.server = Socket();
    auto line = reader.read_line(Deadline::after(2s));
    BOOST_REQUIRE(!line.has_value());
    BOOST_TEST(static_cast<int>(line.error().kind) == static_cast<int>(NetErrorKind::closed));
}

BOOST_AUTO_TEST_CASE(silent_peer_ends_in_timed_out_at_the_deadline) {
    Pair pair;
    LineReader reader(pair.client);
    auto line = reader.read_line(Deadline::after(50ms));
    BOOST_REQUIRE(!line.has_value());
    BOOST_TEST(static_cast<int>(line.error().kind) == static_cast<int>(NetErrorKind::timed_out));
}

BOOST_AUTO_TEST_CASE(read_exact_returns_binary_bytes_across_writes) {
    Pair pair;
    LineReader reader(pair.client);
    pair.send(std::string("\x00\x01", 2));
    pair.send("\x02\x03");
    auto bytes = reader.read_exact(4, Deadline::after(2s));
    BOOST_REQUIRE(bytes.has_value());
    BOOST_TEST(bytes->size() == 4U);
    BOOST_TEST((*bytes)[3] == 3);
}

BOOST_AUTO_TEST_CASE(line_arriving_in_pieces_after_a_fully_read_line_is_read_whole) {
    // Regression: after the buffer was emptied, a line split across reads lost its first piece.
    test::MemoryStream stream({"first\r\n", "sec", "ond part longer than the first\r\n"});
    LineReader reader(stream);
    const auto deadline = Deadline::after(2s);
    BOOST_TEST(reader.read_line(deadline).value() == "first");
    BOOST_TEST(reader.read_line(deadline).value() == "second part longer than the first");
}

BOOST_AUTO_TEST_CASE(peek_line_shows_a_complete_buffered_line_without_reading_or_taking_it) {
    test::MemoryStream stream({"first\r\nsecond", " half\r\n"});
    LineReader reader(stream);
    BOOST_TEST(!reader.peek_line().has_value());  // nothing read yet, and peeking never reads
    const auto deadline = Deadline::after(2s);
    BOOST_TEST(reader.read_line(deadline).value() == "first");
    BOOST_TEST(!reader.peek_line().has_value());  // "second" is not complete
    BOOST_TEST(reader.buffered() == 6U);
    BOOST_TEST(reader.read_line(deadline).value() == "second half");
    BOOST_TEST(!reader.peek_line().has_value());
}

BOOST_AUTO_TEST_CASE(peek_line_leaves_the_line_for_read_line_and_counts_it_as_buffered) {
    test::MemoryStream stream({"one\r\ntwo\ntail"});
    LineReader reader(stream);
    const auto deadline = Deadline::after(2s);
    BOOST_TEST(reader.read_line(deadline).value() == "one");
    BOOST_TEST(reader.peek_line().value_or("") == "two");
    BOOST_TEST(reader.buffered() == 8U);
    BOOST_TEST(reader.read_line(deadline).value() == "two");
    BOOST_TEST(reader.buffered() == 4U);
    // Through the interface every STARTTLS dialog asks.
    const ReceiveBuffer& buffer = reader;
    BOOST_TEST(buffer.buffered() == 4U);
}

BOOST_AUTO_TEST_CASE(peek_line_longer_than_the_cap_is_not_offered) {
    test::MemoryStream stream({"ok\r\n" + std::string(40, 'x') + "\r\n"});
    LineReader reader(stream, ReaderLimits{16, 1024});
    BOOST_TEST(reader.read_line(Deadline::after(2s)).value() == "ok");
    BOOST_TEST(!reader.peek_line().has_value());
    BOOST_TEST(reader.buffered() == 42U);
}
