// The injection rule, owned by the dialog runner for every protocol: after the go-ahead no
// buffer of the dialog (the line reader, the XMPP scanner) may hold a byte, and nothing beyond
// the last complete reply may be waiting when the STARTTLS command is due. Each scripted chunk is
// one read, like one TCP segment: "go-ahead + injected bytes" in one chunk is the attack.

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "dialog_run.hpp"
#include "memory_stream.hpp"
#include "starttls/dialog.hpp"
#include "starttls/dialog_channel.hpp"
#include "starttls/xml_scanner.hpp"

using namespace tls_checks;
using namespace std::chrono_literals;
using starttls::DialogFailure;
using starttls::Protocol;
namespace data = boost::unit_test::data;

namespace {

// The error's message, for a failed check (Boost streams the message even when the check passes).
std::string why(const Expected<starttls::DialogResult, starttls::DialogError>& result) {
    return result.has_value() ? std::string() : result.error().message;
}

using test::Outcome;
using test::run;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string xmpp_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "id='x' from='example.test' version='1.0'>";
const std::string xmpp_server_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
    "id='x' from='example.test' version='1.0'>";
const std::string xmpp_features =
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
const std::string xmpp_proceed = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
const std::string xmpp_forged_features =
    "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism>"
    "</mechanisms></stream:features>";

// LDAPMessage { 1, extendedResp { success, "", "" } }
const std::string ldap_success("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00", 14);

std::string mysql_greeting() {
    const std::string payload = std::string("\x0a", 1) + "10.11.6-MariaDB" + std::string(1, '\0') +
                                std::string("\x01\x00\x00\x00", 4) + std::string(8, 'a') + std::string(1, '\0') +
                                std::string("\xfe\xff", 2) + std::string("\x2d", 1) + std::string("\x02\x00", 2) +
                                std::string("\xff\x81", 2) + std::string(11, '\0') + std::string(13, 'b');
    return std::string(1, static_cast<char>(payload.size())) + std::string("\x00\x00\x00", 3) + payload;
}

// One protocol's clean dialog, cut where the go-ahead arrives.
struct Script {
    Protocol protocol;
    std::vector<std::string> before;  // every chunk up to the last reply before the STARTTLS command
    std::string go_ahead;             // the chunk with the go-ahead
    std::string injected;             // what a man in the middle appends to it
    std::string command;              // the STARTTLS command as written; empty where it is not sent last
};

std::ostream& operator<<(std::ostream& out, const Script& script) {
    return out << starttls::info(script.protocol).name;
}

const std::vector<Script> scripts = {
    {Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n"}, "220 2.0.0 go ahead\r\n", "250 fake\r\n",
     "STARTTLS\r\n"},
    {Protocol::submission, {"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n"}, "220 go ahead\r\n",
     "250-mx\r\n250 AUTH PLAIN\r\n", "STARTTLS\r\n"},
    {Protocol::lmtp, {"220 lmtp\r\n", "250-lmtp\r\n250 STARTTLS\r\n"}, "220 ready\r\n", "250 2.1.0 ok\r\n", "STARTTLS\r\n"},
    {Protocol::pop3, {"+OK ready\r\n", "+OK list\r\nSTLS\r\n.\r\n"}, "+OK Begin TLS\r\n", "+OK 2 messages\r\n", "STLS\r\n"},
    {Protocol::imap, {"* OK ready\r\n", "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na2 OK done\r\n"},
     "a3 OK Begin TLS\r\n", "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n", "a3 STARTTLS\r\n"},
    {Protocol::ftp, {"220 ready\r\n", "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n"}, "234 Proceed\r\n",
     "230 logged in\r\n", "AUTH TLS\r\n"},
    {Protocol::nntp, {"200 news\r\n", "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n"}, "382 Continue\r\n",
     "281 Authentication accepted\r\n", "STARTTLS\r\n"},
    {Protocol::sieve, {"\"IMPLEMENTATION\" \"x\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n"}, "OK \"Begin TLS\"\r\n",
     "\"SASL\" \"PLAIN\"\r\nOK\r\n", "STARTTLS\r\n"},
    {Protocol::irc, {":irc CAP * LS :tls sasl\r\n"}, ":irc 670 * :STARTTLS successful, go ahead\r\n",
     ":irc 001 nick :Welcome\r\n", "STARTTLS\r\n"},
    {Protocol::xmpp, {xmpp_header, xmpp_features}, xmpp_proceed, xmpp_forged_features,
     "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
    {Protocol::xmpp_server, {xmpp_server_header, xmpp_features}, xmpp_proceed, xmpp_forged_features,
     "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"},
    {Protocol::ldap, {}, ldap_success, std::string("\x30\x05\x02\x01\x02\x42\x00", 7),
     std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037", 31)},
    {Protocol::postgres, {}, "S", std::string("R\x00\x00\x00\x08\x00\x00\x00\x00", 9), std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8)},
    // MySQL's go-ahead is the greeting; the SSLRequest follows it unanswered.
    {Protocol::mysql, {}, mysql_greeting(), std::string("\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00", 11), ""},
};

std::vector<std::string> with(std::vector<std::string> chunks, std::string last) {
    chunks.push_back(std::move(last));
    return chunks;
}

}  // namespace

BOOST_DATA_TEST_CASE(clean_dialog_of_every_protocol_upgrades_with_nothing_left_over, data::make(scripts), script) {
    const auto outcome = run(script.protocol, with(script.before, script.go_ahead));
    BOOST_TEST_REQUIRE(outcome.result.has_value(), why(outcome.result));
    if (!script.command.empty()) BOOST_TEST(outcome.written.ends_with(script.command));
    BOOST_TEST((outcome.result->upgrade_at >= outcome.result->greeting_at));
}

BOOST_DATA_TEST_CASE(bytes_in_the_same_read_as_the_go_ahead_are_an_injection_for_every_protocol, data::make(scripts),
                     script) {
    const auto outcome = run(script.protocol, with(script.before, script.go_ahead + script.injected));
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(outcome.result.error().message == "server sent " + std::to_string(script.injected.size()) +
                                                     " bytes after its STARTTLS reply, before the handshake (injection risk)");
}

BOOST_DATA_TEST_CASE(go_ahead_already_buffered_before_the_command_is_an_answer_before_asking, data::make(scripts),
                     script) {
    // Where the client speaks first (LDAP, PostgreSQL) nothing is read before the command, and
    // MySQL's greeting is the go-ahead itself: the case does not arise there.
    BOOST_TEST_INFO("protocol " << script);
    if (script.before.empty()) {
        BOOST_TEST(script.before.empty());
        return;
    }
    auto chunks = script.before;
    chunks.back() += script.go_ahead;
    const auto outcome = run(script.protocol, chunks);
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(outcome.result.error().message ==
               "server answered STARTTLS before it was asked: " + std::to_string(script.go_ahead.size()) +
                   " bytes beyond its last reply were waiting before the command was sent (injection risk)");
    BOOST_TEST(!contains(outcome.written, script.command), "the STARTTLS command must not be sent");
}

BOOST_AUTO_TEST_CASE(smtp_go_ahead_and_a_fake_reply_in_one_read_is_an_injection) {
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "220 go ahead\r\n250 fake\r\n"});
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(outcome.result.error().message ==
               "server sent 10 bytes after its STARTTLS reply, before the handshake (injection risk)");
}

BOOST_AUTO_TEST_CASE(one_byte_after_the_go_ahead_is_counted_in_the_singular) {
    const auto outcome = run(Protocol::postgres, {"SX"});
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST(outcome.result.error().message ==
               "server sent 1 byte after its STARTTLS reply, before the handshake (injection risk)");
}

BOOST_AUTO_TEST_CASE(xmpp_proceed_and_forged_features_in_one_read_is_an_injection_not_swallowed_by_the_scanner) {
    const auto outcome = run(Protocol::xmpp, {xmpp_header, xmpp_features, xmpp_proceed + xmpp_forged_features});
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(contains(outcome.result.error().message, std::to_string(xmpp_forged_features.size()) + " bytes after"));
}

BOOST_AUTO_TEST_CASE(xmpp_proceed_with_an_end_tag_is_read_to_its_end_even_in_a_later_read) {
    const std::string open = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'>";
    BOOST_TEST(run(Protocol::xmpp, {xmpp_header, xmpp_features, open + "</proceed>"}).result.has_value());
    BOOST_TEST(run(Protocol::xmpp, {xmpp_header, xmpp_features, open, "</proceed>"}).result.has_value());
    const auto injected = run(Protocol::xmpp, {xmpp_header, xmpp_features, open, "</proceed><iq type='set'/>"});
    BOOST_TEST_REQUIRE(!injected.result.has_value());
    BOOST_TEST((injected.result.error().kind == DialogFailure::injection));
    BOOST_TEST(contains(injected.result.error().message, "16 bytes after"));
}

BOOST_AUTO_TEST_CASE(xmpp_proceed_already_sent_with_the_features_answers_before_asking) {
    const auto outcome = run(Protocol::xmpp, {xmpp_header, xmpp_features + xmpp_proceed});
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(contains(outcome.result.error().message, "answered STARTTLS before it was asked"));
    BOOST_TEST(!contains(outcome.written, "<starttls"));
}

BOOST_AUTO_TEST_CASE(xmpp_whitespace_keepalive_after_the_features_is_no_early_answer) {
    const auto outcome = run(Protocol::xmpp, {xmpp_header, xmpp_features + "\n \n", xmpp_proceed});
    BOOST_TEST(outcome.result.has_value());
}

BOOST_AUTO_TEST_CASE(smtp_multiline_replies_across_reads_are_consumed_whole_before_starttls) {
    // EHLO continuation lines arrive in pieces and all together with the greeting's end: none of
    // it is left over once the reply is complete.
    const auto outcome = run(Protocol::smtp, {"220-mx ESMTP\r\n220", " ready\r\n", "250-mx\r\n250-STA", "RTTLS\r\n250 8BITMIME\r\n",
                                              "220 go\r\n"});
    BOOST_TEST(outcome.result.has_value());
}

BOOST_AUTO_TEST_CASE(smtp_ehlo_reply_sent_with_the_greeting_is_no_early_starttls_answer_once_read) {
    // Beyond what the rule asks: only what is buffered when STARTTLS is due counts.
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n250-mx\r\n250 STARTTLS\r\n", "220 go\r\n"});
    BOOST_TEST(outcome.result.has_value());
}

BOOST_AUTO_TEST_CASE(irc_notices_buffered_with_the_cap_reply_are_no_early_answer) {
    const auto outcome = run(Protocol::irc, {":irc CAP * LS :tls\r\n:irc NOTICE * :*** Found your hostname\r\nPING :x\r\n",
                                             ":irc 670 * :go ahead\r\n"});
    BOOST_TEST(outcome.result.has_value());
    // ...but a numeric error among them is an answer.
    const auto early = run(Protocol::irc, {":irc CAP * LS :tls\r\n:irc NOTICE * :hi\r\n:irc 691 * :STARTTLS failed\r\n"});
    BOOST_TEST_REQUIRE(!early.result.has_value());
    BOOST_TEST((early.result.error().kind == DialogFailure::injection));
}

BOOST_AUTO_TEST_CASE(mysql_bytes_after_the_greeting_stop_the_ssl_request) {
    const auto outcome = run(Protocol::mysql, {mysql_greeting() + "x"});
    BOOST_TEST_REQUIRE(!outcome.result.has_value());
    BOOST_TEST((outcome.result.error().kind == DialogFailure::injection));
    BOOST_TEST(outcome.written.empty());
    BOOST_TEST(!outcome.result.error().capabilities.empty());
}

BOOST_AUTO_TEST_CASE(channel_counts_every_stacked_buffer_and_requires_a_go_ahead) {
    test::MemoryStream stream({"abc\r\ndef"});
    net::LineReader reader(stream);
    starttls::DialogChannel channel(reader);
    BOOST_TEST(!channel.after_go_ahead().has_value());  // no go-ahead: never clean
    BOOST_TEST(reader.read_line(net::Deadline::after(2s)).value() == "abc");
    auto& scanner = channel.stack<starttls::XmlScanner>();
    BOOST_TEST(scanner.feed("<a/><b"));
    BOOST_TEST(scanner.next().has_value());
    BOOST_TEST(channel.leftover() == 3U + 2U);  // "def" in the reader, "<b" in the scanner
    const auto early = channel.send_starttls("STARTTLS\r\n", net::Deadline::after(2s));
    BOOST_TEST_REQUIRE(!early.has_value());
    BOOST_TEST(contains(early.error().message, "before it was asked: 5 bytes"));
    BOOST_TEST(stream.written.empty());
    channel.go_ahead();
    const auto after = channel.after_go_ahead();
    BOOST_TEST_REQUIRE(!after.has_value());
    BOOST_TEST(contains(after.error().message, "server sent 5 bytes after"));
}

BOOST_AUTO_TEST_CASE(xml_scanner_stops_after_each_event_and_keeps_the_rest) {
    starttls::XmlScanner scanner;
    BOOST_TEST(scanner.feed(xmpp_proceed + "<x/>  "));
    const auto proceed = scanner.next();
    BOOST_TEST_REQUIRE(proceed.has_value());
    BOOST_TEST(proceed->name == "proceed");
    BOOST_TEST(scanner.buffered() == 6U);
    BOOST_TEST(scanner.next().has_value());
    BOOST_TEST(scanner.buffered() == 2U);  // trailing whitespace stays until discarded
    scanner.discard_whitespace();
    BOOST_TEST(scanner.buffered() == 0U);
}
