#include "net/host_name.hpp"

#include <dlfcn.h>
#include <idn2.h>  // types and flags only: the library itself is loaded on first use, below

#include <algorithm>

#include "base/dynamic_library.hpp"
#include "net/resolve.hpp"

namespace tls_checks::net {

namespace {

// libidn2 2.x has kept this soname since its first release; Debian's libidn2-0 ships it.
constexpr const char* idn2_soname = "libidn2.so.0";

// The three functions of libidn2 used here. Linking libidn2 (and with it libunistring) costs
// every run 15% more start-up instructions for the dynamic loader, whether or not the host name
// is ASCII; it almost never is not, so the library is opened only when a U-label turns up.
// decltype() of the declarations in idn2.h keeps the signatures checked by the compiler.
struct Idn2 {
    decltype(&idn2_to_ascii_8z) to_ascii_8z = nullptr;
    decltype(&idn2_strerror) strerror = nullptr;
    decltype(&idn2_free) free = nullptr;
};

// The handle is never closed: a check is a short-lived process, and the functions stay in use
// until it exits.
Expected<Idn2, std::string> load_idn2(const char* soname) {
    void* library = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (library == nullptr) {
        const char* why = dlerror();
        return unexpected(std::string("libidn2 is not available (") + (why != nullptr ? why : soname) + ")");
    }
    Idn2 idn2;
    if (!find_symbol(library, "idn2_to_ascii_8z", idn2.to_ascii_8z) ||
        !find_symbol(library, "idn2_strerror", idn2.strerror) || !find_symbol(library, "idn2_free", idn2.free))
        return unexpected(std::string(soname) + " is not a usable libidn2 2.x");
    return idn2;
}

std::string quoted(std::string_view name) { return "'" + std::string(name) + "'"; }

bool is_ascii(std::string_view text) noexcept {
    return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

Expected<std::string, HostNameError> to_a_label(std::string_view name, std::string_view as_given,
                                                const Expected<Idn2, std::string>& idn2) {
    if (!idn2) return unexpected(HostNameError{"cannot convert " + quoted(as_given) + " to an A-label: " + idn2.error()});
    // IDNA2008 (RFC 5891 §4) with the UTS #46 non-transitional mapping (§4 of UTS #46): upper
    // case and other compatibility forms map to the one registrable name, and ß or ς stay
    // themselves as in IDNA2008 rather than turning into "ss" or σ as IDNA2003 did.
    const std::string input(name);
    char* output = nullptr;
    const int status = idn2->to_ascii_8z(input.c_str(), &output, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (status != IDN2_OK)
        return unexpected(HostNameError{"cannot convert " + quoted(as_given) + " to an A-label: " + idn2->strerror(status)});
    std::string a_label(output);
    idn2->free(output);
    return a_label;
}

// `idn2` yields the libidn2 to convert with; it is called only for a name that needs it.
template <class Idn2Source>
Expected<std::string, HostNameError> normalize(std::string_view name, Idn2Source&& idn2) {
    if (is_ip_literal(name)) return std::string(name);
    // Everything downstream (SNI, getaddrinfo, libidn2) takes a C string and would cut the
    // name at a NUL without a word.
    if (name.find('\0') != std::string_view::npos)
        return unexpected(HostNameError{quoted(name) + " is not a host name: it contains a NUL byte"});
    // RFC 6066 §3: "The hostname is represented ... without a trailing dot". One dot is the
    // root label of a fully qualified name; what is left must not end in an empty label.
    std::string_view bare = name;
    if (!bare.empty() && bare.back() == '.') bare.remove_suffix(1);
    if (bare.empty()) return unexpected(HostNameError{quoted(name) + " is not a host name: it has no label"});
    if (bare.back() == '.') return unexpected(HostNameError{quoted(name) + " is not a host name: it ends in an empty label"});
    if (is_ascii(bare)) return std::string(bare);
    return to_a_label(bare, name, idn2());
}

}  // namespace

Expected<std::string, HostNameError> normalize_host_name(std::string_view name) {
    return normalize(name, []() -> const Expected<Idn2, std::string>& {
        static const Expected<Idn2, std::string> loaded = load_idn2(idn2_soname);
        return loaded;
    });
}

namespace detail {

Expected<std::string, HostNameError> normalize_host_name_with(std::string_view name, const char* idn2_library) {
    return normalize(name, [idn2_library] { return load_idn2(idn2_library); });
}

}  // namespace detail

}  // namespace tls_checks::net
