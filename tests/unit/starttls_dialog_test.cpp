// The STARTTLS dialogs against scripted replies: multi-line and tagged replies, continuation
// lines, capability lists, STARTTLS stripped from a list, refusals, garbage, endless replies,
// replies split across reads, bytes injected after the go-ahead, LDAP message IDs and notices.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "dialog_run.hpp"
#include "memory_stream.hpp"
#include "starttls/binary_dialogs.hpp"
#include "starttls/dialog.hpp"
#include "starttls/text_dialog.hpp"

using namespace tls_checks;
using namespace std::chrono_literals;
using starttls::DialogFailure;
using starttls::Protocol;

namespace {

using test::Outcome;
using test::run;

DialogFailure failure(const Outcome& outcome) {
    BOOST_REQUIRE(!outcome.result.has_value());
    return outcome.result.error().kind;
}

// BER with short-form lengths, enough for LDAP test messages.
std::string tlv(unsigned char tag, const std::string& contents) {
    BOOST_REQUIRE(contents.size() < 128U);
    return std::string(1, static_cast<char>(tag)) + std::string(1, static_cast<char>(contents.size())) + contents;
}

// LDAPMessage { messageID, extendedResp { resultCode, "", diagnostic [, responseName] } }
std::string ldap_extended_response(int message_id, int result_code, const std::string& diagnostic,
                                   const std::string& response_name = "") {
    std::string response = tlv(0x0a, std::string(1, static_cast<char>(result_code))) + tlv(0x04, "") + tlv(0x04, diagnostic);
    if (!response_name.empty()) response += tlv(0x8a, response_name);
    return tlv(0x30, tlv(0x02, std::string(1, static_cast<char>(message_id))) + tlv(0x78, response));
}

}  // namespace

BOOST_AUTO_TEST_CASE(smtp_reads_multiline_ehlo_and_upgrades_on_220) {
    const auto outcome = run(Protocol::smtp, {"220 mx.example ESMTP\r\n",
                                              "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
                                              "220 2.0.0 Ready to start TLS\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "EHLO client.example\r\nSTARTTLS\r\n");
    BOOST_TEST(outcome.result->greeting == "mx.example ESMTP");
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"PIPELINING", "STARTTLS", "8BITMIME"}));
    BOOST_TEST(!outcome.result->plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(smtp_with_starttls_stripped_is_not_offered_and_never_sends_the_command) {
    // What a man in the middle does: the capability vanishes from the list.
    const auto outcome = run(Protocol::smtp, {"220 mx ESMTP\r\n", "250-mx\r\n250-PIPELINING\r\n250 XXXXXXXA\r\n"});
    BOOST_TEST((failure(outcome) == DialogFailure::not_offered));
    BOOST_TEST(outcome.written == "EHLO client.example\r\n");
    BOOST_TEST((outcome.result.error().capabilities == std::vector<std::string>{"PIPELINING", "XXXXXXXA"}));
}

BOOST_AUTO_TEST_CASE(smtp_454_is_a_refusal_with_the_reply) {
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "454 4.7.0 TLS not available\r\n"});
    BOOST_TEST((failure(outcome) == DialogFailure::refused));
    BOOST_TEST(outcome.result.error().message == "454 4.7.0 TLS not available");
}

BOOST_AUTO_TEST_CASE(smtp_auth_before_starttls_is_plaintext_login) {
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250-AUTH PLAIN LOGIN\r\n250 STARTTLS\r\n", "220 go\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.result->plaintext_login.value_or("") == "AUTH PLAIN LOGIN advertised before STARTTLS");
}

BOOST_AUTO_TEST_CASE(reply_split_across_reads_mid_line_is_reassembled) {
    const auto outcome = run(Protocol::smtp, {"22", "0 mx\r", "\n250-m", "x\r\n250 STAR", "TTLS\r\n", "220 ", "go\r\n"});
    BOOST_TEST(outcome.result.has_value());
}

BOOST_AUTO_TEST_CASE(bytes_after_the_go_ahead_are_an_injection_error) {
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n", "250-mx\r\n250 STARTTLS\r\n", "220 go\r\nMAIL FROM:<x>\r\n"});
    // (the injected command arrives in the same segment as the go-ahead; every protocol's case is
    // in starttls_injection_test.cpp)
    BOOST_TEST((failure(outcome) == DialogFailure::injection));
    BOOST_TEST(outcome.result.error().message.find("injection") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(endless_multiline_reply_is_a_protocol_error_not_a_hang) {
    std::string endless;
    for (int i = 0; i < 300; ++i) endless += "250-X\r\n";
    const auto outcome = run(Protocol::smtp, {"220 mx\r\n", endless});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
}

BOOST_AUTO_TEST_CASE(oversized_line_is_a_protocol_error) {
    const auto outcome = run(Protocol::smtp, {"220 " + std::string(2000, 'x') + "\r\n"});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
}

BOOST_AUTO_TEST_CASE(garbage_greeting_is_a_protocol_error) {
    BOOST_TEST((failure(run(Protocol::smtp, {"HTTP/1.1 400 Bad Request\r\n"})) == DialogFailure::protocol_error));
    BOOST_TEST((failure(run(Protocol::smtp, {"22x hello\r\n"})) == DialogFailure::protocol_error));
    BOOST_TEST((failure(run(Protocol::smtp, {"554 go away\r\n"})) == DialogFailure::protocol_error));
}

BOOST_AUTO_TEST_CASE(closed_and_silent_servers_are_typed) {
    BOOST_TEST((failure(run(Protocol::smtp, {"<close>"})) == DialogFailure::closed));
    BOOST_TEST((failure(run(Protocol::smtp, {"220 mx\r\n"})) == DialogFailure::timed_out));
}

BOOST_AUTO_TEST_CASE(imap_uses_tags_and_reads_untagged_capabilities) {
    const auto outcome = run(Protocol::imap, {"* OK [CAPABILITY IMAP4rev1] ready\r\n",
                                              "* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na2 OK done\r\n",
                                              "a3 OK Begin TLS negotiation now\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "a2 CAPABILITY\r\na3 STARTTLS\r\n");
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"IMAP4rev1", "STARTTLS", "LOGINDISABLED"}));
    BOOST_TEST(!outcome.result->plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(imap_without_logindisabled_exposes_login_and_no_is_a_refusal) {
    const auto outcome = run(Protocol::imap, {"* OK ready\r\n", "* CAPABILITY IMAP4rev1 STARTTLS\r\na2 OK\r\n",
                                              "a3 NO [UNAVAILABLE] no TLS today\r\n"});
    BOOST_TEST((failure(outcome) == DialogFailure::refused));
    const auto exposed = run(Protocol::imap, {"* OK ready\r\n", "* CAPABILITY IMAP4rev1 STARTTLS\r\na2 OK\r\n", "a3 OK\r\n"});
    BOOST_REQUIRE(exposed.result.has_value());
    BOOST_TEST(exposed.result->plaintext_login.value_or("") == "LOGIN allowed before STARTTLS (no LOGINDISABLED)");
}

BOOST_AUTO_TEST_CASE(imap_preauth_greeting_cannot_do_starttls) {
    BOOST_TEST((failure(run(Protocol::imap, {"* PREAUTH welcome\r\n"})) == DialogFailure::protocol_error));
}

BOOST_AUTO_TEST_CASE(pop3_reads_the_dot_terminated_capa_block) {
    const auto outcome = run(Protocol::pop3, {"+OK ready\r\n", "+OK list follows\r\nTOP\r\nSTLS\r\nSASL GSSAPI\r\n.\r\n",
                                              "+OK Begin TLS\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "CAPA\r\nSTLS\r\n");
    BOOST_TEST(!outcome.result->plaintext_login.has_value());
    const auto exposed = run(Protocol::pop3, {"+OK\r\n", "+OK\r\nUSER\r\nSTLS\r\n.\r\n", "+OK\r\n"});
    BOOST_TEST(exposed.result->plaintext_login.value_or("") == "USER advertised before STLS");
}

BOOST_AUTO_TEST_CASE(ftp_free_form_multiline_feat_and_auth_tls) {
    const auto outcome = run(Protocol::ftp, {"220-Welcome\r\n  to the server\r\n220 ready\r\n",
                                             "211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n",
                                             "234 Proceed with negotiation.\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "FEAT\r\nAUTH TLS\r\n");
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"AUTH TLS", "PBSZ", "PROT"}));
    BOOST_TEST(!outcome.result->plaintext_login_visible);
}

BOOST_AUTO_TEST_CASE(ftp_without_feat_still_tries_auth_tls_and_500_means_not_offered) {
    const auto outcome = run(Protocol::ftp, {"220 ready\r\n", "500 FEAT not understood\r\n", "500 AUTH not understood\r\n"});
    BOOST_TEST((failure(outcome) == DialogFailure::not_offered));
}

BOOST_AUTO_TEST_CASE(nntp_capabilities_block_and_382) {
    const auto outcome = run(Protocol::nntp, {"200 news ready\r\n", "101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\nAUTHINFO USER\r\n.\r\n",
                                              "382 Continue with TLS negotiation\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.result->plaintext_login.value_or("") == "AUTHINFO USER advertised before STARTTLS");
}

BOOST_AUTO_TEST_CASE(sieve_greeting_is_the_capability_list) {
    const auto outcome = run(Protocol::sieve, {"\"IMPLEMENTATION\" \"x\"\r\n\"SASL\" \"GSSAPI\"\r\n\"STARTTLS\"\r\nOK \"ready\"\r\n",
                                               "OK \"Begin TLS negotiation now.\"\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "STARTTLS\r\n");
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"IMPLEMENTATION x", "SASL GSSAPI", "STARTTLS"}));
    BOOST_TEST(!outcome.result->plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(irc_skips_notices_and_waits_for_670) {
    const auto outcome = run(Protocol::irc, {":irc.example NOTICE * :*** Looking up your hostname...\r\n",
                                             ":irc.example CAP * LS * :multi-prefix sasl\r\n:irc.example CAP * LS :tls away-notify\r\n",
                                             ":irc.example NOTICE * :hi\r\n:irc.example 670 * :STARTTLS successful, go ahead\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written == "CAP LS 302\r\nSTARTTLS\r\n");
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"multi-prefix", "sasl", "tls", "away-notify"}));
}

BOOST_AUTO_TEST_CASE(irc_without_tls_cap_is_not_offered_and_691_is_refused) {
    BOOST_TEST((failure(run(Protocol::irc, {":s CAP * LS :sasl\r\n"})) == DialogFailure::not_offered));
    BOOST_TEST((failure(run(Protocol::irc, {":s CAP * LS :tls\r\n", ":s 691 * :STARTTLS failed\r\n"})) == DialogFailure::refused));
    BOOST_TEST((failure(run(Protocol::irc, {":s 421 * CAP :Unknown command\r\n", ":s 421 * STARTTLS :Unknown command\r\n"})) ==
                DialogFailure::not_offered));
}

BOOST_AUTO_TEST_CASE(xmpp_reads_features_and_proceeds) {
    const auto outcome = run(Protocol::xmpp, {"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                                              "xmlns:stream='http://etherx.jabber.org/streams' id='x' from='example.test' version='1.0'>",
                                              "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
                                              "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>"
                                              "</mechanisms></stream:features>",
                                              "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST(outcome.written.find("to='example.test'") != std::string::npos);
    BOOST_TEST(outcome.written.find("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") != std::string::npos);
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"starttls (required)", "mechanisms SCRAM-SHA-1"}));
    BOOST_TEST(!outcome.result->plaintext_login.has_value());
}

BOOST_AUTO_TEST_CASE(xmpp_without_starttls_feature_or_with_failure) {
    const std::string header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
    const auto missing = run(Protocol::xmpp, {header, "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                                                      "<mechanism>PLAIN</mechanism></mechanisms></stream:features>"});
    BOOST_TEST((failure(missing) == DialogFailure::not_offered));
    const auto refused = run(Protocol::xmpp, {header, "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
                                              "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
    BOOST_TEST((failure(refused) == DialogFailure::refused));
}

BOOST_AUTO_TEST_CASE(postgres_s_upgrades_and_n_is_not_offered) {
    const auto ok = run(Protocol::postgres, {"S"});
    BOOST_REQUIRE(ok.result.has_value());
    BOOST_TEST(ok.written == std::string("\x00\x00\x00\x08\x04\xd2\x16\x2f", 8));
    BOOST_TEST((failure(run(Protocol::postgres, {"N"})) == DialogFailure::not_offered));
    BOOST_TEST((failure(run(Protocol::postgres, {"Sjunk"})) == DialogFailure::injection));
}

BOOST_AUTO_TEST_CASE(ldap_extended_response_result_code_decides) {
    // LDAPMessage { 1, extendedResp { success, "", "" } }
    const std::string success("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00", 14);
    const auto ok = run(Protocol::ldap, {success});
    BOOST_REQUIRE(ok.result.has_value());
    BOOST_TEST(ok.written == std::string("\x30\x1d\x02\x01\x01\x77\x18\x80\x16" "1.3.6.1.4.1.1466.20037", 31));
    const std::string unavailable("\x30\x15\x02\x01\x01\x78\x10\x0a\x01\x34\x04\x00\x04\x09no TLS :(", 23);
    const auto refused = run(Protocol::ldap, {unavailable});
    BOOST_TEST((failure(refused) == DialogFailure::refused));
    BOOST_TEST(refused.result.error().message == "resultCode 52 (no TLS :()");
}

BOOST_AUTO_TEST_CASE(mysql_greeting_flags_decide_and_the_ssl_request_follows) {
    // Protocol 10, "10.11.6-MariaDB", id, scramble, filler, caps low 0xF7FE (CLIENT_SSL 0x0800
    // set), charset, status, caps high.
    std::string payload = std::string("\x0a", 1) + "10.11.6-MariaDB" + std::string(1, '\0') + std::string("\x01\x00\x00\x00", 4) +
                          std::string(8, 'a') + std::string(1, '\0') + std::string("\xfe\xff", 2) + std::string("\x2d", 1) +
                          std::string("\x02\x00", 2) + std::string("\xff\x81", 2) + std::string(11, '\0') + std::string(13, 'b');
    std::string packet = std::string(1, static_cast<char>(payload.size())) + std::string("\x00\x00\x00", 3) + payload;
    const auto ok = run(Protocol::mysql, {packet});
    BOOST_REQUIRE(ok.result.has_value());
    BOOST_TEST(ok.written.size() == 36U);  // 4-byte header + 32-byte SSLRequest
    BOOST_TEST(ok.written[3] == '\x01');   // sequence 1
    std::string no_ssl = payload;
    no_ssl[payload.find("\xfe\xff")+1] = '\xf7';  // clear CLIENT_SSL (0x0800)
    const std::string packet_no_ssl = std::string(1, static_cast<char>(no_ssl.size())) + std::string("\x00\x00\x00", 3) + no_ssl;
    BOOST_TEST((failure(run(Protocol::mysql, {packet_no_ssl})) == DialogFailure::not_offered));
}

BOOST_AUTO_TEST_CASE(ldap_response_with_another_message_id_is_a_protocol_error) {
    const auto outcome = run(Protocol::ldap, {ldap_extended_response(2, 0, "")});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
    BOOST_TEST(outcome.result.error().message == "LDAP response with messageID 2 to the StartTLS request with messageID 1");
}

BOOST_AUTO_TEST_CASE(ldap_notice_of_disconnection_is_named_not_taken_for_starttls_not_offered) {
    // RFC 4511 4.4.1: messageID 0, responseName 1.3.6.1.4.1.1466.20036; resultCode 2 would
    // otherwise read as "StartTLS unknown".
    const auto outcome = run(Protocol::ldap, {ldap_extended_response(0, 2, "no more", "1.3.6.1.4.1.1466.20036")});
    BOOST_TEST((failure(outcome) == DialogFailure::closed));
    BOOST_TEST(outcome.result.error().message ==
               "LDAP server sent a Notice of Disconnection (resultCode 2, diagnostic 'no more')");
    const auto unavailable = run(Protocol::ldap, {ldap_extended_response(0, 52, "shutting down", "1.3.6.1.4.1.1466.20036")});
    BOOST_TEST(unavailable.result.error().message ==
               "LDAP server sent a Notice of Disconnection (resultCode 52, diagnostic 'shutting down')");
}

BOOST_AUTO_TEST_CASE(ldap_other_unsolicited_notification_is_a_protocol_error) {
    const auto outcome = run(Protocol::ldap, {ldap_extended_response(0, 0, "", "1.2.3.4")});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
    BOOST_TEST(outcome.result.error().message ==
               "LDAP server sent an unsolicited notification (messageID 0, responseName '1.2.3.4') instead of the "
               "StartTLS response");
}

BOOST_AUTO_TEST_CASE(ldap_start_tls_response_name_is_parsed_and_the_upgrade_goes_on) {
    const auto message = ldap_extended_response(1, 0, "", "1.3.6.1.4.1.1466.20037");
    const auto parsed = starttls::parse_ldap_extended_response(
        std::span(reinterpret_cast<const std::uint8_t*>(message.data()), message.size()));
    BOOST_REQUIRE(parsed.has_value());
    BOOST_TEST(parsed->message_id == 1);
    BOOST_TEST(parsed->response_name.value_or("") == "1.3.6.1.4.1.1466.20037");
    BOOST_TEST(run(Protocol::ldap, {message}).result.has_value());
}

namespace {

std::string mysql_packet(const std::string& payload) {
    return std::string(1, static_cast<char>(payload.size() & 0xFFu)) + std::string(1, static_cast<char>(payload.size() >> 8u)) +
           std::string(2, '\0') + payload;
}

}  // namespace

BOOST_AUTO_TEST_CASE(mysql_malformed_greeting_is_a_protocol_error_not_a_refusal) {
    // The hostile corpus's greeting whose version string never ends: it used to read "STARTTLS
    // refused: MySQL greeting: string without its terminating NUL".
    const auto unterminated = run(Protocol::mysql, {mysql_packet("\x0a" + std::string(300, '5'))});
    BOOST_TEST((failure(unterminated) == DialogFailure::protocol_error));
    BOOST_TEST(unterminated.result.error().message == "malformed MySQL greeting: the server version lacks its terminating NUL");
    BOOST_TEST(unterminated.written.empty());
    const auto truncated = run(Protocol::mysql, {mysql_packet("\x0a" "5.7" + std::string(1, '\0') + std::string("\x01\x00", 2))});
    BOOST_TEST((failure(truncated) == DialogFailure::protocol_error));
    BOOST_TEST(truncated.result.error().message == "malformed MySQL greeting: expected 4 bytes, 2 left");
    const auto other_version = run(Protocol::mysql, {mysql_packet("\x09" "3.22" + std::string(1, '\0'))});
    BOOST_TEST((failure(other_version) == DialogFailure::protocol_error));
    BOOST_TEST(other_version.result.error().message == "MySQL greeting of protocol version 9, not 10");
    const auto short_err = run(Protocol::mysql, {mysql_packet("\xff\x6a")});
    BOOST_TEST((failure(short_err) == DialogFailure::protocol_error));
    BOOST_TEST(short_err.result.error().message == "malformed MySQL ERR packet: expected 2 bytes, 1 left");
}

BOOST_AUTO_TEST_CASE(mysql_err_packet_in_place_of_the_greeting_is_a_refusal) {
    // MariaDB turning away a host before the handshake: no SQL state (no CLIENT_PROTOCOL_41 yet).
    const auto host = run(Protocol::mysql, {mysql_packet("\xff\x6a\x04Host '10.0.0.9' is not allowed to connect to this MariaDB server")});
    BOOST_TEST((failure(host) == DialogFailure::refused));
    BOOST_TEST(host.result.error().message == "MySQL error 1130: Host '10.0.0.9' is not allowed to connect to this MariaDB server");
    const auto busy = run(Protocol::mysql, {mysql_packet("\xff\x10\x04#08004Too many connections")});
    BOOST_TEST((failure(busy) == DialogFailure::refused));
    BOOST_TEST(busy.result.error().message == "MySQL error 1040 (SQLSTATE 08004): Too many connections");
}

namespace {

const std::string xmpp_server_header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' from='example.test' "
    "version='1.0'>";
const std::string xmpp_starttls_features =
    "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>";
const std::string restricted_xml_stream_error =
    "<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>";

}  // namespace

BOOST_AUTO_TEST_CASE(xmpp_xml_declaration_at_the_start_character_references_and_cdata_are_read) {
    const auto outcome = run(Protocol::xmpp, {"<?xml version='1.0' encoding='UTF-8'?>\n" + xmpp_server_header,
                                              "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                                              "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>&#80;LAIN</mechanism>"
                                              "<mechanism><![CDATA[SCRAM-SHA-1]]></mechanism></mechanisms></stream:features>",
                                              "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST((outcome.result->capabilities == std::vector<std::string>{"starttls", "mechanisms PLAIN SCRAM-SHA-1"}));
    BOOST_TEST(outcome.result->plaintext_login.value_or("") == "SASL PLAIN offered before STARTTLS");
}

BOOST_AUTO_TEST_CASE(xmpp_dtd_is_restricted_xml_and_closes_the_stream_with_restricted_xml) {
    // RFC 6120 11.1, the hostile corpus's billion laughs: refused at "<!DOCTYPE", even when it
    // arrives in pieces and before its '>'; nothing is expanded, <starttls/> is never sent.
    const auto outcome = run(Protocol::xmpp, {"<?xml version='1.0'?><!DOC", "TYPE stream:stream [<!ENTITY lol0 'lol'>"});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
    BOOST_TEST(outcome.result.error().message == "XMPP server sent a DTD (RFC 6120 11.1 restricted XML)");
    BOOST_TEST(outcome.written.find("<starttls") == std::string::npos);
    BOOST_TEST(outcome.written.ends_with(restricted_xml_stream_error));
}

BOOST_AUTO_TEST_CASE(xmpp_comment_processing_instruction_and_entity_declaration_are_restricted_xml) {
    const std::vector<std::pair<std::string, std::string>> cases{
        {"<!-- hello -->", "XMPP server sent an XML comment (RFC 6120 11.1 restricted XML)"},
        {"<?xml-stylesheet href='x'?>", "XMPP server sent a processing instruction (RFC 6120 11.1 restricted XML)"},
        {"<?xml version='1.0'?>",
         "XMPP server sent a processing instruction (an XML declaration inside the stream) (RFC 6120 11.1 restricted XML)"},
        {"<!ENTITY offer 'x'>", "XMPP server sent a DTD declaration (<!ENTITY>) (RFC 6120 11.1 restricted XML)"},
        {"<stream:features>&offer;", "XMPP server sent the entity reference &offer; (RFC 6120 11.1 restricted XML)"},
        {"<stream:features><starttls xmlns='&ns;'/>", "XMPP server sent the entity reference &ns; (RFC 6120 11.1 restricted XML)"},
    };
    for (const auto& [sent, message] : cases) {
        const auto outcome = run(Protocol::xmpp, {xmpp_server_header + sent + "<x/>"});
        BOOST_TEST_REQUIRE(!outcome.result.has_value(), sent);
        BOOST_TEST((outcome.result.error().kind == DialogFailure::protocol_error), sent);
        BOOST_TEST(outcome.result.error().message == message);
        BOOST_TEST(outcome.written.ends_with(restricted_xml_stream_error), sent);
    }
    // Malformed XML is a protocol error too, without the restricted-xml stream error.
    const auto malformed = run(Protocol::xmpp, {xmpp_server_header + "<!doctype x>"});
    BOOST_TEST((failure(malformed) == DialogFailure::protocol_error));
    BOOST_TEST(malformed.result.error().message == "malformed XML: '<!' opens neither a CDATA section nor a comment nor a DTD");
    BOOST_TEST(!malformed.written.ends_with(restricted_xml_stream_error));
}

BOOST_AUTO_TEST_CASE(xmpp_restricted_xml_after_starttls_is_a_failure_too) {
    const auto outcome = run(Protocol::xmpp, {xmpp_server_header, xmpp_starttls_features, "<!--x--><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"});
    BOOST_TEST((failure(outcome) == DialogFailure::protocol_error));
    BOOST_TEST(outcome.result.error().message == "XMPP server sent an XML comment (RFC 6120 11.1 restricted XML)");
}

BOOST_AUTO_TEST_CASE(sieve_literals_are_read_whole_and_folded_into_the_line) {
    // RFC 5804 4: any string may be a literal "{N}" CRLF and N octets; the capability name, its
    // value, and the greeting's OK text here.
    const auto outcome = run(Protocol::sieve, {"\"IMPLEMENTATION\" {13}\r\nCyrus \"sieve\"\r\n{4}\r\nSASL {11}\r\nPLAIN LOGIN\r\n",
                                               "\"STARTTLS\"\r\nOK {5}\r\nready\r\n", "OK \"Begin TLS\"\r\n"});
    BOOST_REQUIRE(outcome.result.has_value());
    BOOST_TEST((outcome.result->capabilities ==
                std::vector<std::string>{"IMPLEMENTATION Cyrus \"sieve\"", "SASL PLAIN LOGIN", "STARTTLS"}));
    BOOST_TEST(outcome.result->plaintext_login.value_or("") == "SASL PLAIN LOGIN advertised before STARTTLS");
    // A NO with its reason as a literal: refused, and the reason is read whole.
    const auto refused = run(Protocol::sieve, {"\"STARTTLS\"\r\nOK\r\n", "NO {13}\r\nTLS is broken\r\n"});
    BOOST_TEST((failure(refused) == DialogFailure::refused));
    BOOST_TEST(refused.result.error().message == "NO \"TLS is broken\"");
    // A literal larger than any capability is a protocol error, not a wait.
    BOOST_TEST((failure(run(Protocol::sieve, {"\"SIEVE\" {99999}\r\n"})) == DialogFailure::protocol_error));
}
