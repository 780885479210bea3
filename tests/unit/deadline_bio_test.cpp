// The deadline BIO on its own, over a socketpair: it reads and writes like OpenSSL's socket BIO
// (retry when nothing is there, EOF when the peer closed), and it refuses every read and write
// once the deadline has passed and every read once its byte budget is spent, whatever is still
// waiting on the socket. That refusal is what ends a loop inside OpenSSL.

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <limits>
#include <vector>

#include "tls/deadline_bio.hpp"

using namespace tls_checks;
using namespace tls_checks::tls;

namespace {

// Our end non-blocking, as a connected net::Socket is; the other end blocking, for the test.
struct Pair {
    std::array<int, 2> fds{-1, -1};
    BioPtr bio;

    Pair() {
        BOOST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds.data()) == 0);
        BOOST_REQUIRE(::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK) == 0);
        bio.reset(new_deadline_bio(fds[0]));
        BOOST_REQUIRE(bio);
    }
    ~Pair() {
        bio.reset();  // the BIO does not close the descriptor
        for (const int fd : fds)
            if (fd >= 0) ::close(fd);
    }
    Pair(const Pair&) = delete;
    Pair& operator=(const Pair&) = delete;

    void peer_sends(std::size_t count) const {
        const std::vector<unsigned char> bytes(count, 0x16);
        BOOST_REQUIRE(::send(fds[1], bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(count));
    }
    [[nodiscard]] int read(std::size_t size) const {
        std::vector<char> buffer(size);
        return BIO_read(bio.get(), buffer.data(), static_cast<int>(size));
    }
    [[nodiscard]] int write(std::size_t size) const {
        const std::vector<char> bytes(size, 'x');
        return BIO_write(bio.get(), bytes.data(), static_cast<int>(size));
    }
};

net::Deadline in_one_minute() { return net::Deadline::after(std::chrono::minutes(1)); }
net::Deadline already_passed() { return net::Deadline(net::Deadline::Clock::now() - std::chrono::milliseconds(1)); }
constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

}  // namespace

BOOST_AUTO_TEST_CASE(reads_what_is_there_and_asks_for_a_retry_when_nothing_is) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), in_one_minute(), unlimited);
    pair.peer_sends(10);
    BOOST_TEST(pair.read(100) == 10);
    BOOST_TEST(pair.read(100) <= 0);
    BOOST_TEST(BIO_should_retry(pair.bio.get()));
    BOOST_TEST(BIO_should_read(pair.bio.get()));
    BOOST_TEST(!BIO_eof(pair.bio.get()));
    const auto status = deadline_bio_status(pair.bio.get());
    BOOST_TEST((status.stop == BioStop::none));
    BOOST_TEST(status.bytes_read == 10U);
}

BOOST_AUTO_TEST_CASE(a_peer_that_closed_is_eof_without_retry) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), in_one_minute(), unlimited);
    ::close(pair.fds[1]);
    pair.fds[1] = -1;
    BOOST_TEST(pair.read(100) == 0);
    BOOST_TEST(!BIO_should_retry(pair.bio.get()));
    BOOST_TEST(BIO_eof(pair.bio.get()));
    BOOST_TEST((deadline_bio_status(pair.bio.get()).stop == BioStop::none));
}

BOOST_AUTO_TEST_CASE(writes_reach_the_peer_and_flush_succeeds) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), in_one_minute(), unlimited);
    BOOST_TEST(pair.write(7) == 7);
    BOOST_TEST(BIO_flush(pair.bio.get()) == 1);  // OpenSSL's state machine fails on a flush <= 0
    std::array<char, 16> got{};
    BOOST_TEST(::recv(pair.fds[1], got.data(), got.size(), 0) == 7);
    int fd = -1;
    BOOST_TEST(BIO_get_fd(pair.bio.get(), &fd) == pair.fds[0]);
    BOOST_TEST(fd == pair.fds[0]);
}

BOOST_AUTO_TEST_CASE(after_the_deadline_reads_fail_although_data_is_waiting_and_writes_fail_too) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), already_passed(), unlimited);
    pair.peer_sends(100);
    BOOST_TEST(pair.read(100) <= 0);
    BOOST_TEST(!BIO_should_retry(pair.bio.get()));  // no retry: OpenSSL's loop ends here
    BOOST_TEST((deadline_bio_status(pair.bio.get()).stop == BioStop::deadline));
    BOOST_TEST(pair.write(5) <= 0);
    BOOST_TEST(!BIO_should_retry(pair.bio.get()));
    BOOST_TEST(deadline_bio_status(pair.bio.get()).bytes_read == 0U);
}

BOOST_AUTO_TEST_CASE(a_deadline_that_passes_between_reads_stops_the_next_one) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), net::Deadline::after(std::chrono::milliseconds(50)), unlimited);
    pair.peer_sends(200);
    BOOST_TEST(pair.read(100) == 100);
    ::usleep(60'000);
    BOOST_TEST(pair.read(100) <= 0);
    const auto status = deadline_bio_status(pair.bio.get());
    BOOST_TEST((status.stop == BioStop::deadline));
    BOOST_TEST(status.bytes_read == 100U);
}

BOOST_AUTO_TEST_CASE(reads_never_pass_the_budget_and_fail_once_it_is_spent) {
    Pair pair;
    arm_deadline_bio(pair.bio.get(), in_one_minute(), 60);
    pair.peer_sends(100);
    BOOST_TEST(pair.read(50) == 50);
    BOOST_TEST(pair.read(50) == 10);  // only what is left of the budget
    BOOST_TEST(pair.read(50) <= 0);
    BOOST_TEST(!BIO_should_retry(pair.bio.get()));
    auto status = deadline_bio_status(pair.bio.get());
    BOOST_TEST((status.stop == BioStop::read_limit));
    BOOST_TEST(status.bytes_read == 60U);
    BOOST_TEST(status.read_limit == 60U);
    // The stop is final until the BIO is armed again: writes (an alert) fail as well.
    BOOST_TEST(pair.write(5) <= 0);

    // Armed again (the next TlsStream call): a fresh budget and byte count.
    arm_deadline_bio(pair.bio.get(), in_one_minute(), 60);
    BOOST_TEST(pair.read(100) == 40);
    status = deadline_bio_status(pair.bio.get());
    BOOST_TEST((status.stop == BioStop::none));
    BOOST_TEST(status.bytes_read == 40U);
}

BOOST_AUTO_TEST_CASE(another_bio_is_left_alone) {
    BioPtr memory(BIO_new(BIO_s_mem()));
    BOOST_REQUIRE(memory);
    arm_deadline_bio(memory.get(), already_passed(), 0);
    BOOST_TEST(BIO_write(memory.get(), "abc", 3) == 3);
    const auto status = deadline_bio_status(memory.get());
    BOOST_TEST((status.stop == BioStop::none));
    BOOST_TEST(status.bytes_read == 0U);
    BOOST_TEST((deadline_bio_status(nullptr).stop == BioStop::none));
}

BOOST_AUTO_TEST_CASE(byte_counts_read_as_sizes) {
    BOOST_TEST(byte_count_text(0) == "0 bytes");
    BOOST_TEST(byte_count_text(1) == "1 byte");
    BOOST_TEST(byte_count_text(1023) == "1023 bytes");
    BOOST_TEST(byte_count_text(1024) == "1 KiB");
    BOOST_TEST(byte_count_text(1536) == "1.5 KiB");
    BOOST_TEST(byte_count_text(handshake_read_limit) == "256 KiB");
    BOOST_TEST(byte_count_text(86205) == "84.2 KiB");
    BOOST_TEST(byte_count_text(12'900'000) == "12.3 MiB");
    BOOST_TEST(byte_count_text(3U * 1024 * 1024) == "3 MiB");
}
