// Server text must not be able to end the status line, start perfdata or flood the core.

#include <boost/test/unit_test.hpp>

#include <string>

#include "plugin/sanitize.hpp"

using tls_checks::plugin::sanitize_text;

BOOST_AUTO_TEST_CASE(pipe_and_control_characters_are_replaced) {
    BOOST_TEST(sanitize_text("evil|CRITICAL\nfake=1") == "evil!CRITICAL?fake=1");
    BOOST_TEST(sanitize_text(std::string("a\0b", 3)) == "a?b");
    BOOST_TEST(sanitize_text("tab\there\r\x7f") == "tab?here??");
    BOOST_TEST(sanitize_text("\x1b[31mred") == "?[31mred");
}

BOOST_AUTO_TEST_CASE(valid_utf8_is_kept_and_invalid_bytes_replaced) {
    BOOST_TEST(sanitize_text("M\xc3\xbcller") == "M\xc3\xbcller");
    BOOST_TEST(sanitize_text("\xff\xfe") == "??");
    BOOST_TEST(sanitize_text("\xc0\xaf") == "??");          // overlong '/'
    BOOST_TEST(sanitize_text("\xed\xa0\x80") == "???");     // surrogate
    BOOST_TEST(sanitize_text("\xc2\x85line") == "??line");  // C1 control NEL
    BOOST_TEST(sanitize_text("\xe2\x82") == "??");          // truncated sequence
}

BOOST_AUTO_TEST_CASE(long_text_is_cut_with_a_marker_within_the_bound) {
    const std::string long_text(1000, 'a');
    const auto cut = sanitize_text(long_text, 20);
    BOOST_TEST(cut.size() == 20U);
    BOOST_TEST(cut.substr(17) == "...");
    BOOST_TEST(sanitize_text("short", 20) == "short");
}

BOOST_AUTO_TEST_CASE(cut_never_splits_a_utf8_sequence) {
    std::string text;
    for (int i = 0; i < 20; ++i) text += "\xc3\xbc";  // 40 bytes of u-umlaut
    for (std::size_t bound = 4; bound < 40; ++bound) {
        const auto cut = sanitize_text(text, bound);
        BOOST_TEST_INFO("bound " << bound);
        BOOST_TEST(cut.size() <= bound);
        BOOST_TEST(sanitize_text(cut, 1000) == cut);  // still valid UTF-8: nothing replaced
    }
}
