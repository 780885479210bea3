// The XMPP dialog's XML scanner on its own: events stop where they end, what RFC 6120 11.1
// forbids is a restricted error, errors are final, and references are resolved.

#include <boost/test/unit_test.hpp>

#include <string>

#include "starttls/xml_scanner.hpp"

using tls_checks::starttls::XmlEvent;
using tls_checks::starttls::XmlScanner;

BOOST_AUTO_TEST_CASE(an_error_is_final) {
    XmlScanner scanner;
    BOOST_TEST(scanner.feed("<a x=1/><b/>"));
    BOOST_TEST(!scanner.next().has_value());
    BOOST_TEST(scanner.error() == "XML attribute value not quoted in <a>");
    BOOST_TEST(!scanner.restricted());
    BOOST_TEST(!scanner.next().has_value());  // <b/> is never read past the error
    BOOST_TEST(!scanner.feed("<c/>"));
    BOOST_TEST(scanner.error() == "XML attribute value not quoted in <a>");
}

BOOST_AUTO_TEST_CASE(restricted_constructs_are_told_from_as_few_bytes_as_decide_them) {
    XmlScanner dtd;
    BOOST_TEST(dtd.feed("<!DOCTY"));
    BOOST_TEST(!dtd.next().has_value());
    BOOST_TEST(dtd.error().empty());  // could still be... nothing else, but "<!DOCTY" is not all of it yet
    BOOST_TEST(dtd.feed("PE x [ <!ENTITY a 'b'"));
    BOOST_TEST(!dtd.next().has_value());
    BOOST_TEST(dtd.restricted());
    BOOST_TEST(dtd.error() == "XMPP server sent a DTD (RFC 6120 11.1 restricted XML)");

    XmlScanner pi;
    BOOST_TEST(pi.feed("<?xm"));
    BOOST_TEST(!pi.next().has_value());
    BOOST_TEST(pi.error().empty());
    BOOST_TEST(pi.feed("l-stylesheet"));
    BOOST_TEST(!pi.next().has_value());
    BOOST_TEST(pi.restricted());
}

BOOST_AUTO_TEST_CASE(the_xml_declaration_is_allowed_once_before_the_first_element) {
    XmlScanner scanner;
    BOOST_TEST(scanner.feed("<?xml version='1.0'?><a><?xml version='1.0'?>"));
    const auto a = scanner.next();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->name == "a");
    BOOST_TEST(!scanner.next().has_value());
    BOOST_TEST(scanner.restricted());
}

BOOST_AUTO_TEST_CASE(references_resolve_and_cdata_is_text) {
    XmlScanner scanner;
    BOOST_TEST(scanner.feed("<a v='&lt;&#x263A;&amp;'>x &gt; &#65;<![CDATA[<b>&c;]]></a>"));
    const auto a = scanner.next();
    BOOST_TEST_REQUIRE(a.has_value());
    BOOST_TEST(a->attribute("v").value_or("") == "<\xE2\x98\xBA&");
    const auto text = scanner.next();
    BOOST_TEST_REQUIRE(text.has_value());
    BOOST_TEST(text->text == "x > A");
    const auto cdata = scanner.next();
    BOOST_TEST_REQUIRE(cdata.has_value());
    BOOST_TEST((cdata->kind == XmlEvent::Kind::text));
    BOOST_TEST(cdata->text == "<b>&c;");
    const auto end = scanner.next();
    BOOST_TEST_REQUIRE(end.has_value());
    BOOST_TEST((end->kind == XmlEvent::Kind::end));
    BOOST_TEST(scanner.buffered() == 0U);
}

BOOST_AUTO_TEST_CASE(bad_references_are_errors) {
    for (const std::string bad : {"<a>&#0;<b/>", "<a>&#xD800;<b/>", "<a>&#;<b/>", "<a>&#x110000;<b/>", "<a>& b<b/>"}) {
        XmlScanner scanner;
        BOOST_TEST(scanner.feed(bad));
        BOOST_TEST(scanner.next().has_value());  // <a>
        BOOST_TEST(!scanner.next().has_value(), bad);
        BOOST_TEST(scanner.error().starts_with("malformed XML"), bad);
        BOOST_TEST(!scanner.restricted(), bad);
    }
}
