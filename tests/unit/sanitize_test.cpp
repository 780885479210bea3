// Server text must not be able to end the status line, start perfdata or flood the core.

#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

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

BOOST_AUTO_TEST_CASE(bidi_and_invisible_format_characters_are_replaced_one_mark_each) {
    // Trojan Source (CVE-2021-42574): these reorder or hide what a web UI shows.
    const std::vector<std::pair<const char*, const char*>> table = {
        {"\xe2\x80\x8b", "U+200B zero width space"},
        {"\xe2\x80\x8c", "U+200C zero width non-joiner"},
        {"\xe2\x80\x8d", "U+200D zero width joiner"},
        {"\xe2\x80\x8e", "U+200E left-to-right mark"},
        {"\xe2\x80\x8f", "U+200F right-to-left mark"},
        {"\xe2\x80\xa8", "U+2028 line separator"},
        {"\xe2\x80\xa9", "U+2029 paragraph separator"},
        {"\xe2\x80\xaa", "U+202A left-to-right embedding"},
        {"\xe2\x80\xab", "U+202B right-to-left embedding"},
        {"\xe2\x80\xac", "U+202C pop directional formatting"},
        {"\xe2\x80\xad", "U+202D left-to-right override"},
        {"\xe2\x80\xae", "U+202E right-to-left override"},
        {"\xe2\x81\xa0", "U+2060 word joiner"},
        {"\xe2\x81\xa1", "U+2061 function application"},
        {"\xe2\x81\xa2", "U+2062 invisible times"},
        {"\xe2\x81\xa3", "U+2063 invisible separator"},
        {"\xe2\x81\xa4", "U+2064 invisible plus"},
        {"\xe2\x81\xa5", "U+2065 (unassigned, in the invisible block)"},
        {"\xe2\x81\xa6", "U+2066 left-to-right isolate"},
        {"\xe2\x81\xa7", "U+2067 right-to-left isolate"},
        {"\xe2\x81\xa8", "U+2068 first strong isolate"},
        {"\xe2\x81\xa9", "U+2069 pop directional isolate"},
        {"\xef\xbb\xbf", "U+FEFF zero width no-break space"},
    };
    for (const auto& [character, name] : table) {
        BOOST_TEST_INFO(name);
        BOOST_TEST(sanitize_text(std::string("a") + character + "b") == "a?b");
    }
}

BOOST_AUTO_TEST_CASE(neighbours_of_the_replaced_format_characters_are_kept) {
    const std::vector<std::pair<const char*, const char*>> table = {
        {"\xe2\x80\x8a", "U+200A hair space"},
        {"\xe2\x80\x90", "U+2010 hyphen"},
        {"\xe2\x80\xa7", "U+2027 hyphenation point"},
        {"\xe2\x80\xaf", "U+202F narrow no-break space"},
        {"\xe2\x81\x9f", "U+205F medium mathematical space"},
        {"\xe2\x81\xaa", "U+206A inhibit symmetric swapping"},
        {"\xef\xbb\xbe", "U+FEFE (unassigned)"},
        {"\xef\xbc\x80", "U+FF00 (unassigned)"},
    };
    for (const auto& [character, name] : table) {
        BOOST_TEST_INFO(name);
        const std::string text = std::string("a") + character + "b";
        BOOST_TEST(sanitize_text(text) == text);
    }
}

BOOST_AUTO_TEST_CASE(right_to_left_override_cannot_disguise_a_name) {
    // "CN=moc.elgoog" shown reversed as "google.com" in a bidi-aware UI.
    BOOST_TEST(sanitize_text("CN=\xe2\x80\xaemoc.elgoog|x") == "CN=?moc.elgoog!x");
}

BOOST_AUTO_TEST_CASE(replaced_format_character_counts_as_one_byte_when_cutting) {
    std::string text;
    for (int i = 0; i < 10; ++i) text += "\xe2\x80\xae";  // 30 bytes, 10 right-to-left overrides
    BOOST_TEST(sanitize_text(text, 10) == "??????????");
    BOOST_TEST(sanitize_text(text, 9) == "??????...");
}
